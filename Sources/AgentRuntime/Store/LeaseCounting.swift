import Foundation

/// A store that can count the leases workers hold on runs (the PostgreSQL store, shared by replicas).
public protocol LeaseCounting: Sendable {
    /// Runs held under a lease that is still live at `now`, and runs whose lease expired while they were not done.
    func leaseCounts(now: Date) async throws -> (live: Int, expired: Int)
}
