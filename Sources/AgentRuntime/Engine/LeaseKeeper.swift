import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// This process's worker on a shared run queue: its id, the leases it holds, and the loop that renews them.
///
/// Every run the worker carries out is held here while its attempt lasts (and reserved from the moment it is
/// claimed or submitted, so a renewal never mistakes it for a stray). Each `leaseDuration / 3` the keeper extends
/// all the worker's leases in one store call. A held run the store says the worker no longer holds (another worker
/// took it over) or that someone asked to cancel is stopped through the callback it was held with. A lease the
/// worker has but holds no run for (a claim that failed half-way, a final write lost to a database outage) is given
/// up, so another worker carries that run on instead of the lease being renewed for ever. When the store cannot be
/// reached and the last renewed lease is within a third of its end, every held run is stopped: other workers may
/// take them once it ends.
public actor LeaseKeeper {
    /// Why a held run must stop.
    public enum Stop: Sendable, Hashable {
        /// Someone asked for the run to be cancelled.
        case cancelRequested
        /// The lease was lost (or is about to be): another worker carries the run on.
        case leaseLost
        /// The process is shutting down: the run is recorded interrupted, for another worker to carry on at once.
        case shutdown
    }

    private struct Holding {
        /// Which attempt holds the run (a run carried on again in this process is a new holding).
        var token: UInt64
        /// Called when the run must stop; nil while the run is only reserved.
        var onStop: (@Sendable (Stop) -> Void)?
    }

    /// The worker id leases are held under: `host:pid:random`, unique per keeper.
    public nonisolated let worker: String
    /// How long a lease lasts unless renewed.
    public nonisolated let leaseDuration: Duration
    /// Where lease times are read and renewal waits happen.
    public nonisolated let time: TimeSource
    private let store: any RunQueue
    private var held: [RunID: Holding] = [:]
    private var nextToken: UInt64 = 1
    /// Claims and submissions under way: a lease they just took is not reserved yet, so strays wait.
    private var claiming = 0
    private var renewing: Task<Void, Never>?
    /// Until when the last successful renewal extended the leases.
    private var renewedUntil: Date

    /// Creates a keeper for a worker on `store` (a new worker id unless one is given).
    public init(
        store: any RunQueue, worker: String? = nil, leaseDuration: Duration = .seconds(30), time: TimeSource = .system
    ) {
        self.store = store
        self.worker = worker ?? Self.newWorkerID()
        self.leaseDuration = leaseDuration
        self.time = time
        self.renewedUntil = time.now.addingTimeInterval(leaseDuration.seconds)
    }

    // MARK: Worker ids

    private static let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
    private static let liveWorkers = LockedSet()

    /// A new worker id of this process, `host:pid:random`.
    static func newWorkerID() -> String {
        let id = "\(host):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
        liveWorkers.insert(id)
        return id
    }

    /// Whether `worker` names a process of this machine that no longer exists (its leases can be expired at once):
    /// another process id that is not running, or this process id with a worker this process never made (a process
    /// before it with the same id, as a container's first process always has).
    public static func isGoneLocalWorker(_ worker: String) -> Bool {
        let parts = worker.split(separator: ":")
        guard parts.count == 3, parts[0] == host, let pid = Int32(parts[1]) else { return false }
        if pid == ProcessInfo.processInfo.processIdentifier { return !liveWorkers.contains(worker) }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    // MARK: Leases

    /// A lease from now.
    public nonisolated func lease() -> RunLease {
        RunLease(worker: worker, expiresAt: time.now.addingTimeInterval(leaseDuration.seconds))
    }

    /// Runs held or reserved now.
    public var heldRuns: Set<RunID> { Set(held.keys) }

    /// Runs `body`, which takes leases (a claim, a submission), and reserves the runs it returns before any renewal
    /// can see them unreserved.
    public func claiming<T: Sendable>(
        _ runs: (T) -> [RunID], _ body: @Sendable () async throws -> T
    ) async rethrows -> T {
        claiming += 1
        defer { claiming -= 1 }
        let result = try await body()
        for run in runs(result) where held[run] == nil { held[run] = Holding(token: 0, onStop: nil) }
        startRenewing()
        return result
    }

    /// Holds `run` (leased to this worker) until ``drop(_:token:)``; `onStop` is called when it must stop. Returns
    /// the holding's token.
    public func hold(_ run: RunID, onStop: @escaping @Sendable (Stop) -> Void) -> UInt64 {
        let token = nextToken
        nextToken += 1
        held[run] = Holding(token: token, onStop: onStop)
        startRenewing()
        return token
    }

    /// Stops holding `run`: the holding `token` names (a later attempt's holding stays), or whatever holds or
    /// reserves it when nil.
    public func drop(_ run: RunID, token: UInt64? = nil) {
        guard let holding = held[run], token == nil || holding.token == token else { return }
        held[run] = nil
    }

    /// Stops every held run for `reason` (a shutdown).
    public func stopAll(_ reason: Stop) {
        for holding in held.values { holding.onStop?(reason) }
    }

    /// Renews every lease once now; returns the runs told to stop.
    @discardableResult
    public func renew() async -> [RunID: Stop] {
        guard !held.isEmpty else { return [:] }
        let mine = held
        let until = time.now.addingTimeInterval(leaseDuration.seconds)
        var stops: [RunID: Stop] = [:]
        do {
            let renewal = try await store.renewLeases(worker: worker, until: until)
            renewedUntil = until
            for run in mine.keys {
                if !renewal.held.contains(run) {
                    stops[run] = .leaseLost
                } else if renewal.cancelRequested.contains(run) {
                    stops[run] = .cancelRequested
                }
            }
            if claiming == 0 {
                for run in renewal.held where held[run] == nil {
                    try? await store.releaseLease(run, worker: worker)
                }
            }
        } catch {
            // The store is out: stop before the leases end, since other workers may take the runs then.
            if time.now >= renewedUntil.addingTimeInterval(-leaseDuration.seconds / 3) {
                for run in mine.keys { stops[run] = .leaseLost }
            }
        }
        for (run, stop) in stops {
            guard let holding = held[run], holding.token == mine[run]?.token else { continue }
            // A lost run is not held any more; a cancelled one stays held until its attempt writes the end.
            if stop == .leaseLost { held[run] = nil }
            holding.onStop?(stop)
        }
        return stops
    }

    private func startRenewing() {
        guard renewing == nil, !held.isEmpty else { return }
        renewing = Task { await self.renewLoop() }
    }

    private func renewLoop() async {
        while !held.isEmpty, !Task.isCancelled {
            do { try await time.sleep(for: leaseDuration / 3) } catch { break }
            await renew()
        }
        renewing = nil
    }
}

/// A set of strings any thread may read and add to.
private final class LockedSet: @unchecked Sendable {
    private let lock = NSLock()
    private var items: Set<String> = []

    func insert(_ item: String) { lock.withLock { _ = items.insert(item) } }
    func contains(_ item: String) -> Bool { lock.withLock { items.contains(item) } }
}
