import Foundation

/// One exchange of a conversation with an agent (the playground's unit).
public struct ChatTurn: Sendable {
    /// The agent's answer.
    public var text: String
    /// The conversation after the turn (without the system prompt), tool calls included.
    public var history: [Message]
    /// Tokens used by the turn.
    public var usage: TokenUsage
    /// Cost in USD.
    public var costUSD: Double
    /// Wall time of the turn.
    public var latency: Duration
    /// Model calls made.
    public var calls: Int
}

extension CrewRunner {
    private func execution(
        for agent: AgentDefinition, principal: Principal, runID: RunID, sink: any EventSink
    ) -> Execution {
        let crew = CrewDefinition(
            id: CrewID("chat:\(agent.id)"), name: agent.name, process: .sequential, agents: [agent.id], tasks: [])
        return Execution(
            crew: crew, values: [:], principal: principal, agents: { $0 == agent.id ? agent : nil },
            state: RunState(
                runID: runID, limits: environment.limits, sink: sink, time: environment.time, crew: crew.id.rawValue),
            outputs: TaskOutputs(), environment: environment)
    }

    /// The system prompt and the tool names `agent` would get for `principal`.
    public func chatPrompt(for agent: AgentDefinition, principal: Principal) async -> (system: String, tools: [String])
    {
        let execution = execution(for: agent, principal: principal, runID: "prompt", sink: FanOutEventSink([]))
        return (
            PromptBuilder.system(for: agent), await execution.offeredTools(for: agent, override: nil).map(\.modelName)
        )
    }

    /// One turn: `message` after `history`, answered by `agent` with its tools and knowledge, events to `sink`.
    public func chat(
        _ agent: AgentDefinition, history: [Message], message: String, principal: Principal, runID: RunID,
        sink: any EventSink
    ) async throws -> ChatTurn {
        let started = environment.time.stopwatch()
        let execution = execution(for: agent, principal: principal, runID: runID, sink: sink)
        let tools = await execution.offeredTools(for: agent, override: nil)
        let model: ResolvedModel
        do {
            model = try await environment.models.resolve(agent.model, principal: principal)
        } catch let error as ModelResolutionError {
            throw EngineError.modelUnavailable(error.description)
        }
        var user = message
        if let knowledge = await execution.knowledgeText(for: agent, query: message) {
            user +=
                "\n\nRelevant knowledge from your collections (cite a source as [collection/file#section] when you use it):\n\n\(knowledge)"
        }
        let meter = UsageMeter()
        let loop = AgentLoop(
            agent: agent, model: model, tools: tools, path: [agent.id.rawValue], task: "chat", state: execution.state,
            environment: environment, principal: principal, responseFormat: .text, meter: meter)
        let text: String
        let messages: [Message]
        do {
            (text, messages) = try await loop.run([.system(PromptBuilder.system(for: agent))] + history + [.user(user)])
            await execution.state.finishDelivery()
        } catch {
            await execution.state.finishDelivery()
            throw error
        }
        var transcript = Array(messages.dropFirst())
        // Keep the user's own words in the history (the knowledge block is per turn).
        if let index = transcript.indices.dropFirst(history.count).first, case .user = transcript[index] {
            transcript[index] = .user(message)
        }
        let byAgent = await execution.state.byAgent
        return ChatTurn(
            text: text, history: transcript, usage: await meter.usage, costUSD: await meter.cost,
            latency: started.elapsed,
            calls: byAgent.values.reduce(0) { $0 + $1.calls })
    }

    /// For each tool `agent` names: whether it is offered to `principal`, and if not, why.
    public func toolReport(
        for agent: AgentDefinition, principal: Principal
    ) async -> [(tool: ToolID, hiddenBecause: String?)] {
        var report: [(ToolID, String?)] = []
        for entry in agent.tools {
            let tools = await environment.tools.tools(for: entry, principal: principal)
            guard !tools.isEmpty else {
                report.append(
                    (entry, entry.isMCP ? "no such tool on the tenant's MCP server" : "not implemented in this runtime")
                )
                continue
            }
            for tool in tools {
                let decision = await environment.policy.decide(tool.spec, agent: agent, principal: principal)
                if case .deny(let reason) = decision {
                    report.append((tool.spec.id, reason))
                } else {
                    report.append((tool.spec.id, nil))
                }
            }
        }
        return report
    }
}
