import AgentRuntime
import Foundation
import PostgresNIO

extension PostgresRunStore: LeaseCounting {
    /// Runs held under a live lease at `now`, and unfinished runs whose lease has expired, in one statement.
    public func leaseCounts(now: Date) async throws -> (live: Int, expired: Int) {
        let seconds = Self.seconds(now)
        return try await rows(
            """
            SELECT COUNT(*) FILTER (WHERE lease_expires_at >= \(seconds))::bigint,
                COUNT(*) FILTER (WHERE lease_expires_at < \(seconds)
                    AND status IN ('running', 'awaiting_approval'))::bigint
            FROM runs WHERE lease_owner IS NOT NULL
            """
        ) { try $0.decode((Int, Int).self) }.first.map { (live: $0.0, expired: $0.1) } ?? (0, 0)
    }
}
