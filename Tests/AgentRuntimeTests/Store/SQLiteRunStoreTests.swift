import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

@Suite("SQLite run store")
struct SQLiteRunStoreTests {
    @Test("runs, task outputs and events round-trip; reads are scoped to the tenant")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("nested/runs.sqlite").path)
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        let record = RunRecord(
            id: "r1", tenant: "acme", user: "ada", crew: "seo-audit", status: .running, inputs: ["site": "acme.test"],
            createdAt: created)
        try await store.insert(record)
        try await store.insert(
            RunRecord(
                id: "r2", tenant: "globex", user: "bob", crew: "seo-audit", status: .running, inputs: [:],
                createdAt: created.addingTimeInterval(1)))
        var finished = record
        finished.status = .succeeded
        finished.output = "done"
        finished.outputJSON = ["score": 87]
        finished.usage = TokenUsage(inputTokens: 10, outputTokens: 5, cachedInputTokens: 2)
        finished.costUSD = 0.25
        finished.finishedAt = created.addingTimeInterval(5)
        try await store.update(finished)
        #expect(try await store.run("r1", tenant: "acme") == finished)
        #expect(try await store.run("r1", tenant: "globex") == nil)
        #expect(
            try await store.runs(tenant: "acme", user: nil, status: nil, crew: nil, limit: 10, offset: 0).map(\.id) == [
                "r1"
            ])
        #expect(
            try await store.runs(tenant: nil, user: nil, status: .running, crew: "seo-audit", limit: 10, offset: 0).map(
                \.id) == [
                    "r2"
                ])

        let tasks = [
            TaskOutput(
                task: "a", agent: "x", text: "one", json: ["k": 1], usage: TokenUsage(inputTokens: 3, outputTokens: 4),
                costUSD: 0.1, duration: .milliseconds(1500))
        ]
        try await store.saveTasks(tasks, of: "r1")
        #expect(try await store.tasks(of: "r1") == tasks)

        for sequence in 1...3 {
            try await store.append(
                RunEvent(
                    runID: "r1", sequence: sequence, timestamp: created, agentPath: ["boss", "writer"],
                    kind: .taskStarted(task: "t\(sequence)", agent: "writer")))
        }
        let events = try await store.events(of: "r1", after: 1)
        #expect(events.map(\.sequence) == [2, 3])
        #expect(events.first?.agentPath == "boss > writer")
        #expect(events.first?.kind == "task_started")
        #expect(events.first?.data == ["task": "t2", "agent": "writer"])
    }

    @Test("runs left running by a crash are marked interrupted")
    func interrupted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("runs.sqlite").path
        do {
            let store = try SQLiteRunStore(path: path)
            try await store.insert(
                RunRecord(id: "r1", tenant: "acme", user: "u", crew: "c", status: .running, inputs: [:]))
            try await store.insert(
                RunRecord(id: "r2", tenant: "acme", user: "u", crew: "c", status: .succeeded, inputs: [:]))
        }
        let reopened = try SQLiteRunStore(path: path)
        #expect(try await reopened.interruptUnfinished() == 1)
        #expect(try await reopened.run("r1", tenant: nil)?.status == .interrupted)
        #expect(try await reopened.run("r2", tenant: nil)?.status == .succeeded)
    }

    @Test("an unwritable location is a clear error")
    func unwritable() {
        #expect(throws: (any Error).self) { _ = try SQLiteRunStore(path: "/proc/agentruntime/runs.sqlite") }
    }
}
