import AgentRuntime
import Foundation
import PostgresNIO

// The run queue in PostgreSQL, shared by every replica: claims lock the rows they take (`FOR UPDATE SKIP LOCKED`,
// so concurrent claimers take different runs without waiting for each other), admission under a tenant's in-flight
// limit is serialised per tenant by an advisory lock, and every write notifies the `agentruntime` channel in the
// same transaction (delivered when it commits). The semantics are those of the SQLite store.

extension PostgresRunStore: RunQueue, RunSignalSource, StoreHealth {
    /// Stores a new run (queued, or running under `lease`) and its definition, unless its tenant is at its limit
    /// (then returns the tenant's runs in flight, storing nothing). One statement without a limit; with one, a
    /// transaction that counts the tenant's runs under its advisory lock first.
    public func enqueue(
        _ run: RunRecord, definition: RunDefinition, inFlightLimit: Int?, lease: RunLease?
    ) async throws -> Int? {
        var record = run
        record.status = lease == nil ? .queued : .running
        let text = String(decoding: try JSONEncoder().encode(definition), as: UTF8.self)
        let insert: PostgresQuery = """
            WITH inserted AS (
                INSERT INTO runs (id, tenant, user_name, crew, status, inputs, output, output_json, error_code,
                    error_message, input_tokens, output_tokens, cached_input_tokens, cost_usd, created_at,
                    finished_at, lease_owner, lease_expires_at)
                VALUES (\(record.id.rawValue), \(record.tenant.rawValue), \(record.user), \(record.crew),
                    \(record.status.rawValue), \(record.inputs.serialized()), \(record.output),
                    \(record.outputJSON?.serialized()), \(record.errorCode), \(record.errorMessage),
                    \(record.usage.inputTokens), \(record.usage.outputTokens), \(record.usage.cachedInputTokens),
                    \(record.costUSD), \(Self.seconds(record.createdAt)), \(record.finishedAt.map(Self.seconds)),
                    \(lease?.worker), \(lease.map { Self.seconds($0.expiresAt) }))
                RETURNING id),
            defined AS (
                INSERT INTO run_definitions (run_id, attempt, attempt_errors, definition)
                VALUES (\(record.id.rawValue), \(definition.attempt), \(Self.attemptErrors(definition)), \(text))
                ON CONFLICT (run_id) DO UPDATE SET attempt = EXCLUDED.attempt,
                    attempt_errors = EXCLUDED.attempt_errors, definition = EXCLUDED.definition)
            SELECT pg_notify('agentruntime', 's ' || id) \(unescaped: Self.queuedSignal(record.status)) FROM inserted
            """
        guard let inFlightLimit else {
            try await execute(insert)
            return nil
        }
        let logger = self.logger
        let tenant = record.tenant.rawValue
        return try await transaction { connection in
            // Admissions of one tenant take turns: each counts (in a statement of its own, so with a snapshot
            // taken once the lock is held) what the ones before it committed.
            try await Self.query(
                connection, "SELECT pg_advisory_xact_lock(hashtextextended(\("in_flight:" + tenant), 0))",
                logger: logger
            ) { _ in () }
            let inFlight =
                try await Self.query(
                    connection,
                    """
                    SELECT COUNT(*) FROM runs
                    WHERE tenant = \(tenant) AND status IN ('queued', 'running', 'interrupted')
                        AND EXISTS (SELECT 1 FROM run_definitions d WHERE d.run_id = runs.id)
                    """, logger: logger
                ) { try $0.decode(Int.self) }.first ?? 0
            if inFlight >= inFlightLimit { return inFlight }
            try await Self.query(connection, insert, logger: logger) { _ in () }
            return nil
        }
    }

    /// Claims claimable runs, oldest first: each row is locked by the claim that takes it, and rows another claim
    /// holds are skipped, so of several workers exactly one gets a run. A run without a stored definition (a
    /// playground session's record) is never claimed: nothing could carry it out.
    public func claimRuns(
        worker: String, limit: Int, now: Date, until: Date, only: RunID?
    ) async throws -> [ClaimedRun] {
        guard limit > 0 else { return [] }
        return try await rows(
            """
            WITH candidates AS (
                SELECT id, status FROM runs
                WHERE (status IN ('queued', 'interrupted', 'running')
                        OR (status = 'awaiting_approval' AND lease_owner IS NOT NULL))
                    AND (lease_expires_at IS NULL OR lease_expires_at < \(Self.seconds(now)))
                    AND (\(only?.rawValue)::text IS NULL OR id = \(only?.rawValue))
                    AND EXISTS (SELECT 1 FROM run_definitions d WHERE d.run_id = runs.id)
                ORDER BY created_at, id COLLATE "C" LIMIT \(limit)
                FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE runs SET status = 'running', finished_at = NULL, lease_owner = \(worker),
                    lease_expires_at = \(Self.seconds(until))
                FROM candidates WHERE runs.id = candidates.id
                RETURNING runs.id, candidates.status AS previous, runs.cancel_requested, runs.created_at)
            SELECT id, previous, cancel_requested, pg_notify('agentruntime', 's ' || id) FROM claimed
            ORDER BY created_at, id COLLATE "C"
            """
        ) { row in
            let (id, previous, cancel) = try row.decode((String, String, Bool).self)
            return ClaimedRun(
                runID: RunID(id), previous: RunStatus(rawValue: previous) ?? .queued, cancelRequested: cancel)
        }
    }

    /// Extends `worker`'s leases; returns the runs it holds and those asked to cancel.
    public func renewLeases(worker: String, until: Date) async throws -> LeaseRenewal {
        var renewal = LeaseRenewal(held: [])
        for (id, cancel) in try await rows(
            """
            UPDATE runs SET lease_expires_at = \(Self.seconds(until)) WHERE lease_owner = \(worker)
            RETURNING id, cancel_requested
            """,
            { try $0.decode((String, Bool).self) })
        {
            renewal.held.insert(RunID(id))
            if cancel { renewal.cancelRequested.insert(RunID(id)) }
        }
        return renewal
    }

    /// Writes `record` and ends `worker`'s lease, when it still holds the run; signals the record, and that the run
    /// is claimable when it was released as queued or interrupted.
    public func release(_ record: RunRecord, worker: String) async throws -> Bool {
        await eventBatch.flush()
        return try await execute(
            """
            WITH released AS (
                UPDATE runs SET tenant = \(record.tenant.rawValue), user_name = \(record.user), crew = \(record.crew),
                    status = \(record.status.rawValue), inputs = \(record.inputs.serialized()),
                    output = \(record.output), output_json = \(record.outputJSON?.serialized()),
                    error_code = \(record.errorCode), error_message = \(record.errorMessage),
                    input_tokens = \(record.usage.inputTokens), output_tokens = \(record.usage.outputTokens),
                    cached_input_tokens = \(record.usage.cachedInputTokens), cost_usd = \(record.costUSD),
                    created_at = \(Self.seconds(record.createdAt)),
                    finished_at = \(record.finishedAt.map(Self.seconds)),
                    lease_owner = NULL, lease_expires_at = NULL,
                    cancel_requested = cancel_requested AND \(record.status.rawValue) IN ('queued', 'interrupted')
                WHERE id = \(record.id.rawValue) AND lease_owner = \(worker)
                RETURNING id)
            SELECT pg_notify('agentruntime', 's ' || id) \(unescaped: Self.queuedSignal(record.status)) FROM released
            """) == 1
    }

    /// Ends `worker`'s lease on `run` (signalling that the run is claimable).
    public func releaseLease(_ run: RunID, worker: String) async throws {
        try await execute(
            """
            WITH released AS (
                UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL
                WHERE id = \(run.rawValue) AND lease_owner = \(worker) RETURNING id)
            SELECT pg_notify('agentruntime', 'q') FROM released
            """)
    }

    /// Cancels a run nobody carries out, or flags a held one for its worker (in one transaction, the run's row
    /// locked while deciding).
    public func requestCancel(_ run: RunID, tenant: TenantID, now: Date) async throws -> CancelRequest {
        let logger = self.logger
        return try await transaction { connection in
            guard
                let (status, owner, expires) = try await Self.query(
                    connection,
                    """
                    SELECT status, lease_owner, lease_expires_at FROM runs
                    WHERE id = \(run.rawValue) AND tenant = \(tenant.rawValue) FOR UPDATE
                    """, logger: logger, { try $0.decode((String, String?, Double?).self) }
                ).first
            else { return .notFound }
            let current = RunStatus(rawValue: status) ?? .failed
            if current.isFinal, current != .interrupted { return .ended(current) }
            if owner != nil, let expires, expires >= Self.seconds(now) {
                try await Self.query(
                    connection,
                    """
                    WITH flagged AS (UPDATE runs SET cancel_requested = true WHERE id = \(run.rawValue) RETURNING id)
                    SELECT pg_notify('agentruntime', 'c ' || id) FROM flagged
                    """, logger: logger
                ) { _ in () }
                return .requested
            }
            try await Self.query(
                connection,
                """
                WITH cancelled AS (
                    UPDATE runs SET status = 'cancelled', finished_at = \(Self.seconds(now)), error_code = 'cancelled',
                        error_message = 'cancelled by the caller', lease_owner = NULL, lease_expires_at = NULL,
                        cancel_requested = false
                    WHERE id = \(run.rawValue) RETURNING id)
                SELECT pg_notify('agentruntime', 's ' || id) FROM cancelled
                """, logger: logger
            ) { _ in () }
            return .cancelled
        }
    }

    /// A further column for a select that notifies: `q` (a run became claimable) when a run moves to `status`.
    static func queuedSignal(_ status: RunStatus) -> String {
        status == .queued || status == .interrupted ? ", pg_notify('agentruntime', 'q')" : ""
    }

    /// Every signal from now on, from this process and every other one on the database, heard on one listening
    /// connection (opened on the first call). Each write notifies the `agentruntime` channel with a compact
    /// payload: `e <run> <sequence>` (an event), `s <run>` (a run's record), `q` (a run became claimable),
    /// `c <run>` (a cancel was asked for), `d` (an agent version). ``RunSignal/resync`` arrives whenever the
    /// connection starts listening (again): what happened before may have been missed.
    public func signals() -> AsyncStream<RunSignal> { listener.signals() }

    /// `SELECT 1` within ``queryTimeout``: throws ``StoreError`` (code `unavailable`) when the database cannot be
    /// used now.
    public func checkAvailable() async throws {
        try await execute("SELECT 1")
    }
}
