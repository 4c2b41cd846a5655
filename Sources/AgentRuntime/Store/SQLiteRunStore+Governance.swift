import CSQLite
import Foundation

/// A stored approval request and its state.
public struct ApprovalRecord: Hashable, Sendable {
    /// The request.
    public var request: ApprovalRequest
    /// `pending`, `approved`, `rejected` or `expired`.
    public var status: String
    /// When it stops waiting.
    public var expiresAt: Date
    /// Who decided, and when, and why.
    public var decidedBy: String?
    /// See `decidedBy`.
    public var decidedAt: Date?
    /// See `decidedBy`.
    public var comment: String?

    /// Creates a record (store adapters build these from their rows).
    public init(
        request: ApprovalRequest, status: String, expiresAt: Date, decidedBy: String? = nil, decidedAt: Date? = nil,
        comment: String? = nil
    ) {
        self.request = request
        self.status = status
        self.expiresAt = expiresAt
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.comment = comment
    }
}

/// One audited action: a tool call of a run, or a change of a definition (agent, crew, tenant, runtime config).
public struct AuditEntry: Hashable, Sendable {
    /// The store's number for the entry (set when read; entries are numbered in the order they were written).
    public var id: Int?
    /// When.
    public var time: Date
    /// Whose (for platform-wide definitions, ``AuditEntry/platformTenant``).
    public var tenant: TenantID
    /// The user, or `file` for a change picked up from disk.
    public var user: String
    /// The user's roles.
    public var roles: [String]
    /// The run (`config` for a definition change).
    public var runID: RunID
    /// The agent path (for a definition change: the id of what changed).
    public var agent: String
    /// The tool (for a definition change: `config.<kind>_update`, `config.<kind>_restore`, ...).
    public var tool: String
    /// `allowed`, `failed`, `repeated`, `denied`, `awaiting_approval`, `approved`, `rejected`; for a definition
    /// change `applied`, or `rejected` when it was not loaded.
    public var outcome: String
    /// How long the call took.
    public var durationMS: Int?
    /// The arguments, with secret-looking values redacted (for a definition change: kind, id and version as JSON).
    public var arguments: String
    /// The reason or comment.
    public var detail: String
    /// What was audited: `tool_call`, or the kind of definition changed: `agent`, `crew`, `tenant`, `config`.
    public var kind: String
    /// For a definition change, the change as a unified diff (empty otherwise).
    public var diff: String

    /// The tenant recorded for changes of platform-wide definitions (agents, crews, the runtime config): only platform
    /// roles read them.
    public static let platformTenant: TenantID = "platform"

    /// Creates an entry.
    public init(
        time: Date, tenant: TenantID, user: String, roles: [String], runID: RunID, agent: String, tool: String,
        outcome: String, durationMS: Int?, arguments: String, detail: String, kind: String = "tool_call",
        diff: String = "", id: Int? = nil
    ) {
        self.id = id
        self.time = time
        self.tenant = tenant
        self.user = user
        self.roles = roles
        self.runID = runID
        self.agent = agent
        self.tool = tool
        self.outcome = outcome
        self.durationMS = durationMS
        self.arguments = arguments
        self.detail = detail
        self.kind = kind
        self.diff = diff
    }
}

/// Which audit entries to read: filters (each nil matches all) and a page (entries after the cursor, at most
/// `limit`, oldest first).
public struct AuditQuery: Hashable, Sendable {
    /// Only this tenant's entries (nil: every tenant; platform roles only).
    public var tenant: TenantID?
    /// Entries at or after this time.
    public var from: Date?
    /// Entries before this time.
    public var to: Date?
    /// Only this user (`file` for changes picked up from disk).
    public var actor: String?
    /// Only this tool (`config.agent_update`, `web.fetch`, ...).
    public var tool: String?
    /// Only this outcome.
    public var outcome: String?
    /// Only this kind (`tool_call`, `agent`, `crew`, `tenant`, `config`).
    public var kind: String?
    /// Entries whose ``AuditEntry/id`` is greater (the previous page's last id).
    public var after: Int?
    /// At most this many entries.
    public var limit: Int

    /// Creates a query.
    public init(
        tenant: TenantID? = nil, from: Date? = nil, to: Date? = nil, actor: String? = nil, tool: String? = nil,
        outcome: String? = nil, kind: String? = nil, after: Int? = nil, limit: Int = 100
    ) {
        self.tenant = tenant
        self.from = from
        self.to = to
        self.actor = actor
        self.tool = tool
        self.outcome = outcome
        self.kind = kind
        self.after = after
        self.limit = limit
    }
}

extension SQLiteRunStore {
    /// Approvals, audit, idempotency keys, agent versions and exchanges: part of schema version 1 (see
    /// `SQLiteRunStore+Migrations.swift`). Never edit it: a schema change is a new migration.
    static let governanceSchema = """
        CREATE TABLE IF NOT EXISTS approvals (
            id TEXT PRIMARY KEY, run_id TEXT NOT NULL, tenant TEXT NOT NULL, user TEXT NOT NULL, roles TEXT NOT NULL, agent TEXT NOT NULL,
            tool TEXT NOT NULL, arguments TEXT NOT NULL, status TEXT NOT NULL, requested_at REAL NOT NULL, expires_at REAL NOT NULL,
            decided_at REAL, decided_by TEXT, comment TEXT);
        CREATE INDEX IF NOT EXISTS approvals_tenant_status ON approvals (tenant, status);
        CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, tenant TEXT NOT NULL, user TEXT NOT NULL, roles TEXT NOT NULL,
            run_id TEXT NOT NULL, agent TEXT NOT NULL, tool TEXT NOT NULL, outcome TEXT NOT NULL, duration_ms INTEGER,
            arguments TEXT NOT NULL, detail TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS audit_tenant_time ON audit (tenant, time);
        CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TABLE IF NOT EXISTS idempotency (
            tenant TEXT NOT NULL, key TEXT NOT NULL, run_id TEXT NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (tenant, key));
        CREATE TABLE IF NOT EXISTS agent_versions (
            agent_id TEXT NOT NULL, version INTEGER NOT NULL, time REAL NOT NULL, user TEXT NOT NULL, content TEXT NOT NULL,
            PRIMARY KEY (agent_id, version));
        CREATE TABLE IF NOT EXISTS exchanges (
            run_id TEXT NOT NULL, sequence INTEGER NOT NULL, model TEXT NOT NULL, request TEXT NOT NULL, response TEXT NOT NULL,
            PRIMARY KEY (run_id, sequence));
        """

    /// Sets a run's status (e.g. `awaiting_approval` while it waits).
    public func setStatus(_ runID: RunID, _ status: RunStatus) throws {
        try execute("UPDATE runs SET status = ? WHERE id = ?", [.text(status.rawValue), .text(runID.rawValue)])
    }

    /// Moves a run to `status` only while it is in one of `from`; true when it moved (one caller wins a race).
    public func claim(_ runID: RunID, from: [RunStatus], to status: RunStatus) throws -> Bool {
        let marks = from.map { _ in "?" }.joined(separator: ",")
        try execute(
            "UPDATE runs SET status = ?, finished_at = NULL WHERE id = ? AND status IN (\(marks))",
            [.text(status.rawValue), .text(runID.rawValue)] + from.map { .text($0.rawValue) })
        guard changes() == 1 else { return false }
        hub.publish(.status(runID))
        if status == .queued || status == .interrupted { hub.publish(.queued) }
        return true
    }

    /// Sets a run's status only while it is `from` (so a late update cannot undo a final status).
    public func setStatus(_ runID: RunID, _ status: RunStatus, from: RunStatus) throws {
        try execute(
            "UPDATE runs SET status = ? WHERE id = ? AND status = ?",
            [.text(status.rawValue), .text(runID.rawValue), .text(from.rawValue)])
        if changes() == 1 { hub.publish(.status(runID)) }
    }

    /// Stores a pending approval.
    public func insertApproval(_ request: ApprovalRequest, expiresAt: Date) throws {
        try execute(
            "INSERT INTO approvals (id, run_id, tenant, user, roles, agent, tool, arguments, status, requested_at, expires_at) VALUES (?,?,?,?,?,?,?,?,'pending',?,?)",
            [
                .text(request.id), .text(request.runID.rawValue), .text(request.principal.tenant.rawValue),
                .text(request.principal.user),
                .text(request.principal.roles.map(\.rawValue).sorted().joined(separator: ",")),
                .text(request.agent.rawValue), .text(request.tool.rawValue),
                .text(request.arguments), .real(request.requestedAt.timeIntervalSince1970),
                .real(expiresAt.timeIntervalSince1970),
            ])
    }

    /// Decides a pending, unexpired approval of `tenant` (nil: any tenant); false when there is none.
    public func decideApproval(
        _ id: String, tenant: TenantID?, approved: Bool, by: String, comment: String
    ) throws -> Bool {
        var sql =
            "UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, comment = ? WHERE id = ? AND status = 'pending' AND expires_at > ?"
        var values: [SQLValue] = [
            .text(approved ? "approved" : "rejected"), .real(Date().timeIntervalSince1970), .text(by), .text(comment),
            .text(id), .real(Date().timeIntervalSince1970),
        ]
        if let tenant {
            sql += " AND tenant = ?"
            values.append(.text(tenant.rawValue))
        }
        try execute(sql, values)
        return changes() == 1
    }

    /// Marks a pending approval expired; false when it was already decided.
    public func expireApproval(_ id: String) throws -> Bool {
        try execute(
            "UPDATE approvals SET status = 'expired', decided_at = ?, decided_by = 'expiry' WHERE id = ? AND status = 'pending'",
            [.real(Date().timeIntervalSince1970), .text(id)])
        return changes() == 1
    }

    private static let approvalColumns =
        "id, run_id, tenant, user, roles, agent, tool, arguments, status, requested_at, expires_at, decided_at, decided_by, comment"

    private static func approval(_ statement: OpaquePointer) -> ApprovalRecord {
        func text(_ column: Int32) -> String? { sqlite3_column_text(statement, column).map { String(cString: $0) } }
        let roles = Set((text(4) ?? "").split(separator: ",").compactMap { Role(rawValue: String($0)) })
        return ApprovalRecord(
            request: ApprovalRequest(
                id: text(0) ?? "", runID: RunID(text(1) ?? ""),
                principal: Principal(tenant: TenantID(text(2) ?? ""), user: text(3) ?? "", roles: roles),
                agent: AgentID(text(5) ?? ""), tool: ToolID(text(6) ?? ""), arguments: text(7) ?? "",
                requestedAt: Date(timeIntervalSince1970: sqlite3_column_double(statement, 9))),
            status: text(8) ?? "", expiresAt: Date(timeIntervalSince1970: sqlite3_column_double(statement, 10)),
            decidedBy: text(12),
            decidedAt: sqlite3_column_type(statement, 11) == SQLITE_NULL
                ? nil : Date(timeIntervalSince1970: sqlite3_column_double(statement, 11)),
            comment: text(13))
    }

    /// One approval, when it belongs to `tenant` (nil: any).
    public func approval(_ id: String, tenant: TenantID?) throws -> ApprovalRecord? {
        var sql = "SELECT \(Self.approvalColumns) FROM approvals WHERE id = ?"
        var values: [SQLValue] = [.text(id)]
        if let tenant {
            sql += " AND tenant = ?"
            values.append(.text(tenant.rawValue))
        }
        return try select(sql, values, row: Self.approval).first
    }

    /// Approvals, newest first, filtered by tenant, run and status.
    public func approvals(tenant: TenantID?, runID: RunID? = nil, status: String? = nil) throws -> [ApprovalRecord] {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let tenant {
            conditions.append("tenant = ?")
            values.append(.text(tenant.rawValue))
        }
        if let runID {
            conditions.append("run_id = ?")
            values.append(.text(runID.rawValue))
        }
        if let status {
            conditions.append("status = ?")
            values.append(.text(status))
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try select(
            "SELECT \(Self.approvalColumns) FROM approvals \(filter) ORDER BY requested_at DESC", values,
            row: Self.approval)
    }

    /// Claims `key` for `runID` in `tenant`'s scope; returns the run that already holds the key, if any.
    public func claimIdempotencyKey(_ key: String, tenant: TenantID, runID: RunID) throws -> RunID? {
        if let existing = try select(
            "SELECT run_id FROM idempotency WHERE tenant = ? AND key = ?", [.text(tenant.rawValue), .text(key)],
            row: {
                RunID(sqlite3_column_text($0, 0).map { String(cString: $0) } ?? "")
            }
        ).first {
            return existing
        }
        try execute(
            "INSERT INTO idempotency VALUES (?,?,?,?)",
            [.text(tenant.rawValue), .text(key), .text(runID.rawValue), .real(Date().timeIntervalSince1970)])
        return nil
    }

    /// Forgets a claimed key whose run never started (so a retry with the same key can start it).
    public func releaseIdempotencyKey(_ key: String, tenant: TenantID, runID: RunID) throws {
        try execute(
            "DELETE FROM idempotency WHERE tenant = ? AND key = ? AND run_id = ?",
            [.text(tenant.rawValue), .text(key), .text(runID.rawValue)])
    }

    /// Whether some Idempotency-Key still names `runID` (false once a failed start released it).
    public func isIdempotencyKeyClaimed(for runID: RunID) throws -> Bool {
        try !select("SELECT 1 FROM idempotency WHERE run_id = ?", [.text(runID.rawValue)]) { _ in 1 }.isEmpty
    }

    /// Stores a version of an agent definition (the text as written), numbered 1, 2, 3, ...; returns its number.
    @discardableResult
    public func appendAgentVersion(_ agent: AgentID, content: String, user: String) throws -> Int {
        let next =
            try select(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM agent_versions WHERE agent_id = ?", [.text(agent.rawValue)]
            ) { Int(sqlite3_column_int64($0, 0)) }.first ?? 1
        try execute(
            "INSERT INTO agent_versions VALUES (?,?,?,?,?)",
            [.text(agent.rawValue), .integer(next), .real(Date().timeIntervalSince1970), .text(user), .text(content)])
        hub.publish(.definitions)
        return next
    }

    /// The highest row number of `agent_versions` (rows are only ever added, so it grows with every version).
    public func agentVersionCounter() throws -> Int {
        try select("SELECT COALESCE(MAX(rowid), 0) FROM agent_versions", []) { Int(sqlite3_column_int64($0, 0)) }
            .first ?? 0
    }

    /// The newest version of each agent stored after `counter` (a row number of `agent_versions`).
    public func agentChanges(
        after counter: Int
    ) throws -> [(counter: Int, agent: AgentID, version: Int, content: String)] {
        try select(
            """
            SELECT rowid, agent_id, version, content FROM agent_versions a WHERE rowid > ?
            AND version = (SELECT MAX(version) FROM agent_versions b WHERE b.agent_id = a.agent_id) ORDER BY rowid
            """, [.integer(counter)]
        ) { statement in
            (
                Int(sqlite3_column_int64(statement, 0)),
                AgentID(sqlite3_column_text(statement, 1).map { String(cString: $0) } ?? ""),
                Int(sqlite3_column_int64(statement, 2)),
                sqlite3_column_text(statement, 3).map { String(cString: $0) } ?? ""
            )
        }
    }

    /// An agent's stored versions, newest first.
    public func agentVersions(_ agent: AgentID) throws -> [(version: Int, time: Date, user: String, content: String)] {
        try select(
            "SELECT version, time, user, content FROM agent_versions WHERE agent_id = ? ORDER BY version DESC",
            [.text(agent.rawValue)]
        ) { statement in
            (
                Int(sqlite3_column_int64(statement, 0)),
                Date(timeIntervalSince1970: sqlite3_column_double(statement, 1)),
                sqlite3_column_text(statement, 2).map { String(cString: $0) } ?? "",
                sqlite3_column_text(statement, 3).map { String(cString: $0) } ?? ""
            )
        }
    }

    /// Records one model exchange of a run (numbered in call order).
    /// The request and response are serialised by the caller; the row is committed with the next batch (see
    /// ``append(_:)``), before any other read or write of the store.
    public nonisolated func appendExchange(
        _ runID: RunID, model: String, request: ChatRequest, response: ChatResponse
    ) async throws {
        enqueue(
            .exchange(
                runID: runID, model: model, fingerprint: request.fingerprint, response: response.json.serialized()))
    }

    func insertExchange(_ runID: RunID, model: String, fingerprint: String, response: String) throws {
        let next =
            try select("SELECT COALESCE(MAX(sequence), 0) + 1 FROM exchanges WHERE run_id = ?", [.text(runID.rawValue)])
        { Int(sqlite3_column_int64($0, 0)) }.first ?? 1
        try execute(
            "INSERT INTO exchanges VALUES (?,?,?,?,?)",
            [.text(runID.rawValue), .integer(next), .text(model), .text(fingerprint), .text(response)])
    }

    /// A run's recorded model exchanges in call order.
    public func exchanges(of runID: RunID) throws -> [ModelExchange] {
        try select(
            "SELECT sequence, model, request, response FROM exchanges WHERE run_id = ? ORDER BY sequence",
            [.text(runID.rawValue)]
        ) { statement in
            func text(_ column: Int32) -> String {
                sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""
            }
            return ModelExchange(
                runID: runID, sequence: Int(sqlite3_column_int64(statement, 0)), model: text(1), request: text(2),
                response: (try? JSONParser.value(text(3))).flatMap(ChatResponse.init(json:))
                    ?? ChatResponse(text: nil, finishReason: .stop))
        }
    }

    /// Appends to the audit log (rows can never be changed or deleted).
    public func appendAudit(_ entry: AuditEntry) throws {
        try execute(
            "INSERT INTO audit (time, tenant, user, roles, run_id, agent, tool, outcome, duration_ms, arguments, detail, kind, diff) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                .real(entry.time.timeIntervalSince1970), .text(entry.tenant.rawValue), .text(entry.user),
                .text(entry.roles.joined(separator: ",")),
                .text(entry.runID.rawValue), .text(entry.agent), .text(entry.tool), .text(entry.outcome),
                entry.durationMS.map { .integer($0) } ?? .text(nil),
                .text(entry.arguments), .text(entry.detail), .text(entry.kind), .text(entry.diff),
            ])
    }

    /// Audit entries, oldest first, of `tenant` (nil: all) since `since`.
    public func audit(tenant: TenantID?, since: Date?, limit: Int = 1000) throws -> [AuditEntry] {
        try auditEntries(AuditQuery(tenant: tenant, from: since, limit: limit))
    }

    /// The audit entries `query` selects, oldest first.
    public func auditEntries(_ query: AuditQuery) throws -> [AuditEntry] {
        var conditions: [String] = []
        var values: [SQLValue] = []
        func add(_ condition: String, _ value: SQLValue?) {
            guard let value else { return }
            conditions.append(condition)
            values.append(value)
        }
        add("tenant = ?", query.tenant.map { .text($0.rawValue) })
        add("time >= ?", query.from.map { .real($0.timeIntervalSince1970) })
        add("time < ?", query.to.map { .real($0.timeIntervalSince1970) })
        add("user = ?", query.actor.map { .text($0) })
        add("tool = ?", query.tool.map { .text($0) })
        add("outcome = ?", query.outcome.map { .text($0) })
        add("kind = ?", query.kind.map { .text($0) })
        add("id > ?", query.after.map { .integer($0) })
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        values.append(.integer(max(0, query.limit)))
        return try select(
            "SELECT time, tenant, user, roles, run_id, agent, tool, outcome, duration_ms, arguments, detail, kind, diff, id FROM audit \(filter) ORDER BY id LIMIT ?",
            values
        ) { statement in
            func text(_ column: Int32) -> String {
                sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""
            }
            return AuditEntry(
                time: Date(timeIntervalSince1970: sqlite3_column_double(statement, 0)), tenant: TenantID(text(1)),
                user: text(2),
                roles: text(3).split(separator: ",").map(String.init), runID: RunID(text(4)), agent: text(5),
                tool: text(6), outcome: text(7),
                durationMS: sqlite3_column_type(statement, 8) == SQLITE_NULL
                    ? nil : Int(sqlite3_column_int64(statement, 8)), arguments: text(9), detail: text(10),
                kind: text(11), diff: text(12), id: Int(sqlite3_column_int64(statement, 13)))
        }
    }
}

/// Masks values of secret-looking keys (`password`, `token`, `secret`, `api_key`, ...) and key-shaped strings in JSON
/// arguments: ``Redactor/redactArguments(_:)``, which tool events use too.
public enum AuditRedaction {
    /// The arguments with secrets masked (non-JSON text is masked by shape only).
    public static func redact(_ arguments: String) -> String { Redactor().redactArguments(arguments) }
}
