import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// `allow_delegation` in sequential crews, the manager's forced first tool call and reminder, and a hierarchical
/// task's `tools` override.
@Suite("Engine: delegation settings")
struct DelegationSettingsTests {
    typealias F = EngineFixtures
    static let lead = AgentDefinition(
        id: "lead", name: "Lead", category: "test", role: "Lead writer", goal: "Write", backstory: "Writes.",
        allowDelegation: true)
    static let boss = AgentDefinition(
        id: "boss", name: "Boss", category: "orchestration", role: "Team Lead", goal: "Lead", backstory: "Leads.",
        allowDelegation: true)
    static let delegationTools: Set<String> = [CrewRunner.delegateToolName, CrewRunner.askToolName]

    static func sequential(_ lead: AgentDefinition) -> CrewDefinition {
        CrewDefinition(
            id: "s", name: "S", process: .sequential, agents: [lead.id, "editor", "researcher"],
            tasks: [CrewTask(id: "write", description: "Write it", expectedOutput: "Text", agent: lead.id)])
    }

    @Test(
        "allow_delegation: true gives a sequential crew's agent the two delegation tools over the crew's other agents; the coworker gets none"
    )
    func sequentialOn() async throws {
        let model = ScriptedChatModel { request in
            let system = F.system(request)
            if system.hasPrefix("You are Lead writer.") {
                if request.messages.contains(where: { if case .tool = $0 { true } else { false } }) {
                    return ScriptedChatModel.text("final with help")
                }
                return ScriptedChatModel.calls([
                    ("delegate_work", #"{"task": "Check the facts", "context": "an article", "coworker": "editor"}"#)
                ])
            }
            return ScriptedChatModel.text("facts checked")
        }
        let result = try await F.runner(model, tools: [F.calculator]).run(
            Self.sequential(Self.lead), inputs: [:], principal: .local(),
            agents: F.lookup([Self.lead, F.editor, F.researcher]), sink: RecordingEventSink())
        #expect(result.status == .succeeded)
        #expect(result.output == "final with help")
        let first = model.requests[0]
        #expect(first.tools.map(\.name) == ["delegate_work", "ask_question"])
        #expect(first.tools[0].parameters.document["properties"]?["coworker"]?["enum"] == ["editor", "researcher"])
        #expect(first.toolChoice == nil, "a sequential agent is not forced to delegate")
        let coworker = try #require(model.requests.first { F.system($0).hasPrefix("You are Editor specialist.") })
        #expect(coworker.tools.allSatisfy { !Self.delegationTools.contains($0.name) }, "one level deep")
        #expect(result.byAgent["editor"]?.calls == 1)
    }

    @Test("allow_delegation: false (the default) gives a sequential crew's agent no delegation tools")
    func sequentialOff() async throws {
        let model = ScriptedChatModel { _ in ScriptedChatModel.text("alone") }
        var lead = Self.lead
        lead.allowDelegation = false
        lead.tools = ["calculator.evaluate"]
        let result = try await F.runner(model, tools: [F.calculator]).run(
            Self.sequential(lead), inputs: [:], principal: .local(),
            agents: F.lookup([lead, F.editor, F.researcher]), sink: RecordingEventSink())
        #expect(result.status == .succeeded)
        #expect(model.requests.map { $0.tools.map(\.name) } == [["calculator-evaluate"]])
    }

    static func hierarchical(
        toolChoice: ManagerToolChoice? = nil, reminder: Bool? = nil, tools: [ToolID]? = nil
    ) -> CrewDefinition {
        CrewDefinition(
            id: "h", name: "H", process: .hierarchical, agents: ["writer", "researcher"], manager: "boss",
            tasks: [
                CrewTask(
                    id: "report", description: "Write the report", expectedOutput: "A report", agent: "researcher",
                    tools: tools)
            ], managerToolChoice: toolChoice, managerReminder: reminder)
    }

    /// A manager that answers in text at once (the failure the reminder is for).
    static func lazyManager() -> ScriptedChatModel {
        ScriptedChatModel { request in
            if F.system(request).hasPrefix("You are Team Lead.") {
                return ScriptedChatModel.text("I did it myself")
            }
            return ScriptedChatModel.text("coworker")
        }
    }

    @Test(
        "the manager's first turn on a task requires a tool call; a final answer without delegation is sent back once with a reminder"
    )
    func managerForcedAndReminded() async throws {
        let model = Self.lazyManager()
        let result = try await F.runner(model).run(
            Self.hierarchical(), inputs: [:], principal: .local(),
            agents: F.lookup([Self.boss, F.writer, F.researcher]), sink: RecordingEventSink())
        #expect(result.status == .succeeded)
        #expect(model.requests.count == 2, "one reminder, not more")
        #expect(model.requests[0].toolChoice == .required)
        #expect(model.requests[1].toolChoice == nil)
        #expect(F.lastUser(model.requests[1]) == PromptBuilder.delegationReminder)
        #expect(result.output == "I did it myself")
    }

    @Test("manager_tool_choice auto and manager_reminder false: no forced call, no reminder")
    func managerSettingsOff() async throws {
        let model = Self.lazyManager()
        let result = try await F.runner(model).run(
            Self.hierarchical(toolChoice: .auto, reminder: false), inputs: [:], principal: .local(),
            agents: F.lookup([Self.boss, F.writer, F.researcher]), sink: RecordingEventSink())
        #expect(result.status == .succeeded)
        #expect(model.requests.count == 1)
        #expect(model.requests[0].toolChoice == .auto)
    }

    @Test(
        "a hierarchical task's tools override is what the coworker is offered; a manager that delegated is not reminded"
    )
    func hierarchicalToolsOverride() async throws {
        let model = ScriptedChatModel { request in
            if F.system(request).hasPrefix("You are Team Lead.") {
                if request.messages.contains(where: { if case .tool = $0 { true } else { false } }) {
                    return ScriptedChatModel.text("report done")
                }
                return ScriptedChatModel.calls([
                    ("delegate_work", #"{"task": "Compute", "context": "6*7", "coworker": "researcher"}"#)
                ])
            }
            return ScriptedChatModel.text("42")
        }
        let lookup = ClosureTool(
            ToolSpec(id: "web.lookup", description: "Look up", parameters: .object([:]), access: .read)
        ) { _ in ToolResult(content: "found") }
        let result = try await F.runner(model, tools: [F.calculator, lookup]).run(
            Self.hierarchical(tools: ["calculator.evaluate"]), inputs: [:], principal: .local(),
            agents: F.lookup([Self.boss, F.writer, F.researcher]), sink: RecordingEventSink())
        #expect(result.status == .succeeded)
        #expect(result.output == "report done")
        let coworker = try #require(model.requests.first { F.system($0).hasPrefix("You are Researcher specialist.") })
        #expect(coworker.tools.map(\.name) == ["calculator-evaluate"], "only the task's override, not web.lookup")
        #expect(model.requests.count == 3, "manager, coworker, manager: no reminder after a delegation")
    }

    @Test("async tasks of a hierarchical crew run together, each with its own manager conversation")
    func hierarchicalAsync() async throws {
        let gate = AsyncGate(expected: 2)
        let together = ArrivalCounter()
        let model = ScriptedChatModel { request in
            // Each task's first manager call waits until both have arrived: they only both arrive if they run at once.
            if F.system(request).hasPrefix("You are Team Lead."), request.messages.count == 2, await gate.arrive() {
                await together.add()
            }
            return ScriptedChatModel.text("done")
        }
        let crew = CrewDefinition(
            id: "h", name: "H", process: .hierarchical, agents: ["writer"], manager: "boss",
            tasks: [
                CrewTask(id: "a", description: "A", expectedOutput: "A", isAsync: true),
                CrewTask(id: "b", description: "B", expectedOutput: "B", context: [], isAsync: true),
            ], managerReminder: false)
        let result = try await F.runner(model).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([Self.boss, F.writer]),
            sink: RecordingEventSink())
        #expect(result.status == .succeeded)
        #expect(result.tasks.map(\.task) == ["a", "b"])
        #expect(await together.value == 2, "both tasks' manager calls were in flight at once")
    }
}

/// Lets callers through once `expected` of them have arrived (true), or after a generous timeout, so that a test of
/// concurrency fails instead of hanging when they never do (false).
actor AsyncGate {
    private let expected: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Bool, Never>] = []

    init(expected: Int) { self.expected = expected }

    func arrive() async -> Bool {
        arrived += 1
        if arrived >= expected {
            release(true)
            return true
        }
        Task {
            try? await Task.sleep(for: .seconds(20))
            self.release(false)
        }
        return await withCheckedContinuation { waiting.append($0) }
    }

    private func release(_ together: Bool) {
        for continuation in waiting { continuation.resume(returning: together) }
        waiting = []
    }
}

/// Counts.
actor ArrivalCounter {
    private(set) var value = 0
    func add() { value += 1 }
}
