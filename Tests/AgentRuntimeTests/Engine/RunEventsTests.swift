import AgentRuntime
import AgentRuntimeTesting
import Clocks
import Foundation
import Testing

/// Whole runs compared event by event: every event a consumer (store, SSE, audit, metrics) sees, in order, with
/// every field. Time comes from a test clock, so timestamps, latencies and durations are exact.
@Suite("Engine: the full event list of a run")
struct RunEventsTests {
    typealias F = EngineFixtures

    struct Event: Equatable, CustomStringConvertible {
        var sequence: Int
        var path: [String]
        var kind: RunEvent.Kind
        var description: String { "\(sequence) \(path) \(kind)" }
    }

    static let price = ModelPrice(input: 1, output: 2)
    static let usage = TokenUsage(inputTokens: 10, outputTokens: 5)
    static let call = price.cost(of: usage)
    static let model = "scripted/default"
    static let writerSystem = """
        You are Writer for {company}.
        An expert in writer.

        Your personal goal is: Do writer work

        Use the tools available to you when they help; when you have what you need, give your final answer directly.
        """

    func run(
        _ crew: CrewDefinition, _ inputs: [String: JSONValue], agents: [AgentDefinition], model: ScriptedChatModel
    ) async throws -> (RunResult, [Event], [RunEvent]) {
        let clock = TestClock()
        let sink = RecordingEventSink()
        let result = try await F.runner(model, tools: [F.calculator], time: TimeSource(clock)).run(
            crew, inputs: inputs, principal: .local(), agents: F.lookup(agents), runID: "run-1", sink: sink)
        let events = await sink.events
        return (result, events.map { Event(sequence: $0.sequence, path: $0.agentPath, kind: $0.kind) }, events)
    }

    @Test("sequential: a tool call, its result, a second task with the first one's output as context")
    func sequential() async throws {
        let crew = CrewDefinition(
            id: "report", name: "Report", process: .sequential, agents: ["researcher", "writer"],
            inputs: [CrewInput(name: "topic")],
            tasks: [
                CrewTask(
                    id: "research", description: "Find the number for {topic}", expectedOutput: "A number",
                    agent: "researcher"),
                CrewTask(id: "write", description: "Write one line", expectedOutput: "A line", agent: "writer"),
            ])
        let model = ScriptedChatModel { request in
            if F.system(request).hasPrefix("You are Researcher specialist.") {
                return request.messages.count == 2
                    ? ScriptedChatModel.calls([("calculator-evaluate", #"{"expression": "6*7"}"#)])
                    : ScriptedChatModel.text("It is 42.")
            }
            return ScriptedChatModel.text("Pricing: 42.")
        }
        let (result, events, raw) = try await run(
            crew, ["topic": "pricing"], agents: [F.researcher, F.writer], model: model)
        #expect(result.status == .succeeded)
        let researcher = ["researcher"]
        let writer = ["writer"]
        let expected: [Event] = [
            Event(sequence: 1, path: [], kind: .runStarted(crew: "report", inputs: ["topic": "pricing"])),
            Event(sequence: 2, path: researcher, kind: .taskStarted(task: "research", agent: "researcher")),
            Event(
                sequence: 3, path: researcher,
                kind: .prompt(
                    system: """
                        You are Researcher specialist.
                        An expert in researcher.

                        Your personal goal is: Do researcher work

                        Use the tools available to you when they help; when you have what you need, give your final answer directly.
                        """,
                    user: """
                        Current task: Find the number for pricing

                        This is the expected criteria for your final answer: A number
                        You must return the actual complete content as the final answer, not a summary.
                        """,
                    tools: ["calculator-evaluate"])),
            Event(sequence: 4, path: researcher, kind: .llmRequest(model: Self.model, messageCount: 2, toolCount: 1)),
            Event(
                sequence: 5, path: researcher,
                kind: .llmResponse(
                    model: Self.model, usage: Self.usage, costUSD: Self.call, latencyMS: 0, finishReason: "tool_calls")),
            Event(
                sequence: 6, path: researcher,
                kind: .toolStarted(callID: "call_1", tool: "calculator.evaluate", arguments: #"{"expression": "6*7"}"#)),
            Event(
                sequence: 7, path: researcher,
                kind: .toolFinished(
                    callID: "call_1", tool: "calculator.evaluate", outcome: .success, durationMS: 0, result: "42")),
            Event(sequence: 8, path: researcher, kind: .llmRequest(model: Self.model, messageCount: 4, toolCount: 1)),
            Event(
                sequence: 9, path: researcher,
                kind: .llmResponse(
                    model: Self.model, usage: Self.usage, costUSD: Self.call, latencyMS: 0, finishReason: "stop")),
            Event(
                sequence: 10, path: researcher,
                kind: .taskFinished(
                    task: "research", agent: "researcher", output: "It is 42.",
                    usage: TokenUsage(inputTokens: 20, outputTokens: 10), costUSD: Self.call + Self.call)),
            Event(sequence: 11, path: writer, kind: .taskStarted(task: "write", agent: "writer")),
            Event(
                sequence: 12, path: writer,
                kind: .prompt(
                    system: Self.writerSystem,
                    user: """
                        Current task: Write one line

                        This is the expected criteria for your final answer: A line
                        You must return the actual complete content as the final answer, not a summary.

                        This is the context from earlier tasks:

                        ## Output of task "research"
                        It is 42.

                        """,
                    tools: [])),
            Event(sequence: 13, path: writer, kind: .llmRequest(model: Self.model, messageCount: 2, toolCount: 0)),
            Event(
                sequence: 14, path: writer,
                kind: .llmResponse(
                    model: Self.model, usage: Self.usage, costUSD: Self.call, latencyMS: 0, finishReason: "stop")),
            Event(
                sequence: 15, path: writer,
                kind: .taskFinished(
                    task: "write", agent: "writer", output: "Pricing: 42.", usage: Self.usage, costUSD: Self.call)),
            Event(sequence: 16, path: [], kind: .runFinished(status: .succeeded, output: "Pricing: 42.")),
        ]
        #expect(events.count == expected.count)
        for (got, want) in zip(events, expected) { #expect(got == want) }
        #expect(raw.allSatisfy { $0.runID == "run-1" && $0.timestamp == raw[0].timestamp }, "the clock did not move")
    }

    @Test(
        "hierarchical: the manager delegates, the coworker's events nest under it, and a bad coworker name is the manager's to fix"
    )
    func hierarchical() async throws {
        let boss = AgentDefinition(
            id: "boss", name: "Boss", category: "orchestration", role: "Team Lead", goal: "Lead", backstory: "Leads.",
            allowDelegation: true)
        let crew = CrewDefinition(
            id: "h", name: "H", process: .hierarchical, agents: ["writer"], manager: "boss",
            tasks: [CrewTask(id: "report", description: "Write the report", expectedOutput: "A report")])
        let model = ScriptedChatModel { request in
            guard F.system(request).hasPrefix("You are Team Lead.") else {
                return ScriptedChatModel.text("Draft ready.")
            }
            switch request.messages.count {
            case 2:
                return ScriptedChatModel.calls([
                    ("delegate_work", #"{"task": "Draft it", "context": "Q3", "coworker": "nobody"}"#)
                ])
            case 4:
                return ScriptedChatModel.calls([
                    ("delegate_work", #"{"task": "Draft it", "context": "Q3", "coworker": "writer"}"#)
                ])
            default: return ScriptedChatModel.text("Report: Draft ready.")
            }
        }
        let (result, events, _) = try await run(crew, [:], agents: [boss, F.writer], model: model)
        #expect(result.status == .succeeded)
        let manager = ["boss"]
        let coworker = ["boss", "writer"]
        let badCall = #"{"task": "Draft it", "context": "Q3", "coworker": "nobody"}"#
        let goodCall = #"{"task": "Draft it", "context": "Q3", "coworker": "writer"}"#
        let expected: [Event] = [
            Event(sequence: 1, path: [], kind: .runStarted(crew: "h", inputs: [:])),
            Event(sequence: 2, path: manager, kind: .taskStarted(task: "report", agent: "boss")),
            Event(
                sequence: 3, path: manager,
                kind: .prompt(
                    system: """
                        You are Team Lead.
                        Leads.

                        Your personal goal is: Lead

                        Use the tools available to you when they help; when you have what you need, give your final answer directly.
                        """,
                    user: """
                        Current task: Write the report

                        This is the expected criteria for your final answer: A report
                        You must return the actual complete content as the final answer, not a summary.
                        """,
                    tools: ["delegate_work", "ask_question"])),
            Event(sequence: 4, path: manager, kind: .llmRequest(model: Self.model, messageCount: 2, toolCount: 2)),
            Event(
                sequence: 5, path: manager,
                kind: .llmResponse(
                    model: Self.model, usage: Self.usage, costUSD: Self.call, latencyMS: 0, finishReason: "tool_calls")),
            Event(
                sequence: 6, path: manager,
                kind: .toolStarted(callID: "call_1", tool: "delegate_work", arguments: badCall)),
            Event(
                sequence: 7, path: manager,
                kind: .toolFinished(
                    callID: "call_1", tool: "delegate_work", outcome: .error, durationMS: 0,
                    result: "Error: unknown coworker \"nobody\". Valid coworkers: writer (Writer for {company})")),
            Event(sequence: 8, path: manager, kind: .llmRequest(model: Self.model, messageCount: 4, toolCount: 2)),
            Event(
                sequence: 9, path: manager,
                kind: .llmResponse(
                    model: Self.model, usage: Self.usage, costUSD: Self.call, latencyMS: 0, finishReason: "tool_calls")),
            Event(
                sequence: 10, path: manager,
                kind: .toolStarted(callID: "call_1", tool: "delegate_work", arguments: goodCall)),
            Event(
                sequence: 11, path: coworker,
                kind: .delegationStarted(coworker: "writer", kind: .delegate, task: "Draft it")),
            Event(
                sequence: 12, path: coworker,
                kind: .prompt(
                    system: Self.writerSystem,
                    user: """
                        Current task: Draft it

                        This is the expected criteria for your final answer: A report
                        You must return the actual complete content as the final answer, not a summary.

                        This is the context you're working with:
                        Q3
                        """,
                    tools: [])),
            Event(sequence: 13, path: coworker, kind: .llmRequest(model: Self.model, messageCount: 2, toolCount: 0)),
            Event(
                sequence: 14, path: coworker,
                kind: .llmResponse(
                    model: Self.model, usage: Self.usage, costUSD: Self.call, latencyMS: 0, finishReason: "stop")),
            Event(sequence: 15, path: coworker, kind: .delegationFinished(coworker: "writer", output: "Draft ready.")),
            Event(
                sequence: 16, path: manager,
                kind: .toolFinished(
                    callID: "call_1", tool: "delegate_work", outcome: .success, durationMS: 0, result: "Draft ready.")),
            Event(sequence: 17, path: manager, kind: .llmRequest(model: Self.model, messageCount: 6, toolCount: 2)),
            Event(
                sequence: 18, path: manager,
                kind: .llmResponse(
                    model: Self.model, usage: Self.usage, costUSD: Self.call, latencyMS: 0, finishReason: "stop")),
            Event(
                sequence: 19, path: manager,
                kind: .taskFinished(
                    task: "report", agent: "boss", output: "Report: Draft ready.",
                    usage: TokenUsage(inputTokens: 40, outputTokens: 20),
                    costUSD: Self.call + Self.call + Self.call + Self.call)),
            Event(sequence: 20, path: [], kind: .runFinished(status: .succeeded, output: "Report: Draft ready.")),
        ]
        #expect(events.count == expected.count)
        for (got, want) in zip(events, expected) { #expect(got == want) }
    }
}
