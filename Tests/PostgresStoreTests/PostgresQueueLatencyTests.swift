import AgentRuntime
import AgentRuntimeTesting
import Foundation
import PostgresStore
import Testing

/// Rough costs of the queue's hot paths on loopback (printed, not asserted: a debug build on a shared machine).
@Suite("PostgreSQL store: queue latency on loopback")
struct PostgresQueueLatencyTests {
    @Test("one claim and one event append, timed over a few hundred calls")
    func latency() async throws {
        let store = try await StoreAdapter.postgresStore()
        defer { store.shutdown() }
        let count = 300
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<count {
            _ = try await store.enqueue(
                RunRecord(
                    id: RunID("r\(index)"), tenant: "acme", user: "ada", crew: "one", status: .queued, inputs: [:],
                    createdAt: created.addingTimeInterval(Double(index))),
                definition: StoreContractTests.definition, inFlightLimit: nil, lease: nil)
        }
        let now = created.addingTimeInterval(Double(count))
        var start = ContinuousClock.now
        for _ in 0..<count {
            let claimed = try await store.claimRuns(
                worker: "w", limit: 1, now: now, until: now.addingTimeInterval(60), only: nil)
            #expect(claimed.count == 1)
        }
        let claim = start.duration(to: .now) / count
        start = ContinuousClock.now
        for sequence in 1...count {
            try await store.append(
                RunEvent(
                    runID: "r0", sequence: sequence, timestamp: now, agentPath: ["writer"],
                    kind: .taskStarted(task: "t", agent: "writer")))
        }
        let append = start.duration(to: .now) / count
        print("PostgresQueueLatencyTests: claim \(claim), event append \(append) (mean of \(count), sequential)")
        #expect(try await store.lastEventSequence(of: "r0") == count)
    }
}
