import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

@testable import PostgresStore

/// The PostgreSQL store when its database goes away and comes back: a cluster of the test's own, stopped as in a
/// crash (`pg_ctl stop -m immediate`) and started again on the same port.
@Suite("PostgreSQL store: a database outage")
struct PostgresOutageTests {
    /// Runs blocking work (the cluster's tools) off the concurrency pool.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    static func record(_ id: RunID) -> RunRecord {
        RunRecord(
            id: id, tenant: "acme", user: "ada", crew: "one", status: .queued, inputs: [:],
            createdAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    /// The stores' query deadline here: long enough for a fresh cluster's first connection while the rest of the suite
    /// runs beside it on two cores, short enough to wait out.
    static let deadline: Duration = .seconds(3)

    /// Expects `call` to fail as unavailable within the deadline (with slack for a loaded machine).
    static func expectUnavailable(
        _ what: String, _ call: () async throws -> Void, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async -> StoreError? {
        let start = ContinuousClock.now
        let error = await #expect(throws: StoreError.self, "\(what)", sourceLocation: sourceLocation) {
            try await call()
        }
        let elapsed = start.duration(to: .now)
        #expect(error?.code == .unavailable, "\(what): \(String(describing: error))", sourceLocation: sourceLocation)
        // Bounded, not hung (postgres-nio alone waits for a connection forever); the slack is for the rest of the suite
        // running beside this test on two cores.
        #expect(elapsed < deadline * 2 + .seconds(2), "\(what) took \(elapsed)", sourceLocation: sourceLocation)
        return error
    }

    @Test(
        "during an outage every call fails as unavailable within the deadline; once the server is back, the same store serves again and its listener resyncs",
        .timeLimit(.minutes(3)))
    func outage() async throws {
        let server = try await PostgresTestServer.startPrivate()
        defer { server.remove() }
        let url = try PostgresStoreURL(parsing: try await server.makeDatabase())
        let store = PostgresRunStore(url: url, password: nil, queryTimeout: Self.deadline)
        defer { store.shutdown() }
        try await store.migrate()
        try await store.checkAvailable()
        try await store.insert(Self.record("r1"))
        let duplicate = await #expect(throws: PostgresStoreError.self, "a refused statement is not an outage") {
            try await store.insert(Self.record("r1"))
        }
        #expect("\(String(describing: duplicate))".contains("duplicate key"))
        let recorder = SignalRecorder(store.signals())
        defer { recorder.stop() }
        #expect(await recorder.wait(for: [.resync]))
        await recorder.clear()

        // The test cluster commits without waiting for its log (`synchronous_commit=off`): a checkpoint first, so
        // that the crash loses nothing this test wrote.
        try await server.execute("CHECKPOINT", database: url.database)
        try await server.stopImmediately()
        var messages: [String] = []
        for attempt in 1...3 {
            let error = await Self.expectUnavailable("read \(attempt)") { _ = try await store.run("r1", tenant: nil) }
            messages.append(error?.message ?? "")
        }
        _ = await Self.expectUnavailable("health check") { try await store.checkAvailable() }
        _ = await Self.expectUnavailable("enqueue (a transaction)") {
            _ = try await store.enqueue(
                Self.record("r2"), definition: StoreContractTests.definition, inFlightLimit: 5, lease: nil)
        }
        _ = await Self.expectUnavailable("claim") {
            _ = try await store.claimRuns(worker: "w", limit: 1, now: Date(), until: Date(), only: nil)
        }
        #expect(
            messages.contains { $0.contains("no answer within \(Int(Self.deadline.components.seconds)) s") },
            "the pool waits for a connection: \(messages)")
        #expect(messages.allSatisfy { $0.contains(url.redacted) }, "\(messages)")
        print("PostgresOutageTests: during the outage: \(messages)")

        try await server.restart()
        let restarted = ContinuousClock.now
        var recovered = false
        while restarted.duration(to: .now) < .seconds(60) {
            do {
                try await store.checkAvailable()
                recovered = true
                break
            } catch { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(recovered, "the pool serves again without a restart")
        print("PostgresOutageTests: the pool served again \(restarted.duration(to: .now)) after the server restarted")
        #expect(try await store.run("r1", tenant: nil)?.id == "r1")
        #expect(
            try await store.enqueue(
                Self.record("r2"), definition: StoreContractTests.definition, inFlightLimit: 5, lease: nil) == nil)
        #expect(await recorder.wait(for: [.resync], within: .seconds(30)), "the listener listens again")
        print("PostgresOutageTests: the listener resynced \(restarted.duration(to: .now)) after the server restarted")
        try await store.append(
            RunEvent(
                runID: "r2", sequence: 1, timestamp: Date(), agentPath: [], kind: .taskStarted(task: "t", agent: "a")))
        #expect(await recorder.wait(for: [.event("r2", sequence: 1)]))
    }

    @Test(
        "after a long outage (75 s: postgres-nio's pool retries a minute apart by then), the store serves again within 3 s of the restart",
        .enabled(
            if: ProcessInfo.processInfo.environment["AGENTRUNTIME_SLOW_TESTS"] == "1", "AGENTRUNTIME_SLOW_TESTS=1"),
        .timeLimit(.minutes(3)))
    func longOutage() async throws {
        let server = try await PostgresTestServer.startPrivate()
        defer { server.remove() }
        let url = try PostgresStoreURL(parsing: try await server.makeDatabase())
        let store = PostgresRunStore(url: url, password: nil, queryTimeout: Self.deadline)
        defer { store.shutdown() }
        try await store.migrate()
        let pool = store.pool.current
        try await server.stopImmediately()
        let down = ContinuousClock.now
        while down.duration(to: .now) < .seconds(75) {
            _ = await Self.expectUnavailable("health check") { try await store.checkAvailable() }
            try await Task.sleep(for: .milliseconds(500))
        }
        try await server.restart()
        let restarted = ContinuousClock.now
        while restarted.duration(to: .now) < .seconds(60) {
            do {
                try await store.checkAvailable()
                break
            } catch { try await Task.sleep(for: .milliseconds(50)) }
        }
        let recovery = restarted.duration(to: .now)
        print("PostgresOutageTests: after 75 s down, the pool served again \(recovery) after the server restarted")
        #expect(recovery < .seconds(3))
        #expect(store.pool.current !== pool, "served by a fresh pool")
    }

    @Test("a pool whose every connection is busy is not replaced when a request times out waiting for one")
    func busyPool() async throws {
        let server = try await PostgresTestServer.shared()
        let url = try PostgresStoreURL(parsing: try await server.makeDatabase() + "&pool=1")
        let store = PostgresRunStore(url: url, password: nil, queryTimeout: Self.deadline)
        defer { store.shutdown() }
        try await store.checkAvailable()
        let pool = store.pool.current
        // Past its deadline, the query keeps its connection until the server is done with it.
        let slow = Task {
            await Self.expectUnavailable("a slow query") {
                try await store.execute("SELECT pg_sleep(\(Int(Self.deadline.components.seconds) * 2))")
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        _ = await Self.expectUnavailable("a query waiting for the busy connection") { try await store.checkAvailable() }
        _ = await slow.value
        try await Task.sleep(for: .seconds(1))
        try await store.checkAvailable()
        #expect(store.pool.current === pool, "the pool was busy, not broken")
    }

    @Test("a server that never answers: every call fails as unavailable within the deadline", .timeLimit(.minutes(1)))
    func nobodyListening() async throws {
        let server = try await PostgresTestServer.startPrivate()
        let url = try PostgresStoreURL(parsing: try await server.makeDatabase())
        try await Self.blocking { server.remove() }
        let store = PostgresRunStore(url: url, password: nil, queryTimeout: Self.deadline)
        defer { store.shutdown() }
        _ = await Self.expectUnavailable("migrate") { try await store.migrate() }
        _ = await Self.expectUnavailable("health check") { try await store.checkAvailable() }
    }
}
