import Foundation

// Runs are queued in the store and carried out by workers holding leases: several processes (replicas) share one
// store, each run is executed by one worker at a time, and a run whose worker died is taken over once its lease
// expires. Times are the caller's (``TimeSource``), so tests drive expiry without sleeping.

/// A worker's hold on a run until `expiresAt`; renewed while the worker carries the run out.
public struct RunLease: Hashable, Sendable {
    /// The worker (one per process: `host:pid:random`).
    public var worker: String
    /// When the hold ends unless renewed.
    public var expiresAt: Date

    /// Creates a lease.
    public init(worker: String, expiresAt: Date) {
        self.worker = worker
        self.expiresAt = expiresAt
    }
}

/// A run a worker has just claimed, and the status it was claimed from.
public struct ClaimedRun: Hashable, Sendable {
    /// The run (now `running`, held by the worker).
    public var runID: RunID
    /// `queued` (new, or after an approval was decided), `interrupted` (a shutdown stopped it), `running` (the
    /// worker that held it stopped renewing its lease) or `awaiting_approval` (its worker stopped while the run
    /// stopped to wait).
    public var previous: RunStatus
    /// Whether a cancel was asked for while nobody carried the run out: the claimer ends it as cancelled.
    public var cancelRequested: Bool

    /// Creates a claimed run.
    public init(runID: RunID, previous: RunStatus, cancelRequested: Bool = false) {
        self.runID = runID
        self.previous = previous
        self.cancelRequested = cancelRequested
    }
}

/// What renewing a worker's leases found.
public struct LeaseRenewal: Hashable, Sendable {
    /// The runs the worker still holds (a run it carries out that is missing here was taken over: stop it).
    public var held: Set<RunID>
    /// Held runs someone asked to cancel.
    public var cancelRequested: Set<RunID>

    /// Creates a renewal result.
    public init(held: Set<RunID>, cancelRequested: Set<RunID> = []) {
        self.held = held
        self.cancelRequested = cancelRequested
    }
}

/// What asking to cancel a run did.
public enum CancelRequest: Hashable, Sendable {
    /// Nobody was carrying the run out (queued, interrupted, waiting for an approval, or its worker's lease had
    /// expired): it is cancelled now.
    case cancelled
    /// A worker holds the run: it was asked to stop (it ends the run as cancelled).
    case requested
    /// The run had already ended with this status.
    case ended(RunStatus)
    /// No such run for the tenant.
    case notFound
}

/// The port to the run queue shared by every worker on a store.
///
/// A run is `queued` until a worker claims it; `running` under a lease the worker renews; back to claimable when
/// the lease expires (the worker died) or the run is `interrupted`; released when the run ends or stops to wait
/// for an approval. Claims are atomic: of several workers, exactly one gets a run.
public protocol RunQueue: Sendable {
    /// Stores a new run with the definition it starts with, in one step: `queued` for any worker, or `running`
    /// held by `lease` (the submitting process carries it out itself). Refused, storing nothing, while the run's
    /// tenant has `inFlightLimit` or more runs queued, running or interrupted (runs with a definition: a playground
    /// session's record does not count): returns that count. Nil: stored.
    func enqueue(
        _ run: RunRecord, definition: RunDefinition, inFlightLimit: Int?, lease: RunLease?
    ) async throws -> Int?

    /// Claims up to `limit` runs for `worker` until `until`, oldest first: queued and interrupted runs, running ones
    /// whose lease expired before `now`, and ones waiting for an approval whose worker's lease expired before it gave
    /// the lease up (it died while the run stopped to wait). Never a run without a stored definition. With `only`,
    /// just that run (when claimable). Each becomes `running`.
    func claimRuns(worker: String, limit: Int, now: Date, until: Date, only: RunID?) async throws -> [ClaimedRun]

    /// Extends every lease `worker` holds to `until`; returns the runs it holds and those asked to cancel.
    func renewLeases(worker: String, until: Date) async throws -> LeaseRenewal

    /// Writes `record` (the run's end, or its interruption) and gives up `worker`'s lease, in one step; false,
    /// writing nothing, when `worker` no longer holds the run (another worker took it over). A cancel asked for
    /// stays asked for when the record leaves the run claimable (`queued`, `interrupted`).
    func release(_ record: RunRecord, worker: String) async throws -> Bool

    /// Gives up `worker`'s lease on `run` without changing anything else (an attempt that stopped to wait).
    func releaseLease(_ run: RunID, worker: String) async throws

    /// Asks for a run of `tenant` to be cancelled (see ``CancelRequest``); `now` decides whether a lease is live.
    func requestCancel(_ run: RunID, tenant: TenantID, now: Date) async throws -> CancelRequest
}

/// Something that changed in the store, as every process sharing it learns of it.
public enum RunSignal: Hashable, Sendable {
    /// A run's event was stored.
    case event(RunID, sequence: Int)
    /// A run's record changed (its status, most often).
    case status(RunID)
    /// A run became claimable (queued, interrupted, or released).
    case queued
    /// Someone asked for a run to be cancelled.
    case cancel(RunID)
    /// An agent definition version was stored.
    case definitions
    /// Signals may have been lost (the listening connection was re-established): re-read what you follow.
    case resync
}

/// The port to change notifications from a store shared by several processes.
public protocol RunSignalSource: Sendable {
    /// Every signal from now on, from this process and every other one on the store; ends when dropped.
    func signals() -> AsyncStream<RunSignal>
}

/// A store that can say whether it is reachable (for readiness).
public protocol StoreHealth: Sendable {
    /// Throws ``StoreError`` (code `unavailable`) when the store cannot be used now.
    func checkAvailable() async throws
}
