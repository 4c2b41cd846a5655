import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

@Suite("Engine: hierarchical crews")
struct HierarchicalCrewTests {
    typealias F = EngineFixtures
    static let boss = AgentDefinition(
        id: "boss", name: "Boss", category: "orchestration", role: "Team Lead", goal: "Lead", backstory: "Leads.",
        allowDelegation: true)

    private func crew(taskAgent: AgentID?) -> CrewDefinition {
        CrewDefinition(
            id: "h", name: "H", process: .hierarchical, agents: ["writer", "researcher"], manager: "boss",
            inputs: [CrewInput(name: "company", isRequired: false, defaultValue: "Acme")],
            tasks: [
                CrewTask(
                    id: "report", description: "Write the report", expectedOutput: "A report with numbers",
                    agent: taskAgent)
            ])
    }

    private var agents: @Sendable (AgentID) -> AgentDefinition? { F.lookup([Self.boss, F.writer, F.researcher]) }

    @Test(
        "the manager delegates through synthesised tools; coworkers work with their own tools and no delegation tools")
    func delegation() async throws {
        let model = ScriptedChatModel { request in
            let system = F.system(request)
            if system.hasPrefix("You are Team Lead.") {
                let results = request.messages.filter { if case .tool = $0 { true } else { false } }
                if results.isEmpty {
                    return ScriptedChatModel.calls([
                        (
                            "delegate_work",
                            #"{"task": "Find the number", "context": "Q3 numbers", "coworker": " RESEARCHER  specialist "}"#
                        )
                    ])
                }
                guard case .tool(_, _, let content, _)? = request.messages.last else {
                    return ScriptedChatModel.text("?")
                }
                return ScriptedChatModel.text("Report: \(content)")
            }
            #expect(system.hasPrefix("You are Researcher specialist."))
            #expect(
                !request.tools.contains { $0.name == CrewRunner.delegateToolName || $0.name == CrewRunner.askToolName })
            let prompt = F.lastUser(request)
            #expect(
                prompt.contains("Current task: Find the number") && prompt.contains("Q3 numbers")
                    && prompt.contains("A report with numbers"))
            if request.messages.count == 2 {
                return ScriptedChatModel.calls([("calculator-evaluate", #"{"expression": "6*7"}"#)])
            }
            return ScriptedChatModel.text("the number is 42")
        }
        let sink = RecordingEventSink()
        let result = try await F.runner(model, tools: [F.calculator]).run(
            crew(taskAgent: nil), inputs: [:], principal: .local(), agents: agents, sink: sink)
        #expect(result.status == .succeeded)
        #expect(result.output == "Report: the number is 42")
        #expect(result.tasks[0].agent == "boss")
        let managerTools = model.requests[0].tools
        #expect(managerTools.map(\.name) == ["delegate_work", "ask_question"])
        #expect(managerTools[0].parameters.document["properties"]?["coworker"]?["enum"] == ["writer", "researcher"])
        let events = await sink.events
        let started = events.first { $0.kindName == "delegation_started" }
        #expect(started?.agentPathText == "boss > researcher")
        #expect(
            events.contains {
                $0.kindName == "tool_finished" && $0.agentPathText == "boss > researcher"
                    && $0.payload["tool"] == "calculator.evaluate"
            })
        #expect(events.contains { $0.kindName == "delegation_finished" && $0.payload["output"] == "the number is 42" })
        #expect(result.tasks[0].usage.totalTokens == 4 * 15, "the task's usage includes its delegations")
    }

    @Test("when the task names an agent, the delegation tools are scoped to that coworker only")
    func scoped() async throws {
        let model = ScriptedChatModel { request in
            if F.system(request).hasPrefix("You are Team Lead.") {
                let enumValues = request.tools.first?.parameters.document["properties"]?["coworker"]?["enum"]
                #expect(enumValues == ["writer"])
                let answered = request.messages.contains { if case .tool = $0 { true } else { false } }
                return answered
                    ? ScriptedChatModel.text("done")
                    : ScriptedChatModel.calls([
                        ("delegate_work", #"{"task": "x", "context": "y", "coworker": "researcher"}"#)
                    ])
            }
            return ScriptedChatModel.text("worked")
        }
        _ = try await F.runner(model).run(
            crew(taskAgent: "writer"), inputs: [:], principal: .local(), agents: agents, sink: RecordingEventSink())
        guard case .tool(_, _, let content, let isError)? = model.requests.last?.messages.last else {
            Issue.record("no tool result")
            return
        }
        #expect(isError)
        #expect(content == "Error: unknown coworker \"researcher\". Valid coworkers: writer (Writer for Acme)")
    }

    @Test("an unknown coworker gets a readable error listing the valid ones, and the manager recovers")
    func unknownCoworker() async throws {
        let model = ScriptedChatModel { request in
            if F.system(request).hasPrefix("You are Team Lead.") {
                let results = request.messages.compactMap {
                    if case .tool(_, _, let content, _) = $0 { return content } else { return nil }
                }
                switch results.count {
                case 0:
                    return ScriptedChatModel.calls([
                        ("ask_question", #"{"question": "Which?", "context": "c", "coworker": "designer"}"#)
                    ])
                case 1:
                    return ScriptedChatModel.calls([
                        ("ask_question", #"{"question": "Which?", "context": "c", "coworker": "Writer for Acme"}"#)
                    ])
                default: return ScriptedChatModel.text("answer: \(results[1])")
                }
            }
            return ScriptedChatModel.text("this one")
        }
        let result = try await F.runner(model).run(
            crew(taskAgent: nil), inputs: [:], principal: .local(), agents: agents, sink: RecordingEventSink())
        #expect(result.output == "answer: this one")
        let first = model.requests[1].messages.last
        guard case .tool(_, _, let content, true)? = first else {
            Issue.record("expected an error result")
            return
        }
        #expect(
            content
                == "Error: unknown coworker \"designer\". Valid coworkers: writer (Writer for Acme), researcher (Researcher specialist)"
        )
    }

    @Test("without a manager agent, the built-in manager runs on manager_model")
    func builtInManager() async throws {
        var crew = crew(taskAgent: nil)
        crew.manager = nil
        crew.managerModel = ModelReference(provider: "openai", model: "gpt-4o")
        let models = ModelLog()
        let model = ScriptedChatModel { request in
            await models.add(request.model)
            return ScriptedChatModel.text("managed")
        }
        let sink = RecordingEventSink()
        let result = try await F.runner(model).run(crew, inputs: [:], principal: .local(), agents: agents, sink: sink)
        #expect(result.output == "managed")
        // An answer without delegation is sent back once with the reminder: both calls on the manager's model.
        #expect(await models.items == ["gpt-4o", "gpt-4o"])
        #expect(await sink.events.first { $0.kindName == "task_started" }?.payload["agent"] == "manager")
    }

    @Test(
        "the dry run shows the manager exactly the prompt the run gives it, knowledge included, without calling a model"
    )
    func dryRunMatchesRun() async throws {
        struct Handbook: KnowledgeRetriever {
            func search(
                _ query: String, collections: [String], tenant: TenantID?, limit: Int
            ) async -> [KnowledgeSnippet] {
                guard collections == ["playbook"] else { return [] }
                return [
                    KnowledgeSnippet(
                        citation: "playbook/reports.md#numbers", collection: "playbook", file: "reports.md",
                        headingPath: ["Numbers"], lines: 1...2, text: "Reports lead with the number.", score: 1)
                ]
            }
        }
        var lead = Self.boss
        lead.knowledge = ["playbook"]
        let agents = F.lookup([lead, F.writer, F.researcher])
        let crew = crew(taskAgent: nil)
        func environment(_ model: any ChatModel) -> EngineEnvironment {
            EngineEnvironment(
                models: ScriptedModelResolver(model), tools: ToolRegistry([F.calculator]), streaming: false,
                knowledge: Handbook())
        }
        let unreachable = UnimplementedChatModel()
        let plan = try await CrewRunner(environment: environment(unreachable)).plan(
            crew, inputs: [:], principal: .local(), agents: agents)
        #expect(unreachable.requests.isEmpty)
        #expect(
            plan.count == 1 && plan[0].user.contains("[playbook/reports.md#numbers]")
                && plan[0].user.contains("Reports lead with the number."))

        let sink = RecordingEventSink()
        let result = try await CrewRunner(
            environment: environment(ScriptedChatModel { _ in ScriptedChatModel.text("Report: 42") })
        )
        .run(crew, inputs: [:], principal: .local(), agents: agents, sink: sink)
        #expect(result.status == .succeeded)
        guard
            case .prompt(let system, let user, let tools)? = await sink.events.first(where: { $0.kindName == "prompt" }
            )?.kind
        else {
            Issue.record("no prompt event")
            return
        }
        #expect(system == plan[0].system)
        #expect(user == plan[0].user)
        #expect(tools == plan[0].tools)
    }
}

actor ModelLog {
    var items: [String] = []
    func add(_ item: String) { items.append(item) }
}
