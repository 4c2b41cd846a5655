import Foundation

/// A tool as offered to one agent in one task.
struct OfferedTool: Sendable {
    /// The name the model calls it by.
    var modelName: String
    /// What the model is told.
    var chatTool: ChatTool
    /// How a call is carried out.
    var handler: Handler

    enum Handler: Sendable {
        /// A registered tool, gated by policy and validated against its schema.
        case tool(any Tool)
        /// A synthesised tool (delegation) run by the engine.
        case synthesized(@Sendable (JSONValue, String) async throws -> ToolResult)
    }
}

/// Runs one agent on one task: call the model, run the tools it asks for
/// (concurrently, results in call order), feed fixable mistakes back, and stop
/// at a final answer or at the iteration limit (then ask once more, without tools).
struct AgentLoop: Sendable {
    let agent: AgentDefinition
    let model: ResolvedModel
    let tools: [OfferedTool]
    let path: [String]
    let task: String
    let state: RunState
    let environment: EngineEnvironment
    let principal: Principal
    let responseFormat: ResponseFormat
    let meter: UsageMeter

    /// Tool results longer than this are cut, with a note.
    static let maxToolResultCharacters = 20_000

    /// Runs until a final answer; returns it and the conversation that produced it.
    func run(_ initial: [Message]) async throws -> (text: String, messages: [Message]) {
        var messages = initial
        var mistakes = 0
        var previous: [String: String] = [:]
        var iteration = 0
        while true {
            if iteration >= agent.maxIterations {
                messages.append(.user(PromptBuilder.finalAnswerNow))
                let response = try await call(messages, offerTools: false)
                let text = response.text ?? ""
                messages.append(.assistant(text))
                return (text, messages)
            }
            iteration += 1
            let response = try await call(messages, offerTools: true)
            guard !response.toolCalls.isEmpty else {
                let text = response.text ?? ""
                messages.append(.assistant(text))
                return (text, messages)
            }
            messages.append(.assistant(text: response.text, toolCalls: response.toolCalls))
            let (results, turnMistakes) = try await runTools(response.toolCalls, previous: &previous)
            messages += results
            mistakes += turnMistakes
            if mistakes > environment.limits.maxToolMistakesPerTask {
                throw EngineError.tooManyMistakes(task: task, count: mistakes)
            }
        }
    }

    /// One model call with budget checks, events and cost accounting.
    func call(_ messages: [Message], offerTools: Bool) async throws -> ChatResponse {
        try Task.checkCancellation()
        try await state.beginCall()
        let chatTools = offerTools ? tools.map(\.chatTool) : []
        var request = ChatRequest(
            model: model.reference.model, messages: messages, tools: chatTools, temperature: agent.temperature,
            maxTokens: agent.maxTokens, topP: agent.topP, responseFormat: responseFormat)
        request.deadline = await state.deadline
        await state.emit(path, .llmRequest(model: model.reference.description, messageCount: messages.count, toolCount: chatTools.count))
        let started = ContinuousClock.now
        let response: ChatResponse
        let journalKey = state.journal == nil ? "" : JournalSession.key(request)
        if let journal = state.journal, let recorded = await journal.replay(.model, key: journalKey).flatMap(ChatResponse.init(json:)) {
            // An earlier attempt made this call: its answer is journaled, and is not paid for twice.
            response = recorded
            if environment.streaming, state.sink.wantsTextDeltas, let text = recorded.text, !text.isEmpty { await state.emit(path, .textDelta(text)) }
        } else {
            response = try await callModel(request)
            if let journal = state.journal {
                do { try await journal.record(.model, key: journalKey, data: response.json) } catch {
                    throw EngineError.journalUnavailable(String(describing: error))
                }
            }
        }
        let latency = ContinuousClock.now - started
        let cost = model.price?.cost(of: response.usage) ?? 0
        await state.record(agent: agent.id.rawValue, model: model.reference.description, usage: response.usage, cost: cost)
        await meter.add(response.usage, cost: cost)
        await state.emit(
            path,
            .llmResponse(
                model: model.reference.description, usage: response.usage, costUSD: model.price == nil ? nil : cost,
                latencyMS: Int(latency.seconds * 1000), finishReason: response.finishReason.description))
        try await state.checkLimits()
        return response
    }

    /// The live model call, its failures mapped to engine errors.
    private func callModel(_ request: ChatRequest) async throws -> ChatResponse {
        let response: ChatResponse
        do {
            if environment.streaming {
                response = try await model.model.stream(request) { delta in
                    // Asked per delta: a live subscriber may join mid-call.
                    if case .text(let text) = delta, state.sink.wantsTextDeltas { await state.emit(path, .textDelta(text)) }
                }
            } else {
                response = try await model.model.complete(request)
            }
        } catch let error as ProviderError {
            if error.code == .cancelled || Task.isCancelled { throw EngineError.cancelled }
            if error.code == .timeout, await state.elapsed.seconds >= environment.limits.maxWallTimeSeconds {
                try await state.checkLimits()
            }
            throw EngineError.model(error)
        } catch is CancellationError {
            throw EngineError.cancelled
        }
        return response
    }

    /// Runs a turn's tool calls concurrently; results come back in call order. Returns the mistakes counted.
    private func runTools(_ calls: [ToolCall], previous: inout [String: String]) async throws -> ([Message], Int) {
        // Decide each call's fate in order first, so identical calls in one turn run once.
        var plans: [Plan] = []
        var planned: Set<String> = []
        for call in calls {
            guard let offered = tools.first(where: { $0.modelName == call.name }) else {
                plans.append(await refuse(call))
                continue
            }
            guard let arguments = try? JSONParser.value(call.arguments.isEmpty ? "{}" : call.arguments) else {
                await state.emit(path, .toolFinished(callID: call.id, tool: call.name, outcome: .error, durationMS: 0, result: "invalid JSON arguments"))
                plans.append(.answer("Error: the arguments are not valid JSON. Call \(call.name) again with a JSON object matching its parameters.", isError: true, mistake: true))
                continue
            }
            if case .tool(let tool) = offered.handler {
                let violations = JSONSchemaValidator(tool.spec.parameters).validate(arguments)
                if !violations.isEmpty {
                    let list = violations.map(\.description).joined(separator: "; ")
                    await state.emit(path, .toolFinished(callID: call.id, tool: tool.spec.id.rawValue, outcome: .error, durationMS: 0, result: "invalid arguments: \(list)"))
                    plans.append(.answer("Error: the arguments do not match the tool's parameters: \(list). Fix them and call \(call.name) again.", isError: true, mistake: true))
                    continue
                }
                if case .deny(let reason) = await environment.policy.decide(tool.spec, agent: agent, principal: principal) {
                    await state.emit(path, .toolDenied(callID: call.id, tool: tool.spec.id.rawValue, reason: reason, arguments: call.arguments))
                    plans.append(.answer("Error: you may not use \(call.name): \(reason). Continue without it.", isError: true, mistake: true))
                    continue
                }
            }
            let key = call.name + " " + arguments.serialized(sortedKeys: true)
            if previous[key] != nil || planned.contains(key) {
                plans.append(.repeatOf(key: key))
            } else {
                planned.insert(key)
                plans.append(.run(offered, arguments, key: key))
            }
        }

        // Run the new calls concurrently.
        var fresh: [String: (content: String, isError: Bool)] = [:]
        var suspension: EngineError?
        try await withThrowingTaskGroup(of: CallOutcome.self) { group in
            for (index, plan) in plans.enumerated() {
                guard case .run(let offered, let arguments, let key) = plan else { continue }
                let call = calls[index]
                group.addTask {
                    do {
                        let (content, isError) = try await execute(offered, arguments: arguments, call: call)
                        return .done(key: key, content: content, isError: isError)
                    } catch EngineError.awaitingApproval(let id) {
                        // A call that stops the run to wait for a human lets its siblings finish (and be journaled):
                        // cancelling a write in flight would leave it uncertain.
                        return .suspended(approvalID: id)
                    }
                }
            }
            for try await outcome in group {
                switch outcome {
                case .done(let key, let content, let isError): fresh[key] = (content, isError)
                case .suspended(let id): suspension = suspension ?? .awaitingApproval(approvalID: id)
                }
            }
        }
        if let suspension { throw suspension }

        var messages: [Message] = []
        var mistakes = 0
        for (index, plan) in plans.enumerated() {
            let call = calls[index]
            switch plan {
            case .answer(let content, let isError, let mistake):
                if mistake { mistakes += 1 }
                messages.append(.tool(callID: call.id, name: call.name, content: content, isError: isError))
            case .run(_, _, let key):
                let result = fresh[key]!
                if result.isError { mistakes += 1 } else { previous[key] = result.content }
                messages.append(.tool(callID: call.id, name: call.name, content: result.content, isError: result.isError))
            case .repeatOf(let key):
                let earlier = previous[key] ?? fresh[key]?.content ?? ""
                await state.emit(path, .toolFinished(callID: call.id, tool: call.name, outcome: .repeated, durationMS: 0, result: "answered from the earlier identical call"))
                messages.append(.tool(
                    callID: call.id, name: call.name,
                    content: earlier + "\n\n(Note: you already made this exact call with the same arguments; this is the earlier result. Use it rather than calling again.)",
                    isError: false))
            }
        }
        return (messages, mistakes)
    }

    /// Journals a tool call's result (what the model reads) before the run goes on.
    private func journalTool(_ key: String, content: String, isError: Bool) async throws {
        guard let journal = state.journal else { return }
        do { try await journal.record(.tool, key: key, data: ["content": .string(content), "is_error": .bool(isError)]) } catch {
            throw EngineError.journalUnavailable(String(describing: error))
        }
    }

    /// Waits for a human's decision on a call that needs approval; returns the refusal text when it is not approved.
    private func awaitApproval(_ spec: ToolSpec, call: ToolCall, id: String?) async throws -> String? {
        guard let gate = environment.approvals else {
            await state.emit(path, .toolDenied(callID: call.id, tool: spec.id.rawValue, reason: "needs human approval, and no approval channel is configured", arguments: call.arguments))
            return "Error: \(call.name) needs a human's approval, and approvals are not available here. Continue without it."
        }
        let request = ApprovalRequest(
            id: id ?? UUID().uuidString.lowercased(), runID: state.runID, principal: principal, agent: agent.id, tool: spec.id,
            arguments: call.arguments, requestedAt: Date())
        await state.emit(path, .awaitingApproval(approvalID: request.id, callID: call.id, tool: spec.id.rawValue, arguments: call.arguments))
        let decision: ApprovalDecision
        do {
            decision = try await gate.decide(request)
        } catch is CancellationError {
            throw EngineError.cancelled
        } catch let suspended as ApprovalSuspended {
            throw EngineError.awaitingApproval(approvalID: suspended.approvalID)
        }
        await state.emit(path, .approvalDecided(approvalID: request.id, tool: spec.id.rawValue, approved: decision.approved, by: decision.by, comment: decision.comment))
        guard !decision.approved else { return nil }
        let reason = decision.expired ? "the approval request expired without a decision" : "a human rejected it" + (decision.comment.isEmpty ? "" : ": \(decision.comment)")
        return "Error: \(call.name) was not approved (\(reason)). Do not retry it; continue without it."
    }

    /// How one tool call of a turn ended.
    private enum CallOutcome: Sendable {
        case done(key: String, content: String, isError: Bool)
        case suspended(approvalID: String)
    }

    /// What to do with one tool call.
    private enum Plan {
        case answer(String, isError: Bool, mistake: Bool)
        case run(OfferedTool, JSONValue, key: String)
        case repeatOf(key: String)
    }

    /// The answer to a call of a tool that was not offered (unknown, or outside the agent's tools).
    private func refuse(_ call: ToolCall) async -> Plan {
        let available = tools.isEmpty ? "none" : tools.map(\.modelName).joined(separator: ", ")
        if let id = ToolNaming.toolID(call.name), environment.tools.tool(id) != nil {
            let reason = "\(id.rawValue) is not among the tools offered to this agent"
            await state.emit(path, .toolDenied(callID: call.id, tool: id.rawValue, reason: reason, arguments: call.arguments))
            return .answer("Error: you may not use \(call.name): it is not one of your tools. Your tools: \(available).", isError: true, mistake: true)
        }
        await state.emit(path, .toolDenied(callID: call.id, tool: call.name, reason: "unknown tool", arguments: call.arguments))
        return .answer("Error: there is no tool called \(call.name). Your tools: \(available).", isError: true, mistake: true)
    }

    /// Runs one call; failures the model can read become error results.
    private func execute(_ offered: OfferedTool, arguments: JSONValue, call: ToolCall) async throws -> (String, Bool) {
        let started = ContinuousClock.now
        let toolName: String
        var content: String
        var isError = false
        switch offered.handler {
        case .tool(let tool):
            toolName = tool.spec.id.rawValue
            var journalKey = JournalSession.key(tool: toolName, arguments: arguments)
            var idempotencyKey: String?
            var approved = false
            var attempt = 1
            if let journal = state.journal {
                let claim = await journal.claimTool(key: journalKey)
                journalKey = claim.key
                idempotencyKey = claim.idempotencyKey
                attempt = claim.attempt
                if let recorded = claim.result, let text = recorded["content"]?.stringValue {
                    // An earlier attempt ran (or was refused) this call: the journaled result stands; nothing runs twice.
                    await state.emit(path, .toolStarted(callID: call.id, tool: toolName, arguments: call.arguments))
                    content = text
                    isError = recorded["is_error"] == true
                    break
                }
                if claim.uncertain {
                    // Sent by an earlier attempt, never answered: a human decides whether it goes out again.
                    guard environment.uncertainSideEffects == .askApproval, environment.approvals != nil else {
                        throw EngineError.uncertainSideEffect(tool: toolName)
                    }
                    // A new question (its own id): an earlier approval of the first send does not cover sending it again.
                    // Asked again in each attempt that finds the call unanswered: an approval given once covers one send.
                    if let refusal = try await awaitApproval(tool.spec, call: call, id: idempotencyKey.map { "\($0)-again-\(attempt)" }) {
                        try await journalTool(journalKey, content: refusal, isError: true)
                        return (refusal, true)
                    }
                    approved = true
                }
            }
            if tool.spec.requiresApproval, !approved, let refusal = try await awaitApproval(tool.spec, call: call, id: idempotencyKey) {
                try await journalTool(journalKey, content: refusal, isError: true)
                return (refusal, true)
            }
            if tool.spec.access != .read, let journal = state.journal {
                do { try await journal.record(.toolStarted, key: journalKey, data: ["tool": .string(toolName)]) } catch {
                    throw EngineError.journalUnavailable(String(describing: error))
                }
            }
            await state.emit(path, .toolStarted(callID: call.id, tool: toolName, arguments: call.arguments))
            do {
                let context = ToolContext(
                    runID: state.runID, agent: agent.id, principal: principal, secrets: environment.secrets, knowledgeCollections: agent.knowledge,
                    idempotencyKey: idempotencyKey)
                content = try await tool.call(arguments, context: context).content
            } catch let error as ToolError {
                content = "Error: \(error.message)"
                isError = true
            } catch is CancellationError {
                throw EngineError.cancelled
            } catch let error as EngineError {
                throw error
            } catch {
                content = "Error: the tool failed: \(error)"
                isError = true
            }
            try await journalTool(journalKey, content: content, isError: isError)
        case .synthesized(let run):
            toolName = call.name
            await state.emit(path, .toolStarted(callID: call.id, tool: toolName, arguments: call.arguments))
            do {
                content = try await run(arguments, call.id).content
            } catch let error as ToolError {
                content = "Error: \(error.message)"
                isError = true
            }
        }
        if content.count > Self.maxToolResultCharacters {
            content = String(content.prefix(Self.maxToolResultCharacters)) + "\n\n(Result cut at \(Self.maxToolResultCharacters) characters.)"
        }
        await state.emit(path, .toolFinished(
            callID: call.id, tool: toolName, outcome: isError ? .error : .success,
            durationMS: Int((ContinuousClock.now - started).seconds * 1000), result: String(content.prefix(2000))))
        return (content, isError)
    }
}
