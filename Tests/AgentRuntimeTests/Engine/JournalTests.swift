import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// Runs carried on from their journal: what an earlier attempt finished is answered from the store, never asked or
/// done again.
@Suite("Engine: the run journal")
struct JournalTests {
    typealias F = EngineFixtures

    static func writeTool() -> ClosureTool {
        ClosureTool(
            ToolSpec(
                id: "crm.create_contact", description: "Create a contact",
                parameters: .object(["email": ["type": "string"]], required: ["email"]), access: .write)
        ) { arguments in
            ToolResult(content: "created \(arguments["email"]?.stringValue ?? "?")")
        }
    }

    static let agent = F.agent("closer", tools: ["crm.create_contact"])
    static let crew = CrewDefinition(
        id: "pipeline", name: "Pipeline", process: .sequential, agents: [agent.id],
        tasks: [
            CrewTask(
                id: "first", description: "Task one: add the lead", expectedOutput: "Confirmation", agent: agent.id),
            CrewTask(id: "second", description: "Task two: summarise", expectedOutput: "Summary", agent: agent.id),
        ])

    /// Task one calls the write tool then answers; task two answers, unless `failSecond` (the "crash").
    static func model(failSecond: Bool) -> ScriptedChatModel {
        ScriptedChatModel { request in
            let hasResult = request.messages.contains { if case .tool = $0 { return true } else { return false } }
            if request.messages.contains(where: {
                if case .user(let text) = $0 { return text.contains("Task two") } else { return false }
            }) {
                if failSecond { throw ProviderError(code: .server, message: "the process died", provider: "test") }
                return ScriptedChatModel.text(
                    "Summary: one contact added", usage: TokenUsage(inputTokens: 30, outputTokens: 5))
            }
            let usage = TokenUsage(inputTokens: 10, outputTokens: 2)
            return hasResult
                ? ScriptedChatModel.text("Added ada@example.com", usage: usage)
                : ScriptedChatModel.calls([("crm-create_contact", #"{"email": "ada@example.com"}"#)], usage: usage)
        }
    }

    @Test(
        "a second attempt answers finished steps from the journal: no model call paid twice, no write done twice",
        arguments: [false, true])
    func resume(streaming: Bool) async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        let runID = RunID("run-journal-\(streaming)")
        let tool = Self.writeTool()
        var limits = RunLimits()
        limits.maxToolMistakesPerTask = 2

        let first = Self.model(failSecond: true)
        let crashed = try await F.runner(first, tools: [tool], limits: limits, streaming: streaming).run(
            Self.crew, inputs: [:], principal: .local(), agents: F.lookup([Self.agent]), runID: runID,
            sink: RecordingEventSink(), journal: store)
        #expect(crashed.status == .failed)
        #expect(first.requests.count == 3, "task one: tool call, answer; task two: the failing call")
        #expect(tool.callCount == 1)
        let journaled = try await store.journal(of: runID)
        #expect(
            journaled.map(\.kind) == [.model, .toolStarted, .tool, .model],
            "a write is marked as sent before it goes out")
        #expect(journaled.map(\.step) == [1, 2, 3, 4])
        #expect(Set(journaled.map(\.attempt)) == [1])

        let second = Self.model(failSecond: false)
        let sink = RecordingEventSink()
        let resumed = try await F.runner(second, tools: [tool], limits: limits, streaming: streaming).run(
            Self.crew, inputs: [:], principal: .local(), agents: F.lookup([Self.agent]), runID: runID, sink: sink,
            journal: store, attempt: 2)
        #expect(resumed.status == .succeeded)
        #expect(resumed.output == "Summary: one contact added")
        #expect(second.requests.count == 1, "only task two's call is made again")
        #expect(F.lastUser(second.requests[0]).contains("Task two"))
        #expect(tool.callCount == 1, "the write ran once across both attempts")
        #expect(
            resumed.usage == TokenUsage(inputTokens: 50, outputTokens: 9), "the usage of the journaled calls counts")
        #expect(resumed.tasks.first?.text == "Added ada@example.com")
        let after = try await store.journal(of: runID)
        #expect(after.map(\.step) == [1, 2, 3, 4, 5])
        #expect(after.last?.attempt == 2)
        let events = await sink.events.map(\.kindName)
        #expect(
            events.filter { $0 == "tool_started" }.count == 1, "the replayed tool call still shows in the run's events")
    }

    @Test("a refused approval is journaled too: the resumed run does not ask again")
    func refusalJournaled() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        let spec = ToolSpec(
            id: "crm.create_contact", description: "Create",
            parameters: .object(["email": ["type": "string"]], required: ["email"]), access: .write,
            requiresApproval: true)
        let tool = ClosureTool(spec) { _ in ToolResult(content: "created") }
        let gate = CountingRejectGate()
        let environment = EngineEnvironment(
            models: ScriptedModelResolver(Self.model(failSecond: true)), tools: ToolRegistry([tool]), streaming: false,
            approvals: gate)
        _ = try await CrewRunner(environment: environment).run(
            Self.crew, inputs: [:], principal: .local(), agents: F.lookup([Self.agent]), runID: "run-refused",
            sink: RecordingEventSink(), journal: store)
        #expect(gate.count == 1)
        var again = environment
        again.models = ScriptedModelResolver(Self.model(failSecond: false))
        let resumed = try await CrewRunner(environment: again).run(
            Self.crew, inputs: [:], principal: .local(), agents: F.lookup([Self.agent]), runID: "run-refused",
            sink: RecordingEventSink(), journal: store, attempt: 2)
        #expect(resumed.status == .succeeded)
        #expect(gate.count == 1, "the decision was journaled; nobody is asked twice")
        #expect(tool.callCount == 0)
    }
}

extension JournalTests {
    @Test(
        "a write sent by an attempt that died before its result is not repeated blindly: the run fails, or a human approves and it goes out again with the same idempotency key"
    )
    func uncertainWrite() async throws {
        for askApproval in [false, true] {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
            let runID = RunID("run-uncertain-\(askApproval)")
            let tool = DyingWriteTool()
            var environment = EngineEnvironment(
                models: ScriptedModelResolver(Self.model(failSecond: false)), tools: ToolRegistry([tool]),
                streaming: false,
                approvals: askApproval ? ApprovingGate() : nil)
            environment.uncertainSideEffects = askApproval ? .askApproval : .fail
            let crashed = try await CrewRunner(environment: environment).run(
                Self.crew, inputs: [:], principal: .local(), agents: F.lookup([Self.agent]), runID: runID,
                sink: RecordingEventSink(), journal: store)
            #expect(crashed.status == .cancelled, "the process 'died' while the write was in flight")
            #expect(try await store.journal(of: runID).map(\.kind) == [.model, .toolStarted])

            let resumed = try await CrewRunner(environment: environment).run(
                Self.crew, inputs: [:], principal: .local(), agents: F.lookup([Self.agent]), runID: runID,
                sink: RecordingEventSink(), journal: store, attempt: 2)
            if askApproval {
                #expect(resumed.status == .succeeded)
                #expect(tool.keys.count == 2)
                #expect(
                    tool.keys.first == tool.keys.last, "the repeated call carries the first attempt's idempotency key")
            } else {
                #expect(resumed.status == .failed)
                #expect(resumed.error == .uncertainSideEffect(tool: "crm.create_contact"))
                #expect(tool.keys.count == 1, "not sent again")
            }
        }
    }
}

/// A write tool that records each call's idempotency key; its first call never returns (the process "dies").
final class DyingWriteTool: Tool, @unchecked Sendable {
    let spec: ToolSpec

    init(
        spec: ToolSpec = ToolSpec(
            id: "crm.create_contact", description: "Create",
            parameters: .object(["email": ["type": "string"]], required: ["email"]), access: .write)
    ) {
        self.spec = spec
    }

    private let lock = NSLock()
    private var seen: [String?] = []
    var keys: [String?] { lock.withLock { seen } }

    func call(_ arguments: JSONValue, context: ToolContext) async throws -> ToolResult {
        let first: Bool = lock.withLock {
            seen.append(context.idempotencyKey)
            return seen.count == 1
        }
        if first { throw CancellationError() }
        return ToolResult(content: "created")
    }
}

/// Approves every request.
struct ApprovingGate: ApprovalGate {
    func decide(_ request: ApprovalRequest) async throws -> ApprovalDecision {
        ApprovalDecision(approved: true, by: "reviewer")
    }
}

/// Rejects every request and counts them.
final class CountingRejectGate: ApprovalGate, @unchecked Sendable {
    private let lock = NSLock()
    private var asked = 0
    var count: Int { lock.withLock { asked } }

    func decide(_ request: ApprovalRequest) async throws -> ApprovalDecision {
        lock.withLock { asked += 1 }
        return ApprovalDecision(approved: false, by: "reviewer", comment: "no")
    }
}

extension JournalTests {
    @Test("two callers resuming the same run at once: exactly one gets the attempt")
    func exclusiveResume() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        let lifecycle = RunLifecycle(store: store)
        let (record, _) = try await lifecycle.submit(
            Self.crew, inputs: [:], principal: .local(), agents: F.lookup([Self.agent]))
        try await lifecycle.interrupt(record.id)
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for worker in 0..<8 {
                // Eight workers on one store.
                let other = RunLifecycle(store: store, keeper: LeaseKeeper(store: store, worker: "host:1:w\(worker)"))
                group.addTask { try await other.prepareResume(record.id, tenant: nil) != nil }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
        #expect(try await store.definition(of: record.id)?.attempt == 2)
    }

    @Test("a refused call and a later identical call that was sent when the process died are told apart on resume")
    func refusalThenUncertain() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        let spec = ToolSpec(
            id: "crm.create_contact", description: "Create",
            parameters: .object(["email": ["type": "string"]], required: ["email"]), access: .write,
            requiresApproval: true)
        let tool = DyingWriteTool(spec: spec)
        // The model asks for the same write until it has a result that is not a refusal.
        let model = ScriptedChatModel { request in
            let results = request.messages.compactMap { message -> String? in
                if case .tool(_, _, let content, _) = message { return content } else { return nil }
            }
            if results.contains(where: { !$0.contains("not approved") }) || results.count >= 2 {
                return ScriptedChatModel.text("done")
            }
            return ScriptedChatModel.calls([("crm-create_contact", #"{"email": "ada@example.com"}"#)])
        }
        var environment = EngineEnvironment(
            models: ScriptedModelResolver(model), tools: ToolRegistry([tool]), streaming: false,
            approvals: AlternatingGate())
        environment.uncertainSideEffects = .fail
        let task = CrewTask(
            id: "only", description: "Add the lead", expectedOutput: "Confirmation", agent: Self.agent.id)
        let crew = CrewDefinition(id: "one", name: "One", process: .sequential, agents: [Self.agent.id], tasks: [task])
        let first = try await CrewRunner(environment: environment).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([Self.agent]), runID: "run-pairing",
            sink: RecordingEventSink(), journal: store)
        #expect(first.status == .cancelled, "refused once, then approved and sent when the process 'died'")
        #expect(tool.keys.count == 1)
        let resumed = try await CrewRunner(environment: environment).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([Self.agent]), runID: "run-pairing",
            sink: RecordingEventSink(), journal: store, attempt: 2)
        #expect(
            resumed.error == .uncertainSideEffect(tool: "crm.create_contact"),
            "the second call is the uncertain one, not the refused first")
        #expect(tool.keys.count == 1, "not sent again")
    }
}

/// Rejects the first request, approves the next, and so on.
final class AlternatingGate: ApprovalGate, @unchecked Sendable {
    private let lock = NSLock()
    private var asked = 0

    func decide(_ request: ApprovalRequest) async throws -> ApprovalDecision {
        let count = lock.withLock {
            asked += 1
            return asked
        }
        return ApprovalDecision(approved: count % 2 == 0, by: "reviewer")
    }
}
