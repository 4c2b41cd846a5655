import AgentRuntime
import AgentRuntimeTesting
import Clocks
import Foundation
import Testing

@Suite("Engine: budgets and cancellation")
struct BudgetTests {
    typealias F = EngineFixtures

    let crew = CrewDefinition(
        id: "two", name: "Two", process: .sequential, agents: ["editor", "researcher"],
        tasks: [
            CrewTask(id: "first", description: "first", expectedOutput: "x", agent: "editor"),
            CrewTask(id: "second", description: "second", expectedOutput: "x", agent: "researcher"),
        ])

    private func run(_ limits: RunLimits, _ model: ScriptedChatModel) async throws -> (RunResult, RecordingEventSink) {
        let sink = RecordingEventSink()
        let result = try await F.runner(model, tools: [F.calculator], limits: limits).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([F.editor, F.researcher]), sink: sink)
        return (result, sink)
    }

    private let looping = ScriptedChatModel { request in
        F.lastUser(request).contains("Current task: first") && request.messages.count == 2
            ? ScriptedChatModel.text("first done", usage: TokenUsage(inputTokens: 100, outputTokens: 100))
            : ScriptedChatModel.calls(
                [("calculator-evaluate", #"{"expression": "6*7", "nonce": \#(Int.random(in: 0...1_000_000_000))}"#)],
                usage: TokenUsage(inputTokens: 100, outputTokens: 100))
    }

    @Test(
        "each limit ends the run as failed, names the limit, and keeps finished task outputs",
        arguments: [
            ("max_llm_calls", RunLimits(maxLLMCalls: 3)),
            ("max_tokens", RunLimits(maxTokens: 500)),
            ("max_cost_usd", RunLimits(maxCostUSD: 0.0009)),
        ])
    func limit(name: String, limits: RunLimits) async throws {
        let calculator = ClosureTool(
            ToolSpec(
                id: "calculator.evaluate", description: "x", parameters: JSONSchema(["type": "object"]), access: .read)
        ) { _ in ToolResult(content: "42") }
        let sink = RecordingEventSink()
        let result = try await F.runner(looping, tools: [calculator], limits: limits).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([F.editor, F.researcher]), sink: sink)
        #expect(result.status == .failed)
        guard case .budgetExceeded(let limit, _)? = result.error else {
            Issue.record("\(String(describing: result.error))")
            return
        }
        #expect(limit == name)
        #expect(result.tasks.map(\.text) == ["first done"])
        #expect(await sink.events.last?.kindName == "run_failed")
        #expect(await sink.events.last?.payload["code"] == "budget_exceeded")
    }

    @Test(
        "the wall-time limit ends the run when the clock passes it, cancelling the model call in flight",
        .timeLimit(.minutes(1)))
    func wallTime() async throws {
        let clock = TestClock()
        let entered = AsyncStream<Void>.makeStream()
        let model = ScriptedChatModel { _ in
            entered.continuation.yield()
            try await clock.sleep(for: .seconds(30))
            return ScriptedChatModel.text("late")
        }
        let sink = RecordingEventSink()
        let runner = F.runner(
            model, tools: [F.calculator], limits: RunLimits(maxWallTimeSeconds: 0.3), time: TimeSource(clock))
        let crew = self.crew
        let run = Task {
            try await runner.run(
                crew, inputs: [:], principal: .local(), agents: F.lookup([F.editor, F.researcher]), sink: sink)
        }
        var iterator = entered.stream.makeAsyncIterator()
        _ = await iterator.next()
        await clock.advance(by: .milliseconds(300))
        let result = try await run.value
        #expect(result.status == .failed)
        #expect(
            result.error == .budgetExceeded(limit: "max_wall_time_seconds", detail: "the run took longer than 0.3 s"))
        #expect(result.duration == .milliseconds(300))
        #expect(
            await sink.kinds == ["run_started", "task_started", "prompt", "llm_request", "run_failed"],
            "the 30 s call was abandoned")
    }

    @Test("the delegation limit stops a manager that delegates too much")
    func delegations() async throws {
        let boss = AgentDefinition(
            id: "boss", name: "Boss", category: "x", role: "Boss", goal: "g", backstory: "b", allowDelegation: true)
        let crew = CrewDefinition(
            id: "h", name: "H", process: .hierarchical, agents: ["editor"], manager: "boss",
            tasks: [CrewTask(id: "t", description: "d", expectedOutput: "e")])
        let model = ScriptedChatModel { request in
            F.system(request).hasPrefix("You are Boss.")
                ? ScriptedChatModel.calls([
                    (
                        "delegate_work",
                        #"{"task": "again \#(Int.random(in: 0...1_000_000))", "context": "c", "coworker": "editor"}"#
                    )
                ])
                : ScriptedChatModel.text("ok")
        }
        let result = try await F.runner(model, limits: RunLimits(maxDelegations: 2)).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([boss, F.editor]), sink: RecordingEventSink())
        guard case .budgetExceeded("max_delegations", _)? = result.error else {
            Issue.record("\(String(describing: result.error))")
            return
        }
        #expect(result.status == .failed)
    }

    @Test("cancelling a run stops the model call in flight and records the run as cancelled")
    func cancellation() async throws {
        let entered = AsyncStream<Void>.makeStream()
        let model = ScriptedChatModel { _ in
            entered.continuation.yield()
            try await Task.sleep(for: .seconds(30))
            return ScriptedChatModel.text("late")
        }
        let sink = RecordingEventSink()
        let runner = F.runner(model, streaming: true)
        let crew = self.crew
        let task = Task {
            try await runner.run(
                crew, inputs: [:], principal: .local(), agents: F.lookup([F.editor, F.researcher]), sink: sink)
        }
        var iterator = entered.stream.makeAsyncIterator()
        _ = await iterator.next()
        let cancelled = ContinuousClock.now
        task.cancel()
        let result = try await task.value
        #expect(ContinuousClock.now - cancelled < .seconds(5), "the 30 s model call was abandoned")
        #expect(result.status == .cancelled)
        #expect(result.error == .cancelled)
        #expect(await sink.events.last?.kindName == "run_cancelled")
    }
}
