import Foundation

/// This process's worker on a shared run queue: its id, the leases it holds, and the loop that renews them.
///
/// Every run the process carries out is held here while its attempt lasts. Each `leaseDuration / 3` the keeper
/// extends all its leases in one store call; a run the store says it no longer holds (another worker took it over
/// after the lease expired) or that someone asked to cancel is stopped through the callback it was held with. When
/// the store cannot be reached for a whole lease, every run is stopped: other workers may already carry them on.
public actor LeaseKeeper {
    /// Why a held run must stop.
    public enum Stop: Sendable, Hashable {
        /// Someone asked for the run to be cancelled.
        case cancelRequested
        /// The lease was lost: another worker carries the run on now.
        case leaseLost
    }

    /// The worker id leases are held under: `host:pid:random`, unique per process.
    public nonisolated let worker: String
    /// How long a lease lasts unless renewed.
    public nonisolated let leaseDuration: Duration
    /// Where lease times are read and renewal waits happen.
    public nonisolated let time: TimeSource
    private let store: any RunQueue
    private var held: [RunID: @Sendable (Stop) -> Void] = [:]
    private var renewing: Task<Void, Never>?
    private var lastRenewal: Date

    /// Creates a keeper for a worker on `store`.
    public init(
        store: any RunQueue, worker: String = LeaseKeeper.processWorkerID, leaseDuration: Duration = .seconds(30),
        time: TimeSource = .system
    ) {
        self.store = store
        self.worker = worker
        self.leaseDuration = leaseDuration
        self.time = time
        self.lastRenewal = time.now
    }

    /// This process's worker id: host, process id and a random part (a restarted process is a new worker).
    public static let processWorkerID: String = {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(host):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
    }()

    /// Whether `worker` names a process of this machine that no longer exists (its leases can be expired at once).
    public static func isGoneLocalWorker(_ worker: String) -> Bool {
        let parts = worker.split(separator: ":")
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        guard parts.count == 3, parts[0] == host, let pid = Int32(parts[1]) else { return false }
        if worker == processWorkerID { return false }
        if pid == ProcessInfo.processInfo.processIdentifier { return true }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// A lease from now.
    public nonisolated func lease() -> RunLease {
        RunLease(worker: worker, expiresAt: time.now.addingTimeInterval(leaseDuration.seconds))
    }

    /// Runs held now.
    public var heldRuns: Set<RunID> { Set(held.keys) }

    /// Holds `run` (already leased to this worker) until ``drop(_:)``; `onStop` is called when it must stop.
    public func hold(_ run: RunID, onStop: @escaping @Sendable (Stop) -> Void) {
        held[run] = onStop
        if renewing == nil {
            lastRenewal = time.now
            renewing = Task { await self.renewLoop() }
        }
    }

    /// Stops holding `run` (its attempt ended; the store's lease was released with its final write).
    public func drop(_ run: RunID) {
        held[run] = nil
    }

    /// Renews every lease once now; returns the runs told to stop.
    @discardableResult
    public func renew() async -> [RunID: Stop] {
        guard !held.isEmpty else { return [:] }
        var stops: [RunID: Stop] = [:]
        do {
            let renewal = try await store.renewLeases(
                worker: worker, until: time.now.addingTimeInterval(leaseDuration.seconds))
            lastRenewal = time.now
            for run in held.keys {
                if !renewal.held.contains(run) {
                    stops[run] = .leaseLost
                } else if renewal.cancelRequested.contains(run) {
                    stops[run] = .cancelRequested
                }
            }
        } catch {
            // The store is out: once a whole lease has passed without renewal, other workers may take the runs.
            if time.now.timeIntervalSince(lastRenewal) >= leaseDuration.seconds {
                for run in held.keys { stops[run] = .leaseLost }
            }
        }
        for (run, stop) in stops {
            let callback = held[run]
            // A lost run is not held any more; a cancelled one stays held until its attempt writes the end.
            if stop == .leaseLost { held[run] = nil }
            callback?(stop)
        }
        return stops
    }

    private func renewLoop() async {
        while !held.isEmpty, !Task.isCancelled {
            do { try await time.sleep(for: leaseDuration / 3) } catch { break }
            await renew()
        }
        renewing = nil
    }
}
