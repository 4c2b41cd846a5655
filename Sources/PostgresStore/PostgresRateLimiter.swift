import AgentRuntime
import Foundation
import PostgresNIO

/// Token buckets shared by every replica on a PostgreSQL store (table `rate_buckets`), with the semantics of the
/// in-memory ``RateLimiter``: a bucket of capacity `perMinute` starts full, refills continuously at `perMinute / 60`
/// a second, and may go into debt, which queues callers in arrival order.
///
/// Each reservation is one statement that refills and takes from the bucket under its row lock, so concurrent
/// reservations from any process see each other. Refills are measured with `time.now` (each replica's clock; a
/// clock behind the bucket's last update refills nothing rather than draining it). A reservation that cannot reach
/// the database throws ``StoreError`` (code `unavailable`) within the store's query timeout.
public struct PostgresRateLimiter: RateLimiting {
    /// The store whose database holds the buckets.
    public let store: PostgresRunStore
    /// Where callers wait out a reservation, and the clock refills are measured with.
    public let time: TimeSource

    /// Creates a limiter on `store`'s database.
    public init(store: PostgresRunStore, time: TimeSource = .system) {
        self.store = store
        self.time = time
    }

    /// Takes `amount` from the bucket `key` (capacity `perMinute`); returns the wait before the caller may proceed.
    public func reserve(_ key: String, amount: Double, perMinute: Int) async throws -> Duration {
        let capacity = Double(max(1, perMinute))
        let now = time.now.timeIntervalSince1970
        let level =
            try await store.rows(
                """
                INSERT INTO rate_buckets AS b (key, level, capacity, updated)
                VALUES (\(key), \(capacity - amount), \(capacity), \(now))
                ON CONFLICT (key) DO UPDATE SET
                    level = LEAST(EXCLUDED.capacity,
                        b.level + GREATEST(0, EXCLUDED.updated - b.updated) * (EXCLUDED.capacity / 60)) - \(amount),
                    capacity = EXCLUDED.capacity, updated = GREATEST(b.updated, EXCLUDED.updated)
                RETURNING level
                """
            ) { try $0.decode(Double.self) }.first ?? 0
        guard level < 0 else { return .zero }
        return .milliseconds(Int((-level / (capacity / 60) * 1000).rounded(.up)))
    }

    /// Corrects an earlier reservation once the real amount is known (positive takes more, negative gives back).
    public func adjust(_ key: String, by amount: Double) async throws {
        let now = time.now.timeIntervalSince1970
        try await store.execute(
            """
            UPDATE rate_buckets SET
                level = LEAST(capacity,
                    LEAST(capacity, level + GREATEST(0, \(now) - updated) * (capacity / 60)) - \(amount)),
                updated = GREATEST(updated, \(now))
            WHERE key = \(key)
            """)
    }
}
