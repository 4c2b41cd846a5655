import CSQLite
import Foundation

// The run queue in SQLite: one process at a time writes the file (IMMEDIATE transactions), so every step below is
// atomic; leases still matter, since `agentctl run` and `serve` may share a store, and a process that crashed
// leaves leases that expire.

extension SQLiteRunStore: RunQueue, RunSignalSource, StoreHealth {
    /// Stores a new run (queued, or running under `lease`) and its definition, unless its tenant is at its limit.
    public func enqueue(
        _ run: RunRecord, definition: RunDefinition, inFlightLimit: Int?, lease: RunLease?
    ) throws -> Int? {
        let refused: Int? = try transaction {
            if let inFlightLimit {
                let inFlight =
                    try select(
                        "SELECT COUNT(*) FROM runs WHERE tenant = ? AND status IN ('queued', 'running', 'interrupted') AND EXISTS (SELECT 1 FROM run_definitions d WHERE d.run_id = runs.id)",
                        [.text(run.tenant.rawValue)]
                    ) { Int(sqlite3_column_int64($0, 0)) }.first ?? 0
                if inFlight >= inFlightLimit { return inFlight }
            }
            var record = run
            record.status = lease == nil ? .queued : .running
            try executeNow(
                "INSERT INTO runs (\(Self.recordColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                Self.recordValues(record))
            if let lease {
                try executeNow(
                    "UPDATE runs SET lease_owner = ?, lease_expires_at = ? WHERE id = ?",
                    [.text(lease.worker), .real(lease.expiresAt.timeIntervalSince1970), .text(run.id.rawValue)])
            }
            try executeNow(
                "INSERT OR REPLACE INTO run_definitions VALUES (?,?,?,?)",
                try Self.definitionValues(definition, of: run.id))
            return nil
        }
        if refused == nil {
            hub.publish(.status(run.id))
            if lease == nil { hub.publish(.queued) }
        }
        return refused
    }

    /// Claims claimable runs, oldest first (never one without a stored definition, such as a playground session's
    /// record: nothing could carry it out).
    public func claimRuns(worker: String, limit: Int, now: Date, until: Date, only: RunID?) throws -> [ClaimedRun] {
        guard limit > 0 else { return [] }
        let claimed: [ClaimedRun] = try transaction {
            var values: [SQLValue] = [.real(now.timeIntervalSince1970)]
            var filter = ""
            if let only {
                filter = "AND id = ?2"
                values.append(.text(only.rawValue))
            }
            values.append(.integer(limit))
            let candidates = try select(
                """
                SELECT id, status, cancel_requested FROM runs
                WHERE (status IN ('queued', 'interrupted', 'running') OR (status = 'awaiting_approval' AND lease_owner IS NOT NULL))
                AND (lease_expires_at IS NULL OR lease_expires_at < ?1)
                AND EXISTS (SELECT 1 FROM run_definitions d WHERE d.run_id = runs.id)
                \(filter)
                ORDER BY created_at, id LIMIT ?\(values.count)
                """, values
            ) { statement in
                ClaimedRun(
                    runID: RunID(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? ""),
                    previous: RunStatus(rawValue: sqlite3_column_text(statement, 1).map { String(cString: $0) } ?? "")
                        ?? .queued,
                    cancelRequested: sqlite3_column_int64(statement, 2) != 0)
            }
            for run in candidates {
                try executeNow(
                    "UPDATE runs SET status = 'running', finished_at = NULL, lease_owner = ?, lease_expires_at = ? WHERE id = ?",
                    [.text(worker), .real(until.timeIntervalSince1970), .text(run.runID.rawValue)])
            }
            return candidates
        }
        for run in claimed { hub.publish(.status(run.runID)) }
        return claimed
    }

    /// Extends `worker`'s leases.
    public func renewLeases(worker: String, until: Date) throws -> LeaseRenewal {
        try execute(
            "UPDATE runs SET lease_expires_at = ? WHERE lease_owner = ?",
            [.real(until.timeIntervalSince1970), .text(worker)])
        var renewal = LeaseRenewal(held: [])
        for (id, cancel) in try select(
            "SELECT id, cancel_requested FROM runs WHERE lease_owner = ?", [.text(worker)],
            row: { (RunID(sqlite3_column_text($0, 0).map { String(cString: $0) } ?? ""), sqlite3_column_int64($0, 1)) }
        ) {
            renewal.held.insert(id)
            if cancel != 0 { renewal.cancelRequested.insert(id) }
        }
        return renewal
    }

    /// Writes `record` and ends `worker`'s lease, when it still holds the run.
    public func release(_ record: RunRecord, worker: String) throws -> Bool {
        try execute(
            "UPDATE runs SET \(Self.recordAssignments), lease_owner = NULL, lease_expires_at = NULL, cancel_requested = CASE WHEN ?5 IN ('queued', 'interrupted') THEN cancel_requested ELSE 0 END WHERE id = ?1 AND lease_owner = ?17",
            Self.recordValues(record) + [.text(worker)])
        guard changes() == 1 else { return false }
        hub.publish(.status(record.id))
        if record.status == .interrupted || record.status == .queued { hub.publish(.queued) }
        return true
    }

    /// Ends `worker`'s lease on `run`.
    public func releaseLease(_ run: RunID, worker: String) throws {
        try execute(
            "UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ?",
            [.text(run.rawValue), .text(worker)])
        if changes() == 1 { hub.publish(.queued) }
    }

    /// Cancels a run nobody carries out, or flags a held one for its worker.
    public func requestCancel(_ run: RunID, tenant: TenantID, now: Date) throws -> CancelRequest {
        let outcome: CancelRequest = try transaction {
            guard
                let (status, owner, expires) = try select(
                    "SELECT status, lease_owner, lease_expires_at FROM runs WHERE id = ? AND tenant = ?",
                    [.text(run.rawValue), .text(tenant.rawValue)],
                    row: {
                        (
                            RunStatus(rawValue: sqlite3_column_text($0, 0).map { String(cString: $0) } ?? "")
                                ?? .failed,
                            sqlite3_column_text($0, 1).map { String(cString: $0) },
                            sqlite3_column_type($0, 2) == SQLITE_NULL ? nil : sqlite3_column_double($0, 2)
                        )
                    }
                ).first
            else { return .notFound }
            if status.isFinal, status != .interrupted { return .ended(status) }
            if owner != nil, let expires, expires >= now.timeIntervalSince1970 {
                try executeNow("UPDATE runs SET cancel_requested = 1 WHERE id = ?", [.text(run.rawValue)])
                return .requested
            }
            try executeNow(
                "UPDATE runs SET status = 'cancelled', finished_at = ?, error_code = 'cancelled', error_message = 'cancelled by the caller', lease_owner = NULL, lease_expires_at = NULL, cancel_requested = 0 WHERE id = ?",
                [.real(now.timeIntervalSince1970), .text(run.rawValue)])
            return .cancelled
        }
        switch outcome {
        case .requested: hub.publish(.cancel(run))
        case .cancelled: hub.publish(.status(run))
        default: break
        }
        return outcome
    }

    /// Expires the leases of workers `isGone` names (processes of this machine that no longer exist: a SQLite store
    /// is one machine's), so their runs are carried on at once rather than when the leases run out; returns how many
    /// runs were freed.
    public func expireLeases(ofWorkersGone isGone: (String) -> Bool) throws -> Int {
        let owners = try select("SELECT DISTINCT lease_owner FROM runs WHERE lease_owner IS NOT NULL", []) {
            sqlite3_column_text($0, 0).map { String(cString: $0) } ?? ""
        }
        var freed = 0
        for owner in owners where isGone(owner) {
            try execute("UPDATE runs SET lease_expires_at = 0 WHERE lease_owner = ?", [.text(owner)])
            freed += changes()
        }
        if freed > 0 { hub.publish(.queued) }
        return freed
    }

    /// Signals of this store's writes (this process only: SQLite is one machine's store).
    public nonisolated func signals() -> AsyncStream<RunSignal> { hub.signals() }

    /// A read that touches the file.
    public func checkAvailable() throws {
        do { _ = try select("SELECT 1", []) { _ in 1 } } catch {
            throw StoreError.unavailable(path, String(describing: error))
        }
    }

    /// Runs `body` in an IMMEDIATE transaction (the write lock taken first), committing when it returns.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        flushPending()
        try Self.execute(database!, "BEGIN IMMEDIATE")
        do {
            let result = try body()
            try Self.execute(database!, "COMMIT")
            return result
        } catch {
            try? Self.execute(database!, "ROLLBACK")
            throw error
        }
    }
}
