import AgentRuntime
import AgentRuntimeTesting
import Clocks
import Foundation
import Testing
import Tools

@Suite("Approvals", .serialized)
struct ApprovalTests {
    static let publish = ClosureTool(
        ToolSpec(
            id: "wordpress.create_post", description: "Publish", parameters: JSONSchema(["type": "object"]),
            access: .write, requiresApproval: true)
    ) { _ in
        ToolResult(content: "published")
    }
    static let agent = AgentDefinition(
        id: "writer", name: "W", category: "marketing", role: "Writer", goal: "g", backstory: "b",
        tools: ["wordpress.create_post"])
    static let crew = CrewDefinition(
        id: "c", name: "C", process: .sequential, agents: ["writer"],
        tasks: [CrewTask(id: "t", description: "Publish it", expectedOutput: "e", agent: "writer")])

    private func run(
        _ store: SQLiteRunStore?, expiry: Duration = .seconds(30), time: TimeSource = .system,
        decide: @escaping @Sendable (SQLiteRunStore, String) async throws -> Void
    ) async throws -> (RunResult, ScriptedChatModel, RecordingEventSink) {
        let model = ScriptedChatModel { request in
            request.messages.contains { if case .tool = $0 { true } else { false } }
                ? ScriptedChatModel.text("finished")
                : ScriptedChatModel.calls([("wordpress-create_post", #"{"title": "Launch"}"#)])
        }
        let gate = store.map {
            StoreApprovalGate(store: $0, expiry: expiry, pollInterval: .milliseconds(20), time: time)
        }
        let environment = EngineEnvironment(
            models: ScriptedModelResolver(model), tools: ToolRegistry([Self.publish]), streaming: false, approvals: gate
        )
        let sink = RecordingEventSink()
        let principal = Principal(tenant: "acme", user: "ada", roles: [.tenantAdmin])
        let runID = RunID(UUID().uuidString)
        if let store {
            try await store.insert(
                RunRecord(id: runID, tenant: "acme", user: "ada", crew: "c", status: .running, inputs: [:]))
        }
        async let result = CrewRunner(environment: environment).run(
            Self.crew, inputs: [:], principal: principal, agents: { _ in Self.agent }, runID: runID, sink: sink)
        if let store {
            // Wait for the pending approval, check the run is paused, then decide.
            var pending: ApprovalRecord?
            for _ in 0..<200 where pending == nil {
                pending = try await store.approvals(tenant: "acme", runID: runID, status: "pending").first
                if pending == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            let approval = try #require(pending)
            #expect(try await store.run(runID, tenant: "acme")?.status == .awaitingApproval)
            #expect(approval.request.tool == "wordpress.create_post")
            try await decide(store, approval.request.id)
        }
        return (try await result, model, sink)
    }

    @Test("an approved call runs; the run pauses as awaiting_approval until then")
    func approved() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("r.sqlite").path)
        let before = Self.publish.callCount
        let (result, _, sink) = try await run(store) { store, id async throws in
            #expect(
                try await store.decideApproval(id, tenant: "globex", approved: true, by: "mallory", comment: "")
                    == false, "another tenant cannot decide")
            #expect(
                try await store.decideApproval(id, tenant: "acme", approved: true, by: "boss", comment: "ok") == true)
        }
        #expect(result.output == "finished")
        #expect(Self.publish.callCount == before + 1)
        #expect(await sink.kinds.contains("awaiting_approval"))
        #expect(await sink.events.first { $0.kindName == "approval_decided" }?.payload["approved"] == true)
    }

    @Test("a rejected call is returned to the model as a refusal and never runs")
    func rejected() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("r.sqlite").path)
        let before = Self.publish.callCount
        let (result, model, _) = try await run(store) { store, id async throws in
            _ = try await store.decideApproval(
                id, tenant: "acme", approved: false, by: "boss", comment: "not on a Friday")
        }
        #expect(result.status == .succeeded)
        #expect(Self.publish.callCount == before)
        guard case .tool(_, _, let content, true)? = model.requests.last?.messages.last else {
            Issue.record("no refusal")
            return
        }
        #expect(
            content
                == "Error: wordpress-create_post was not approved (a human rejected it: not on a Friday). Do not retry it; continue without it."
        )
    }

    @Test(
        "an undecided request expires and counts as rejected; without an approval channel the call is refused",
        .timeLimit(.minutes(1)))
    func expiryAndNoGate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("r.sqlite").path)
        let clock = TestClock()
        let (expired, model, expirySink) = try await run(store, expiry: .milliseconds(300), time: TimeSource(clock)) {
            store, id async throws in
            await clock.advance(by: .milliseconds(299))
            #expect(
                try await store.approval(id, tenant: "acme")?.status == "pending", "not expired a millisecond early")
            await clock.advance(by: .milliseconds(1))
        }
        #expect(expired.status == .succeeded)
        #expect(await expirySink.events.first { $0.kindName == "approval_decided" }?.payload["by"] == "expiry")
        guard case .tool(_, _, let content, true)? = model.requests.last?.messages.last else {
            Issue.record("no refusal")
            return
        }
        #expect(content.contains("the approval request expired without a decision"))
        #expect(try await store.approvals(tenant: "acme", status: "expired").count == 1)

        let before = Self.publish.callCount
        let (refused, _, sink) = try await run(nil) { _, _ in }
        #expect(refused.status == .succeeded)
        #expect(Self.publish.callCount == before)
        #expect(
            await sink.events.first { $0.kindName == "tool_denied" }?.payload["reason"]
                == "needs human approval, and no approval channel is configured")
    }

    @Test("the audit log is append-only and redacts secret-looking arguments")
    func auditLog() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("r.sqlite").path)
        let sink = AuditEventSink(
            store: store, principal: Principal(tenant: "acme", user: "ada", roles: [.tenantAdmin]))
        await sink.emit(
            RunEvent(
                runID: "r", sequence: 1, timestamp: Date(), agentPath: ["writer"],
                kind: .toolStarted(
                    callID: "c1", tool: "x.y",
                    arguments: #"{"email": "a@b.c", "password": "hunter22", "note": "key sk-live-ABCDEFGHIJKLMNOP"}"#)))
        await sink.emit(
            RunEvent(
                runID: "r", sequence: 2, timestamp: Date(), agentPath: ["writer"],
                kind: .toolFinished(callID: "c1", tool: "x.y", outcome: .success, durationMS: 12, result: "ok")))
        let entries = try await store.audit(tenant: "acme", since: nil)
        #expect(entries.count == 1)
        #expect(entries[0].arguments == #"{"email":"a@b.c","password":"[REDACTED]","note":"key [REDACTED]"}"#)
        #expect(entries[0].outcome == "allowed" && entries[0].durationMS == 12 && entries[0].roles == ["tenant_admin"])
        #expect(try await store.audit(tenant: "globex", since: nil).isEmpty)
    }
}
