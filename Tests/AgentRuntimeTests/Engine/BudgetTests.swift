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
        "tenant spend caps: every run's calls are booked per tenant and day; a cap reached refuses new calls with budget_exhausted; a new day or month starts afresh; other tenants are not affected"
    )
    func spendCaps() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        let clock = TestClock()
        // 2026-12-30 12:00 UTC: the next day is still December, the one after is January.
        let time = TimeSource(clock, epoch: Date(timeIntervalSince1970: 1_798_632_000))
        // Every call: 125k tokens in at $1 and 62.5k out at $2 per million, $0.25 (exact in binary, as sums are).
        let model = ScriptedChatModel { _ in
            ScriptedChatModel.text("done", usage: TokenUsage(inputTokens: 125_000, outputTokens: 62_500))
        }
        var environment = EngineEnvironment(models: ScriptedModelResolver(model), tools: ToolRegistry([]))
        environment.time = time
        environment.spendLedger = store
        environment.spendCaps = SpendCaps(perDayUSD: 1, perMonthUSD: 1.25)
        let runner = CrewRunner(environment: environment)
        let acme = Principal(tenant: "acme", user: "ada", roles: [.tenantUser])
        func run(_ principal: Principal) async throws -> RunResult {
            try await runner.run(
                crew, inputs: [:], principal: principal, agents: F.lookup([F.editor, F.researcher]),
                sink: RecordingEventSink())
        }
        #expect(try await run(acme).status == .succeeded)  // $0.50
        #expect(try await run(acme).status == .succeeded)  // checked at $0.50 and $0.75: $1.00
        let refused = try await run(acme)
        #expect(refused.status == .failed && refused.error?.code == "budget_exhausted")
        #expect(refused.costUSD == 0 && model.requests.count == 4)
        #expect(
            refused.error?.description
                == "the tenant's daily spend cap of $1.00 is reached ($1.0000 spent today, UTC); new model calls are refused until it resets"
        )
        #expect(try await run(Principal(tenant: "globex", user: "bo", roles: [.tenantUser])).status == .succeeded)

        await clock.advance(by: .seconds(86_400))  // 31 December: a new day, the same month ($1.00 of $1.25)
        let monthly = try await run(acme)  // one call at $1.00 ($1.25), the next refused
        #expect(monthly.status == .failed && monthly.tasks.map(\.text) == ["done"])
        #expect(
            monthly.error?.description.hasPrefix("the tenant's monthly spend cap of $1.25 is reached ($1.2500") == true)
        let day = SpendDay(time.now)
        #expect(day.description == "2026-12-31")
        #expect(try await store.spend(tenant: "acme", day: day) == TenantSpend(day: 0.25, month: 1.25))

        await clock.advance(by: .seconds(86_400))  // 1 January: a new month
        #expect(try await run(acme).status == .succeeded)
        #expect(try await store.spend(tenant: "acme", day: SpendDay(time.now)) == TenantSpend(day: 0.5, month: 0.5))
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
        // Well under the model's 30 s, with room for a test machine whose cores the rest of the suite keeps busy.
        #expect(ContinuousClock.now - cancelled < .seconds(15), "the 30 s model call was abandoned")
        #expect(result.status == .cancelled)
        #expect(result.error == .cancelled)
        #expect(await sink.events.last?.kindName == "run_cancelled")
    }
}
