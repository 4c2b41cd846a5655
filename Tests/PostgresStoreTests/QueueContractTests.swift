import AgentRuntime
import AgentRuntimeTesting
import Foundation
import PostgresStore
import Testing

/// The contract of the run queue, its signals and the agent version counter, run against each adapter: a SQLite
/// file and a real PostgreSQL database. Concurrent callers are separate stores on one database for PostgreSQL (as
/// separate processes are), one store for SQLite.
@Suite("Run queue: the contract, on every adapter")
struct QueueContractTests {
    static let adapters = StoreAdapter.allCases
    static let created = Date(timeIntervalSince1970: 1_800_000_000)
    /// The queue's "now" in these tests: after every run was created.
    static let now = created.addingTimeInterval(1000)

    static func record(
        _ id: RunID, tenant: TenantID = "acme", status: RunStatus = .queued, at offset: TimeInterval = 0
    ) -> RunRecord {
        RunRecord(
            id: id, tenant: tenant, user: "ada", crew: "one", status: status, inputs: ["topic": "swift"],
            createdAt: created.addingTimeInterval(offset))
    }

    static let definition = StoreContractTests.definition

    /// Enqueues a run created `offset` seconds after ``created``, with no limit.
    static func enqueue(
        _ store: any PlatformStore, _ id: RunID, tenant: TenantID = "acme", at offset: TimeInterval = 0,
        lease: RunLease? = nil
    ) async throws {
        let refused = try await store.enqueue(
            record(id, tenant: tenant, at: offset), definition: definition, inFlightLimit: nil, lease: lease)
        #expect(refused == nil)
    }

    static func lease(_ worker: String, for seconds: TimeInterval) -> RunLease {
        RunLease(worker: worker, expiresAt: now.addingTimeInterval(seconds))
    }

    @Test(
        "enqueue: queued for any worker, or running under the submitter's lease; the definition is stored with it",
        arguments: adapters)
    func enqueue(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            try await Self.enqueue(store, "q1")
            try await Self.enqueue(store, "l1", at: 1, lease: Self.lease("w0", for: 60))
            let queued = try await store.run("q1", tenant: "acme")
            #expect(queued?.status == .queued)
            #expect(queued?.inputs == ["topic": "swift"])
            #expect(try await store.definition(of: "q1") == Self.definition)
            #expect(try await store.run("l1", tenant: "acme")?.status == .running)
            #expect(try await store.definition(of: "l1") == Self.definition)
            #expect(try await store.renewLeases(worker: "w0", until: Self.now.addingTimeInterval(60)).held == ["l1"])
            let claimed = try await store.claimRuns(
                worker: "w1", limit: 10, now: Self.now, until: Self.now.addingTimeInterval(30), only: nil)
            #expect(claimed == [ClaimedRun(runID: "q1", previous: .queued)], "the leased run is not claimable")
            await #expect(throws: (any Error).self) {
                try await store.enqueue(
                    Self.record("q1"), definition: Self.definition, inFlightLimit: nil, lease: nil)
            }
        }
    }

    @Test("in-flight limit: a tenant at its limit is refused with its count and nothing is stored", arguments: adapters)
    func inFlightLimit(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            func submit(_ id: RunID, tenant: TenantID = "acme") async throws -> Int? {
                try await store.enqueue(
                    Self.record(id, tenant: tenant), definition: Self.definition, inFlightLimit: 3, lease: nil)
            }
            #expect(try await submit("r1") == nil)
            #expect(try await submit("r2") == nil)
            try await store.insert(Self.record("waiting", status: .awaitingApproval))
            try await store.insert(Self.record("done", status: .succeeded))
            try await store.insert(Self.record("cut", status: .interrupted))
            try await store.saveDefinition(Self.definition, of: "cut")
            // A record with no definition (a playground session's) is not a run in flight.
            try await store.insert(Self.record("session", status: .running))
            #expect(try await submit("r3") == 3, "queued, queued and interrupted count; waiting and ended do not")
            #expect(try await store.run("r3", tenant: nil) == nil)
            #expect(try await store.definition(of: "r3") == nil)
            #expect(try await submit("g1", tenant: "globex") == nil, "another tenant has its own count")
            let leased = try await store.enqueue(
                Self.record("r4"), definition: Self.definition, inFlightLimit: 3, lease: Self.lease("w", for: 60))
            #expect(leased == 3, "a leased submission counts against the limit too")
            let claimed = try await store.claimRuns(
                worker: "w", limit: 1, now: Self.now, until: Self.now.addingTimeInterval(30), only: "r1")
            #expect(claimed.map(\.runID) == ["r1"])
            #expect(try await submit("r5") == 3, "a running run is in flight")
            var finished = Self.record("r1", status: .succeeded)
            finished.finishedAt = Self.now
            #expect(try await store.release(finished, worker: "w"))
            #expect(try await submit("r5") == nil, "an ended run frees its place")
            #expect(
                try await store.enqueue(
                    Self.record("r6"), definition: Self.definition, inFlightLimit: nil, lease: nil) == nil,
                "no limit: always stored")
        }
    }

    @Test(
        "in-flight limit under concurrency: of 30 submissions at once with limit 10, exactly 10 are stored",
        arguments: adapters)
    func inFlightLimitConcurrent(_ adapter: StoreAdapter) async throws {
        try await adapter.withStores(3) { stores in
            let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        try await stores[index % stores.count].enqueue(
                            Self.record(RunID("r\(index)"), at: Double(index)), definition: Self.definition,
                            inFlightLimit: 10, lease: nil) == nil
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(admitted == 10)
            #expect(try await stores[0].count(tenant: "acme", user: nil, status: nil, crew: nil) == 10)
        }
    }

    @Test(
        "claims: queued, interrupted and expired runs, oldest first, up to the limit; never a live lease nor a run without a definition; `only`; the status claimed from",
        arguments: adapters)
    func claims(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            let until = Self.now.addingTimeInterval(30)
            try await Self.enqueue(store, "q1", at: 1)
            try await Self.enqueue(store, "live", at: 2, lease: Self.lease("w0", for: 60))
            try await Self.enqueue(store, "expired", at: 3, lease: Self.lease("w0", for: -1))
            var interrupted = Self.record("cut", status: .interrupted, at: 4)
            interrupted.finishedAt = Self.created.addingTimeInterval(5)
            try await store.insert(interrupted)
            try await store.saveDefinition(Self.definition, of: "cut")
            // A record nothing could carry out (a playground session's: no definition) is never claimed.
            try await store.insert(Self.record("bare", status: .running, at: 0))
            try await Self.enqueue(store, "q2", at: 5)
            try await store.insert(Self.record("done", status: .succeeded))
            try await store.insert(Self.record("waiting", status: .awaitingApproval))
            #expect(try await store.claimRuns(worker: "w1", limit: 0, now: Self.now, until: until, only: nil).isEmpty)
            let first = try await store.claimRuns(worker: "w1", limit: 2, now: Self.now, until: until, only: nil)
            #expect(
                first == [ClaimedRun(runID: "q1", previous: .queued), ClaimedRun(runID: "expired", previous: .running)])
            let only = try await store.claimRuns(worker: "w1", limit: 10, now: Self.now, until: until, only: "q2")
            #expect(only == [ClaimedRun(runID: "q2", previous: .queued)])
            #expect(
                try await store.claimRuns(worker: "w2", limit: 10, now: Self.now, until: until, only: "live").isEmpty)
            let rest = try await store.claimRuns(worker: "w2", limit: 10, now: Self.now, until: until, only: nil)
            #expect(rest == [ClaimedRun(runID: "cut", previous: .interrupted)])
            let cut = try await store.run("cut", tenant: nil)
            #expect(cut?.status == .running)
            #expect(cut?.finishedAt == nil)
            #expect(try await store.claimRuns(worker: "w3", limit: 10, now: Self.now, until: until, only: nil).isEmpty)
            #expect(try await store.run("done", tenant: nil)?.status == .succeeded)
            #expect(try await store.run("waiting", tenant: nil)?.status == .awaitingApproval)

            // Once their leases lapse, every running run is taken over, as `running`.
            let later = until.addingTimeInterval(1)
            let takenOver = try await store.claimRuns(
                worker: "w3", limit: 10, now: later, until: later.addingTimeInterval(30), only: nil)
            #expect(takenOver.map(\.runID) == ["q1", "expired", "cut", "q2"])
            #expect(takenOver.allSatisfy { $0.previous == .running && !$0.cancelRequested })
            #expect(
                try await store.renewLeases(worker: "w3", until: later.addingTimeInterval(30)).held == [
                    "q1", "expired", "cut", "q2",
                ])
            #expect(try await store.renewLeases(worker: "w1", until: later).held.isEmpty)
        }
    }

    @Test("claims under concurrency: five workers claiming 50 runs at once never get the same run", arguments: adapters)
    func claimsConcurrent(_ adapter: StoreAdapter) async throws {
        try await adapter.withStores(5) { stores in
            for index in 0..<50 { try await Self.enqueue(stores[index % 5], RunID("r\(index)"), at: Double(index)) }
            let claimed = try await withThrowingTaskGroup(of: [RunID].self) { group in
                for worker in 0..<5 {
                    group.addTask {
                        var mine: [RunID] = []
                        while true {
                            let batch = try await stores[worker].claimRuns(
                                worker: "w\(worker)", limit: 20, now: Self.now,
                                until: Self.now.addingTimeInterval(60), only: nil)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.runID)
                        }
                    }
                }
                return try await group.reduce(into: [RunID]()) { $0 += $1 }
            }
            #expect(claimed.count == 50)
            #expect(Set(claimed).count == 50)
        }
    }

    @Test("renewal: extends the worker's leases, lists what it holds and what was asked to cancel", arguments: adapters)
    func renewal(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            try await Self.enqueue(store, "a", at: 1, lease: Self.lease("w1", for: 10))
            try await Self.enqueue(store, "b", at: 2, lease: Self.lease("w1", for: 10))
            try await Self.enqueue(store, "c", at: 3, lease: Self.lease("w2", for: 10))
            #expect(try await store.requestCancel("b", tenant: "acme", now: Self.now) == .requested)
            let renewal = try await store.renewLeases(worker: "w1", until: Self.now.addingTimeInterval(100))
            #expect(renewal == LeaseRenewal(held: ["a", "b"], cancelRequested: ["b"]))
            let later = Self.now.addingTimeInterval(50)
            let claimed = try await store.claimRuns(
                worker: "w3", limit: 10, now: later, until: later.addingTimeInterval(30), only: nil)
            #expect(claimed == [ClaimedRun(runID: "c", previous: .running)], "only the lease not renewed lapsed")
            #expect(try await store.renewLeases(worker: "w2", until: later).held.isEmpty, "w2 lost its run")
            let afterRenewal = Self.now.addingTimeInterval(101)
            let takenOver = try await store.claimRuns(
                worker: "w3", limit: 10, now: afterRenewal, until: afterRenewal.addingTimeInterval(30), only: "b")
            #expect(takenOver == [ClaimedRun(runID: "b", previous: .running, cancelRequested: true)])
        }
    }

    @Test("release: only by the worker holding the run; writes the record and frees the run", arguments: adapters)
    func release(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            let until = Self.now.addingTimeInterval(30)
            try await Self.enqueue(store, "r1", lease: Self.lease("w1", for: 30))
            var finished = Self.record("r1", status: .succeeded)
            finished.output = "done"
            finished.finishedAt = Self.now
            #expect(try await !store.release(finished, worker: "w2"))
            #expect(try await store.run("r1", tenant: nil)?.status == .running, "nothing written")
            #expect(try await store.release(finished, worker: "w1"))
            #expect(try await store.run("r1", tenant: nil)?.output == "done")
            #expect(try await store.run("r1", tenant: nil)?.status == .succeeded)
            #expect(try await store.renewLeases(worker: "w1", until: until).held.isEmpty)
            #expect(try await !store.release(finished, worker: "w1"), "released once")
            #expect(try await store.claimRuns(worker: "w3", limit: 10, now: Self.now, until: until, only: nil).isEmpty)

            // Released to wait (queued again), the run is claimable at once.
            try await Self.enqueue(store, "r2", at: 1, lease: Self.lease("w1", for: 30))
            #expect(try await store.release(Self.record("r2", status: .queued, at: 1), worker: "w1"))
            #expect(
                try await store.claimRuns(worker: "w3", limit: 10, now: Self.now, until: until, only: nil) == [
                    ClaimedRun(runID: "r2", previous: .queued)
                ])

            // Giving up the lease alone leaves the record and makes the run claimable.
            try await Self.enqueue(store, "r3", at: 2, lease: Self.lease("w1", for: 30))
            try await store.releaseLease("r3", worker: "w2")
            #expect(try await store.renewLeases(worker: "w1", until: until).held == ["r3"])
            try await store.releaseLease("r3", worker: "w1")
            #expect(try await store.run("r3", tenant: nil)?.status == .running)
            #expect(
                try await store.claimRuns(worker: "w4", limit: 10, now: Self.now, until: until, only: nil) == [
                    ClaimedRun(runID: "r3", previous: .running)
                ])

            // The record's update leaves the lease as it is.
            try await store.update(Self.record("r3", status: .running, at: 2))
            #expect(try await store.renewLeases(worker: "w4", until: until).held == ["r3"])
        }
    }

    @Test(
        "cancel requests: not found, already ended, cancelled at once when nobody holds the run, else requested",
        arguments: adapters)
    func cancel(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            try await Self.enqueue(store, "queued")
            try await Self.enqueue(store, "held", at: 1, lease: Self.lease("w1", for: 30))
            try await Self.enqueue(store, "lapsed", at: 2, lease: Self.lease("w1", for: -1))
            try await store.insert(Self.record("cut", status: .interrupted, at: 3))
            try await store.insert(Self.record("waiting", status: .awaitingApproval, at: 4))
            try await store.insert(Self.record("done", status: .succeeded, at: 5))
            try await store.insert(Self.record("failed", status: .failed, at: 6))
            #expect(try await store.requestCancel("missing", tenant: "acme", now: Self.now) == .notFound)
            #expect(try await store.requestCancel("queued", tenant: "globex", now: Self.now) == .notFound)
            #expect(try await store.requestCancel("done", tenant: "acme", now: Self.now) == .ended(.succeeded))
            #expect(try await store.requestCancel("failed", tenant: "acme", now: Self.now) == .ended(.failed))
            #expect(try await store.requestCancel("held", tenant: "acme", now: Self.now) == .requested)
            #expect(try await store.run("held", tenant: nil)?.status == .running, "its worker ends it")
            for id: RunID in ["queued", "lapsed", "cut", "waiting"] {
                #expect(try await store.requestCancel(id, tenant: "acme", now: Self.now) == .cancelled, "\(id)")
                let run = try await store.run(id, tenant: nil)
                #expect(run?.status == .cancelled)
                #expect(run?.errorCode == "cancelled")
                #expect(run?.errorMessage == "cancelled by the caller")
                #expect(run?.finishedAt == Self.now)
            }
            #expect(try await store.requestCancel("queued", tenant: "acme", now: Self.now) == .ended(.cancelled))
            let until = Self.now.addingTimeInterval(30)
            #expect(try await store.renewLeases(worker: "w1", until: until).cancelRequested == ["held"])
            #expect(
                try await store.claimRuns(worker: "w2", limit: 10, now: Self.now, until: until, only: nil).isEmpty,
                "cancelled runs are not claimable; the lapsed lease was cleared")
        }
    }

    @Test(
        "signals: a subscriber hears enqueues, events, claims, releases, cancel requests and agent versions written through another store on the database",
        .timeLimit(.minutes(1)), arguments: adapters)
    func signals(_ adapter: StoreAdapter) async throws {
        try await adapter.withStores(2) { stores in
            let (listener, writer) = (stores[0], stores[1])
            let recorder = SignalRecorder(listener.signals())
            defer { recorder.stop() }
            if adapter == .postgres {
                #expect(await recorder.wait(for: [.resync]), "the listening connection says when it listens")
            }
            try await Self.enqueue(writer, "r1")
            #expect(await recorder.wait(for: [.status("r1"), .queued]))
            try await writer.append(
                RunEvent(
                    runID: "r1", sequence: 1, timestamp: Self.now, agentPath: [],
                    kind: .taskStarted(task: "t", agent: "writer")))
            #expect(await recorder.wait(for: [.event("r1", sequence: 1)]))
            let claimed = try await writer.claimRuns(
                worker: "w1", limit: 1, now: Self.now, until: Self.now.addingTimeInterval(30), only: nil)
            #expect(claimed.map(\.runID) == ["r1"])
            await recorder.clear()
            #expect(try await writer.requestCancel("r1", tenant: "acme", now: Self.now) == .requested)
            #expect(await recorder.wait(for: [.cancel("r1")]))
            #expect(try await writer.release(Self.record("r1", status: .interrupted), worker: "w1"))
            #expect(await recorder.wait(for: [.status("r1"), .queued]))
            await recorder.clear()
            try await Self.enqueue(writer, "r2", lease: Self.lease("w1", for: 30))
            #expect(await recorder.wait(for: [.status("r2")]))
            try await writer.releaseLease("r2", worker: "w1")
            #expect(await recorder.wait(for: [.queued]))
            try await writer.setStatus("r2", .succeeded, from: .running)
            #expect(try await writer.claim("r2", from: [.succeeded], to: .queued))
            try await writer.insert(Self.record("r3"))
            try await writer.update(Self.record("r3", status: .failed))
            #expect(try await writer.requestCancel("r3", tenant: "acme", now: Self.now) == .ended(.failed))
            _ = try await writer.appendAgentVersion("writer", content: "v1", user: "ada")
            #expect(await recorder.wait(for: [.status("r2"), .status("r3"), .definitions]))
            #expect(await !recorder.seen.contains(.cancel("r3")))
        }
    }

    @Test(
        "agent version counter: grows with every version; changes after a counter are the newest of each agent",
        arguments: adapters)
    func agentChanges(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            #expect(try await store.agentVersionCounter() == 0)
            #expect(try await store.agentChanges(after: 0).isEmpty)
            _ = try await store.appendAgentVersion("writer", content: "w1", user: "ada")
            let afterFirst = try await store.agentVersionCounter()
            #expect(afterFirst > 0)
            _ = try await store.appendAgentVersion("editor", content: "e1", user: "ada")
            _ = try await store.appendAgentVersion("writer", content: "w2", user: "ada")
            let counter = try await store.agentVersionCounter()
            #expect(counter > afterFirst)
            let all = try await store.agentChanges(after: 0)
            #expect(all.map(\.agent) == ["editor", "writer"], "the newest of each, in the order they were stored")
            #expect(all.map(\.version) == [1, 2])
            #expect(all.map(\.content) == ["e1", "w2"])
            #expect(all.last?.counter == counter)
            #expect(try await store.agentChanges(after: counter).isEmpty)
            _ = try await store.appendAgentVersion("editor", content: "e2", user: "bob")
            let changes = try await store.agentChanges(after: counter)
            #expect(changes.map(\.agent) == ["editor"])
            #expect(changes.first?.version == 2)
            #expect(try await store.agentVersionCounter() == changes.first?.counter)
        }
    }
    @Test(
        "a run whose worker died while it stopped to wait for an approval is claimed once the lease expires; a cancel asked for survives an interruption",
        arguments: adapters)
    func strandedAndInterrupted(_ adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            let until = Self.now.addingTimeInterval(30)
            // Stopped to wait, but its worker died before giving the lease up.
            try await Self.enqueue(store, "waiting", at: 1, lease: Self.lease("w1", for: 10))
            try await store.setStatus("waiting", .awaitingApproval, from: .running)
            #expect(try await store.claimRuns(worker: "w2", limit: 10, now: Self.now, until: until, only: nil).isEmpty)
            let later = Self.now.addingTimeInterval(20)
            #expect(
                try await store.claimRuns(worker: "w2", limit: 10, now: later, until: until, only: nil) == [
                    ClaimedRun(runID: "waiting", previous: .awaitingApproval)
                ])
            // Once its lease is given up, a waiting run is not claimable: a decision queues it.
            try await Self.enqueue(store, "parked", at: 2, lease: Self.lease("w1", for: 10))
            try await store.setStatus("parked", .awaitingApproval, from: .running)
            try await store.releaseLease("parked", worker: "w1")
            #expect(
                try await store.claimRuns(worker: "w2", limit: 10, now: later, until: until, only: "parked").isEmpty)

            try await Self.enqueue(store, "held", at: 3, lease: Self.lease("w1", for: 60))
            #expect(try await store.requestCancel("held", tenant: "acme", now: Self.now) == .requested)
            #expect(try await store.release(Self.record("held", status: .interrupted), worker: "w1"))
            let claimed = try await store.claimRuns(worker: "w2", limit: 10, now: Self.now, until: until, only: "held")
            #expect(claimed == [ClaimedRun(runID: "held", previous: .interrupted, cancelRequested: true)])
        }
    }
}

/// Collects the signals of a stream in the background, so a test can wait for the ones it expects.
final class SignalRecorder: Sendable {
    private let state = Seen()
    private let task: Task<Void, Never>

    /// Starts collecting `signals`.
    init(_ signals: AsyncStream<RunSignal>) {
        let state = self.state
        task = Task {
            for await signal in signals { await state.add(signal) }
        }
    }

    /// Every signal so far.
    var seen: [RunSignal] { get async { await state.signals } }

    /// Forgets the signals so far.
    func clear() async { await state.clear() }

    /// Waits (at most `limit`) until every one of `expected` was seen; true when they were.
    func wait(for expected: Set<RunSignal>, within limit: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if expected.isSubset(of: Set(await state.signals)) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Stops collecting.
    func stop() { task.cancel() }

    private actor Seen {
        var signals: [RunSignal] = []
        func add(_ signal: RunSignal) { signals.append(signal) }
        func clear() { signals = [] }
    }

}
