import Foundation

/// An ``ApprovalGate`` on the run store: the request is stored as pending and
/// the run polls for a decision (which may come from another process, e.g.
/// `agentctl approvals approve`) until it expires.
public struct StoreApprovalGate: ApprovalGate {
    /// The store.
    public let store: any ApprovalStore & RunClaims
    /// How long a request waits before it expires (and counts as rejected).
    public let expiry: Duration
    /// How often the store is checked.
    public let pollInterval: Duration
    /// Whether a run stops while it waits (`serve`: it holds no task and is carried on once decided) instead of
    /// waiting in memory (`agentctl run` in the foreground).
    public let suspends: Bool
    /// Where the gate gets the date (expiry) and waits between checks.
    public let time: TimeSource

    /// Creates a gate.
    public init(
        store: any ApprovalStore & RunClaims, expiry: Duration = .seconds(3600),
        pollInterval: Duration = .milliseconds(250), suspends: Bool = false,
        time: TimeSource = .system
    ) {
        self.store = store
        self.time = time
        self.expiry = expiry
        self.pollInterval = pollInterval
        self.suspends = suspends
    }

    /// The decision on `request`: one already made (a run carried on after its approval asks again with the same
    /// id), or stores the request and waits for it (or, when the gate suspends, throws ``ApprovalSuspended``).
    public func decide(_ request: ApprovalRequest) async throws -> ApprovalDecision {
        let expiresAt: Date
        if let existing = try await store.approval(request.id, tenant: nil) {
            if let decision = Self.decision(existing) { return decision }
            expiresAt = existing.expiresAt
        } else {
            expiresAt = time.now.addingTimeInterval(expiry.seconds)
            try await store.insertApproval(request, expiresAt: expiresAt)
        }
        if time.now >= expiresAt, try await store.expireApproval(request.id) {
            return ApprovalDecision(approved: false, by: "expiry", expired: true)
        }
        try await store.setStatus(request.runID, .awaitingApproval, from: .running)
        if suspends { throw ApprovalSuspended(approvalID: request.id) }
        do {
            let decision = try await wait(for: request, expiresAt: expiresAt)
            try await store.setStatus(request.runID, .running, from: .awaitingApproval)
            return decision
        } catch {
            // Cancelled while waiting: back to running (the run's final status is written after this).
            try? await store.setStatus(request.runID, .running, from: .awaitingApproval)
            throw error
        }
    }

    /// The decision a stored approval carries, if it is decided.
    static func decision(_ record: ApprovalRecord) -> ApprovalDecision? {
        guard record.status != "pending" else { return nil }
        return ApprovalDecision(
            approved: record.status == "approved", by: record.decidedBy ?? "", comment: record.comment ?? "",
            expired: record.status == "expired")
    }

    private func wait(for request: ApprovalRequest, expiresAt: Date) async throws -> ApprovalDecision {
        while true {
            if let record = try await store.approval(request.id, tenant: nil), let decision = Self.decision(record) {
                return decision
            }
            if time.now >= expiresAt, try await store.expireApproval(request.id) {
                return ApprovalDecision(approved: false, by: "expiry", expired: true)
            }
            // Never past the expiry: a request expires when it is due, not up to a poll later. Once it is due (and
            // could not be marked expired, e.g. decided meanwhile), back to the normal poll.
            let remaining = Int((expiresAt.timeIntervalSince(time.now) * 1000).rounded())
            try await time.sleep(for: remaining > 0 ? min(pollInterval, .milliseconds(remaining)) : pollInterval)
        }
    }
}
