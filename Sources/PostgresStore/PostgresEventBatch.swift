import AgentRuntime
import Foundation
import PostgresNIO

/// Events waiting to be written: a run does not wait for the database for each event, and the events of many runs
/// go in one statement with one notification per run (as the SQLite store batches them). Whatever is pending is
/// written before the store reads events or writes a run's record, so a run's events are stored before its final
/// status and every reader sees them.
actor PostgresEventBatch {
    /// One `events` row.
    struct Row: Sendable {
        var runID: String
        var sequence: Int
        var timestamp: Double
        var agentPath: String
        var kind: String
        var data: String
    }

    private var pending: [Row] = []
    private var writing = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// Writes one batch (the store's statement).
    private let write: @Sendable ([Row]) async throws -> Void

    init(write: @escaping @Sendable ([Row]) async throws -> Void) { self.write = write }

    /// Queues a row; the first of a batch starts the writer.
    func add(_ row: Row) {
        pending.append(row)
        guard !writing else { return }
        writing = true
        Task { await drain() }
    }

    /// Returns once every row queued before the call is written (or given up).
    func flush() async {
        guard writing || !pending.isEmpty else { return }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func drain() async {
        while !pending.isEmpty {
            // The same event twice in one batch (a row replaced) keeps its last version.
            var latest: [String: Row] = [:]
            var order: [String] = []
            for row in pending {
                let key = "\(row.runID) \(row.sequence)"
                if latest[key] == nil { order.append(key) }
                latest[key] = row
            }
            pending = []
            let rows = order.compactMap { latest[$0] }
            // A database that is out gets three tries a little apart; then the batch is given up (as the SQLite store
            // skips a row it cannot write), so a run's final write is not held up for ever.
            for attempt in 0..<3 {
                do {
                    try await write(rows)
                    break
                } catch {
                    if attempt < 2 { try? await Task.sleep(for: .milliseconds(100)) }
                }
            }
        }
        writing = false
        let resumed = waiting
        waiting = []
        for continuation in resumed { continuation.resume() }
    }
}

extension PostgresRunStore {
    /// Writes a batch of events in one statement, with one notification per run naming its last event.
    static func writeEvents(_ rows: [PostgresEventBatch.Row], store: PostgresRunStore) async throws {
        try await store.execute(
            """
            WITH written AS (
                INSERT INTO events (run_id, sequence, timestamp, agent_path, kind, data)
                SELECT * FROM unnest(\(rows.map(\.runID))::text[], \(rows.map(\.sequence))::bigint[],
                    \(rows.map(\.timestamp))::float8[], \(rows.map(\.agentPath))::text[], \(rows.map(\.kind))::text[],
                    \(rows.map(\.data))::text[])
                ON CONFLICT (run_id, sequence) DO UPDATE SET timestamp = EXCLUDED.timestamp,
                    agent_path = EXCLUDED.agent_path, kind = EXCLUDED.kind, data = EXCLUDED.data
                RETURNING run_id, sequence)
            SELECT pg_notify('agentruntime', 'e ' || run_id || ' ' || MAX(sequence)) FROM written GROUP BY run_id
            """)
    }
}
