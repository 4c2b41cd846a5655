import AgentRuntime
import AgentRuntimeTesting
import Foundation
import PostgresStore
import Testing

/// The contract of every store role, run against each adapter: a SQLite file and a real PostgreSQL database (a
/// throwaway cluster started by the test setup, one fresh database per test).
@Suite("Store roles: the contract, on every adapter")
struct StoreContractTests {
    static let adapters = StoreAdapter.allCases
    static let created = Date(timeIntervalSince1970: 1_800_000_000)

    static func record(
        _ id: RunID, tenant: TenantID = "acme", crew: String = "seo-audit", status: RunStatus = .running,
        at offset: TimeInterval = 0, user: String = "ada"
    ) -> RunRecord {
        RunRecord(
            id: id, tenant: tenant, user: user, crew: crew, status: status, inputs: ["site": "acme.test"],
            createdAt: created.addingTimeInterval(offset))
    }

    @Test(
        "runs: insert, update and read back exactly; lists and counts filter (by tenant, user, status, crew); reads are scoped to the tenant",
        arguments: adapters)
    func runs(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            let record = Self.record("r1")
            try await store.insert(record)
            try await store.insert(Self.record("r2", tenant: "globex", at: 1))
            try await store.insert(Self.record("r3", crew: "other", status: .queued, at: 2))
            try await store.insert(Self.record("r4", at: 3, user: "bob"))
            await #expect(throws: (any Error).self) { try await store.insert(record) }
            var finished = record
            finished.status = .succeeded
            finished.output = "done"
            finished.outputJSON = ["score": 87, "notes": ["a", "b"]]
            finished.errorCode = nil
            finished.usage = TokenUsage(inputTokens: 10, outputTokens: 5, cachedInputTokens: 2)
            finished.costUSD = 0.25
            finished.finishedAt = Self.created.addingTimeInterval(5.5)
            try await store.update(finished)
            #expect(try await store.run("r1", tenant: "acme") == finished)
            #expect(try await store.run("r1", tenant: nil) == finished)
            #expect(try await store.run("r1", tenant: "globex") == nil)
            #expect(try await store.run("missing", tenant: nil) == nil)
            #expect(
                try await store.runs(tenant: "acme", user: nil, status: nil, crew: nil, limit: 10, offset: 0).map(\.id)
                    == ["r4", "r3", "r1"])
            #expect(
                try await store.runs(tenant: "acme", user: nil, status: nil, crew: nil, limit: 1, offset: 2).map(\.id)
                    == ["r1"])
            // A user's own runs, paged in the query: the second of ada's is r1, whatever bob started since.
            #expect(
                try await store.runs(tenant: "acme", user: "ada", status: nil, crew: nil, limit: 1, offset: 1).map(\.id)
                    == ["r1"])
            #expect(
                try await store.runs(tenant: "acme", user: "bob", status: nil, crew: nil, limit: 10, offset: 0).map(
                    \.id)
                    == ["r4"])
            #expect(
                try await store.runs(tenant: "globex", user: "bob", status: nil, crew: nil, limit: 10, offset: 0)
                    .isEmpty)
            #expect(
                try await store.runs(tenant: nil, user: nil, status: nil, crew: nil, limit: 10, offset: 0).count == 4)
            #expect(
                try await store.runs(tenant: nil, user: nil, status: .running, crew: "seo-audit", limit: 10, offset: 0)
                    .map(\.id) == ["r4", "r2"])
            #expect(try await store.count(tenant: "acme", user: nil, status: nil, crew: nil) == 3)
            #expect(try await store.count(tenant: "acme", user: "ada", status: nil, crew: nil) == 2)
            #expect(try await store.count(tenant: "acme", user: "bob", status: .running, crew: nil) == 1)
            #expect(try await store.count(tenant: "globex", user: "bob", status: nil, crew: nil) == 0)
            #expect(try await store.count(tenant: nil, user: nil, status: .queued, crew: nil) == 1)
            #expect(try await store.count(tenant: "acme", user: nil, status: nil, crew: "seo-audit") == 2)
            #expect(try await store.count(tenant: "initech", user: nil, status: nil, crew: nil) == 0)
        }
    }

    @Test("events: appended in order, read after a number, the last number known", arguments: adapters)
    func events(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            try await store.insert(Self.record("r1"))
            #expect(try await store.lastEventSequence(of: "r1") == 0)
            for sequence in [1, 3, 2] {
                try await store.append(
                    RunEvent(
                        runID: "r1", sequence: sequence, timestamp: Self.created, agentPath: ["boss", "writer"],
                        kind: .taskStarted(task: "t\(sequence)", agent: "writer")))
            }
            try await store.append(
                RunEvent(
                    runID: "r2", sequence: 7, timestamp: Self.created, agentPath: [],
                    kind: .taskStarted(task: "x", agent: "y")))
            let events = try await store.events(of: "r1", after: 1)
            #expect(events.map(\.sequence) == [2, 3])
            #expect(events.first?.agentPath == "boss > writer")
            #expect(events.first?.kind == "task_started")
            #expect(events.first?.data == ["task": "t2", "agent": "writer"])
            #expect(events.first?.timestamp == Self.created)
            #expect(try await store.events(of: "r1", after: 0).count == 3)
            #expect(try await store.lastEventSequence(of: "r1") == 3)
            #expect(try await store.lastEventSequence(of: "r2") == 7)
        }
    }

    @Test("task outputs: stored in order, replaced as a whole", arguments: adapters)
    func tasks(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            let first = [
                TaskOutput(
                    task: "a", agent: "x", text: "one", json: ["k": 1],
                    usage: TokenUsage(inputTokens: 3, outputTokens: 4), costUSD: 0.1, duration: .milliseconds(1500)),
                TaskOutput(
                    task: "b", agent: "y", text: "two", json: nil, usage: TokenUsage(), costUSD: 0,
                    duration: .milliseconds(20)),
            ]
            try await store.saveTasks(first, of: "r1")
            #expect(try await store.tasks(of: "r1") == first)
            try await store.saveTasks(Array(first.suffix(1)), of: "r1")
            #expect(try await store.tasks(of: "r1") == Array(first.suffix(1)))
            #expect(try await store.tasks(of: "r2").isEmpty)
        }
    }

    @Test("journal: steps read back in order; a step is written once", arguments: adapters)
    func journal(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            let entries = [
                JournalEntry(runID: "r1", step: 1, kind: .model, key: "k1", data: ["text": "hi"], attempt: 1),
                JournalEntry(runID: "r1", step: 2, kind: .tool, key: "k2", data: ["n": 2, "ok": true], attempt: 2),
            ]
            for entry in entries.reversed() { try await store.appendJournal(entry) }
            #expect(try await store.journal(of: "r1") == entries)
            #expect(try await store.journal(of: "r2").isEmpty)
            await #expect(throws: (any Error).self) { try await store.appendJournal(entries[0]) }
        }
    }

    static let definition = RunDefinition.sample

    @Test(
        "definitions: saved, read, advanced only from the attempt the caller saw; runs show the attempts",
        arguments: adapters)
    func definitions(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            try await store.insert(Self.record("r1"))
            #expect(try await store.definition(of: "r1") == nil)
            try await store.saveDefinition(Self.definition, of: "r1")
            #expect(try await store.definition(of: "r1") == Self.definition)
            var second = Self.definition
            second.attempt = 2
            second.attemptErrors = ["the process died"]
            #expect(try await store.advanceDefinition(second, of: "r1", from: 1))
            #expect(try await !store.advanceDefinition(second, of: "r1", from: 1))
            #expect(try await store.definition(of: "r1") == second)
            let run = try await store.run("r1", tenant: "acme")
            #expect(run?.attempts == 2)
            #expect(run?.attemptErrors == ["the process died"])
            #expect(try await !store.advanceDefinition(second, of: "missing", from: 1))
        }
    }

    @Test("exchanges: numbered per run in call order, also when made at once", arguments: adapters)
    func exchanges(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            let request = ChatRequest(model: "gpt", messages: [.user("hello")])
            let response = ChatResponse(text: "hi", finishReason: .stop, usage: TokenUsage(inputTokens: 1))
            try await store.appendExchange("r1", model: "openai/gpt", request: request, response: response)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await store.appendExchange("r1", model: "openai/gpt", request: request, response: response)
                    }
                }
                try await group.waitForAll()
            }
            try await store.appendExchange("r2", model: "m", request: request, response: response)
            let exchanges = try await store.exchanges(of: "r1")
            #expect(exchanges.map(\.sequence) == Array(1...9))
            #expect(exchanges.first?.request == request.fingerprint)
            #expect(exchanges.first?.response == response)
            #expect(exchanges.first?.model == "openai/gpt")
            #expect(try await store.exchanges(of: "r2").map(\.sequence) == [1])
        }
    }

    @Test("claims: one caller of many wins; a status moves only from the one expected", arguments: adapters)
    func claims(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            try await store.insert(Self.record("r1", status: .queued))
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await store.claim("r1", from: [.queued, .interrupted], to: .running) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            #expect(try await store.run("r1", tenant: nil)?.status == .running)
            #expect(try await !store.claim("missing", from: [.queued], to: .running))
            try await store.setStatus("r1", .succeeded, from: .queued)
            #expect(try await store.run("r1", tenant: nil)?.status == .running)
            try await store.setStatus("r1", .succeeded, from: .running)
            #expect(try await store.run("r1", tenant: nil)?.status == .succeeded)
            var record = Self.record("r2", status: .interrupted)
            record.finishedAt = Self.created
            try await store.insert(record)
            #expect(try await store.claim("r2", from: [.queued, .interrupted], to: .queued))
            #expect(try await store.run("r2", tenant: nil)?.finishedAt == nil)
        }
    }

    static func approval(_ id: String, tenant: TenantID = "acme") -> ApprovalRequest {
        ApprovalRequest(
            id: id, runID: "r1", principal: Principal(tenant: tenant, user: "ada", roles: [.tenantUser, .tenantAdmin]),
            agent: "writer", tool: "wordpress.create_post", arguments: #"{"title":"Hi"}"#, requestedAt: created)
    }

    @Test(
        "approvals: decided only while pending and unexpired, by their own tenant; expiry only while pending",
        arguments: adapters)
    func approvals(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            let later = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 3600).rounded())
            try await store.insertApproval(Self.approval("a1"), expiresAt: later)
            try await store.insertApproval(Self.approval("a2"), expiresAt: later)
            try await store.insertApproval(Self.approval("a3", tenant: "globex"), expiresAt: later)
            try await store.insertApproval(Self.approval("old"), expiresAt: Date().addingTimeInterval(-1))
            let stored = try await store.approval("a1", tenant: "acme")
            #expect(stored?.request == Self.approval("a1"))
            #expect(stored?.status == "pending")
            #expect(stored?.expiresAt == later)
            #expect(try await store.approval("a1", tenant: "globex") == nil)
            #expect(try await store.approval("a3", tenant: nil)?.request.principal.tenant == "globex")

            #expect(try await !store.decideApproval("a1", tenant: "globex", approved: true, by: "eve", comment: ""))
            #expect(try await store.decideApproval("a1", tenant: "acme", approved: true, by: "bob", comment: "ok"))
            #expect(try await !store.decideApproval("a1", tenant: "acme", approved: false, by: "bob", comment: ""))
            let decided = try await store.approval("a1", tenant: nil)
            #expect(decided?.status == "approved")
            #expect(decided?.decidedBy == "bob")
            #expect(decided?.comment == "ok")
            #expect(decided?.decidedAt != nil)
            #expect(try await !store.expireApproval("a1"))
            #expect(try await !store.decideApproval("old", tenant: nil, approved: true, by: "bob", comment: ""))
            #expect(try await store.expireApproval("old"))
            #expect(try await store.approval("old", tenant: nil)?.status == "expired")
            #expect(try await store.decideApproval("a2", tenant: nil, approved: false, by: "root", comment: "no"))
            #expect(try await store.approval("a2", tenant: nil)?.status == "rejected")

            #expect(
                Set(try await store.approvals(tenant: "acme", runID: nil, status: nil).map(\.request.id)) == [
                    "a1", "a2", "old",
                ])
            #expect(try await store.approvals(tenant: nil, runID: "r1", status: "pending").map(\.request.id) == ["a3"])
            #expect(try await store.approvals(tenant: "acme", runID: "r9", status: nil).isEmpty)
        }
    }

    static func entry(_ tool: String, tenant: TenantID = "acme", at offset: TimeInterval) -> AuditEntry {
        AuditEntry(
            time: created.addingTimeInterval(offset), tenant: tenant, user: "ada", roles: ["tenant_user"], runID: "r1",
            agent: "boss > writer", tool: tool, outcome: "allowed", durationMS: offset == 0 ? nil : 12,
            arguments: #"{"q":"x"}"#, detail: "")
    }

    @Test("audit: appended in order, read by tenant, time and limit", arguments: adapters)
    func audit(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            let entries = [Self.entry("a", at: 0), Self.entry("b", tenant: "globex", at: 1), Self.entry("c", at: 2)]
            for entry in entries { try await store.appendAudit(entry) }
            let read = try await store.audit(tenant: nil, since: nil, limit: 100)
            #expect(
                read.map {
                    var entry = $0
                    entry.id = nil
                    return entry
                } == entries)
            #expect(read.compactMap(\.id) == read.compactMap(\.id).sorted() && Set(read.compactMap(\.id)).count == 3)
            #expect(try await store.audit(tenant: "acme", since: nil, limit: 100).map(\.tool) == ["a", "c"])
            #expect(
                try await store.audit(tenant: "acme", since: Self.created.addingTimeInterval(1), limit: 100).map(\.tool)
                    == ["c"])
            #expect(try await store.audit(tenant: nil, since: nil, limit: 2).map(\.tool) == ["a", "b"])
        }
    }

    @Test(
        "audit query: definition changes with kind and diff; filters by tenant, time, actor, tool, outcome, kind; pages by cursor",
        arguments: adapters)
    func auditQuery(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            var change = Self.entry("config.agent_update", tenant: AuditEntry.platformTenant, at: 1)
            change.kind = "agent"
            change.user = "file"
            change.outcome = "applied"
            change.diff = "--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\n-old\n+new\n"
            var denied = Self.entry("web.fetch", at: 2)
            denied.outcome = "denied"
            let entries = [
                Self.entry("web.fetch", at: 0), change, denied, Self.entry("slack.post", tenant: "globex", at: 3),
            ]
            for entry in entries { try await store.appendAudit(entry) }
            let all = try await store.auditEntries(AuditQuery())
            #expect(all.map(\.tool) == ["web.fetch", "config.agent_update", "web.fetch", "slack.post"])
            #expect(
                all[1].kind == "agent" && all[1].diff == change.diff && all[0].kind == "tool_call"
                    && all[0].diff.isEmpty)
            #expect(try await store.auditEntries(AuditQuery(tenant: "acme")).count == 2)
            #expect(try await store.auditEntries(AuditQuery(kind: "agent")).map(\.user) == ["file"])
            #expect(try await store.auditEntries(AuditQuery(actor: "file")).map(\.tool) == ["config.agent_update"])
            #expect(try await store.auditEntries(AuditQuery(tool: "web.fetch")).count == 2)
            #expect(try await store.auditEntries(AuditQuery(outcome: "denied")).map(\.time) == [denied.time])
            #expect(
                try await store.auditEntries(
                    AuditQuery(from: Self.created.addingTimeInterval(1), to: Self.created.addingTimeInterval(3))
                ).map(\.tool) == ["config.agent_update", "web.fetch"])
            // Pages: two at a time, each after the last id of the one before.
            let first = try await store.auditEntries(AuditQuery(limit: 2))
            let second = try await store.auditEntries(AuditQuery(after: first.last?.id, limit: 2))
            let third = try await store.auditEntries(AuditQuery(after: second.last?.id, limit: 2))
            #expect((first + second).map(\.tool) == all.map(\.tool))
            #expect(third.isEmpty)
        }
    }

    @Test("idempotency keys: one run per key and tenant; released only by the run that holds it", arguments: adapters)
    func idempotency(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            #expect(try await store.claimIdempotencyKey("k", tenant: "acme", runID: "r1") == nil)
            #expect(try await store.claimIdempotencyKey("k", tenant: "acme", runID: "r2") == "r1")
            #expect(try await store.claimIdempotencyKey("k", tenant: "globex", runID: "r3") == nil)
            #expect(try await store.isIdempotencyKeyClaimed(for: "r1"))
            #expect(try await !store.isIdempotencyKeyClaimed(for: "r2"))
            try await store.releaseIdempotencyKey("k", tenant: "acme", runID: "r2")
            #expect(try await store.isIdempotencyKeyClaimed(for: "r1"))
            try await store.releaseIdempotencyKey("k", tenant: "acme", runID: "r1")
            #expect(try await !store.isIdempotencyKeyClaimed(for: "r1"))
            #expect(try await store.claimIdempotencyKey("k", tenant: "acme", runID: "r4") == nil)
        }
    }

    @Test("agent versions: numbered per agent (also when written at once), listed newest first", arguments: adapters)
    func agentVersions(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            #expect(try await store.appendAgentVersion("writer", content: "v1", user: "ada") == 1)
            #expect(try await store.appendAgentVersion("editor", content: "e1", user: "bob") == 1)
            let numbers = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<5 {
                    group.addTask { try await store.appendAgentVersion("writer", content: "w\(index)", user: "ada") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(numbers.sorted() == [2, 3, 4, 5, 6])
            let versions = try await store.agentVersions("writer")
            #expect(versions.map(\.version) == [6, 5, 4, 3, 2, 1])
            #expect(versions.last?.content == "v1")
            #expect(versions.last?.user == "ada")
            #expect(try await store.agentVersions("editor").map(\.content) == ["e1"])
            #expect(try await store.agentVersions("nobody").isEmpty)
        }
    }
}
