import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// The worker's lease keeper on a real (SQLite) store: stray leases given up, a later attempt's holding kept, cancel
/// requests and lost leases reported, a shutdown stopping every held run.
@Suite("Lease keeper")
struct LeaseKeeperTests {
    static let definition = RunDefinition.sample

    static func record(_ id: RunID) -> RunRecord {
        RunRecord(id: id, tenant: "acme", user: "ada", crew: "one", status: .queued, inputs: [:])
    }

    /// A store in a temporary directory, for `body`.
    static func withStore(_ body: (SQLiteRunStore) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await body(try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path))
    }

    @Test("a lease the worker holds no run for (a claim that failed half-way) is given up at the next renewal")
    func strayLease() async throws {
        try await Self.withStore { store in
            let keeper = LeaseKeeper(store: store, worker: "host:1:a")
            _ = try await store.enqueue(
                Self.record("held"), definition: Self.definition, inFlightLimit: nil, lease: keeper.lease())
            _ = try await store.enqueue(
                Self.record("stray"), definition: Self.definition, inFlightLimit: nil, lease: keeper.lease())
            let token = await keeper.hold("held") { _ in }
            #expect(await keeper.renew().isEmpty)
            // The stray run is claimable again at once; the held one is not.
            let other = try await store.claimRuns(
                worker: "host:1:b", limit: 10, now: Date(), until: Date().addingTimeInterval(30), only: nil)
            #expect(other.map(\.runID) == ["stray"])
            await keeper.drop("held", token: token)
        }
    }

    @Test("a run reserved by a claim under way is not given up; one submitted through the keeper is reserved")
    func reservedDuringClaim() async throws {
        try await Self.withStore { store in
            let keeper = LeaseKeeper(store: store, worker: "host:1:a")
            let lease = keeper.lease()
            let refused = try await keeper.claiming({ $0 == nil ? ["r1"] : [] }) {
                try await store.enqueue(
                    Self.record("r1"), definition: Self.definition, inFlightLimit: nil, lease: lease)
            }
            #expect(refused == nil)
            #expect(await keeper.heldRuns == ["r1"])
            await keeper.renew()
            #expect(try await store.renewLeases(worker: "host:1:a", until: Date()).held == ["r1"])
        }
    }

    @Test("a later attempt's holding of the same run survives the earlier attempt's drop")
    func tokens() async throws {
        try await Self.withStore { store in
            let keeper = LeaseKeeper(store: store, worker: "host:1:a")
            let first = await keeper.hold("r1") { _ in }
            let second = await keeper.hold("r1") { _ in }
            await keeper.drop("r1", token: first)
            #expect(await keeper.heldRuns == ["r1"])
            await keeper.drop("r1", token: second)
            #expect(await keeper.heldRuns.isEmpty)
        }
    }

    @Test("renewal reports a cancel request and a lease taken over; a shutdown stops every held run")
    func stops() async throws {
        try await Self.withStore { store in
            let keeper = LeaseKeeper(store: store, worker: "host:1:a", leaseDuration: .seconds(30))
            for id: RunID in ["cancel", "lost", "going"] {
                _ = try await store.enqueue(
                    Self.record(id), definition: Self.definition, inFlightLimit: nil, lease: keeper.lease())
            }
            let told = Told()
            for id: RunID in ["cancel", "lost", "going"] { _ = await keeper.hold(id) { told.add(id, $0) } }
            #expect(try await store.requestCancel("cancel", tenant: "acme", now: Date()) == .requested)
            // Another worker took "lost" over (as after its lease expired).
            _ = try await store.claimRuns(
                worker: "host:1:b", limit: 1, now: .distantFuture, until: Date().addingTimeInterval(30), only: "lost")
            let stops = await keeper.renew()
            #expect(stops == ["cancel": .cancelRequested, "lost": .leaseLost])
            #expect(await keeper.heldRuns == ["cancel", "going"])
            await keeper.stopAll(.shutdown)
            #expect(told.all["going"] == [.shutdown])
            #expect(told.all["cancel"] == [.cancelRequested, .shutdown])
            #expect(told.all["lost"] == [.leaseLost])
        }
    }

    /// What each run was told.
    final class Told: @unchecked Sendable {
        private let lock = NSLock()
        private var stops: [RunID: [LeaseKeeper.Stop]] = [:]
        func add(_ run: RunID, _ stop: LeaseKeeper.Stop) { lock.withLock { stops[run, default: []].append(stop) } }
        var all: [RunID: [LeaseKeeper.Stop]] { lock.withLock { stops } }
    }
}
