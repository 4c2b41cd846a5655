import CSQLite
import Foundation

extension SQLiteRunStore: LeaseCounting {
    /// Runs held under a live lease at `now`, and unfinished runs whose lease has expired.
    public func leaseCounts(now: Date) throws -> (live: Int, expired: Int) {
        try select(
            """
            SELECT COALESCE(SUM(lease_expires_at >= ?1), 0),
                COALESCE(SUM(lease_expires_at < ?1 AND status IN ('running', 'awaiting_approval')), 0)
            FROM runs WHERE lease_owner IS NOT NULL
            """, [.real(now.timeIntervalSince1970)]
        ) { (live: Int(sqlite3_column_int64($0, 0)), expired: Int(sqlite3_column_int64($0, 1))) }.first ?? (0, 0)
    }
}
