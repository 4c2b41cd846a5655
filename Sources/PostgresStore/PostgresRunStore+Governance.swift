import AgentRuntime
import Foundation
import PostgresNIO

extension PostgresRunStore: ApprovalStore, AuditLog, IdempotencyKeys, AgentVersionStore {
    /// Stores a pending approval.
    public func insertApproval(_ request: ApprovalRequest, expiresAt: Date) async throws {
        let roles = request.principal.roles.map(\.rawValue).sorted().joined(separator: ",")
        try await execute(
            """
            INSERT INTO approvals (id, run_id, tenant, user_name, roles, agent, tool, arguments, status,
                requested_at, expires_at)
            VALUES (\(request.id), \(request.runID.rawValue), \(request.principal.tenant.rawValue),
                \(request.principal.user), \(roles), \(request.agent.rawValue), \(request.tool.rawValue),
                \(request.arguments), 'pending', \(Self.seconds(request.requestedAt)), \(Self.seconds(expiresAt)))
            """)
    }

    private static let approvalColumns = """
        id, run_id, tenant, user_name, roles, agent, tool, arguments, status, requested_at, expires_at, decided_at,
        decided_by, comment
        """

    private static func approval(_ row: PostgresRow) throws -> ApprovalRecord {
        let (
            id, runID, tenant, user, roles, agent, tool, arguments, status, requested, expires, decidedAt, by, comment
        ) =
            try row.decode(
                (
                    String, String, String, String, String, String, String, String, String, Double, Double, Double?,
                    String?, String?
                ).self)
        return ApprovalRecord(
            request: ApprovalRequest(
                id: id, runID: RunID(runID),
                principal: Principal(
                    tenant: TenantID(tenant), user: user,
                    roles: Set(roles.split(separator: ",").compactMap { Role(rawValue: String($0)) })),
                agent: AgentID(agent), tool: ToolID(tool), arguments: arguments, requestedAt: date(requested)),
            status: status, expiresAt: date(expires), decidedBy: by, decidedAt: decidedAt.map(date), comment: comment)
    }

    /// One approval, when it belongs to `tenant` (nil: any).
    public func approval(_ id: String, tenant: TenantID?) async throws -> ApprovalRecord? {
        try await rows(
            """
            SELECT \(unescaped: Self.approvalColumns) FROM approvals
            WHERE id = \(id) AND (\(tenant?.rawValue)::text IS NULL OR tenant = \(tenant?.rawValue))
            """, Self.approval
        ).first
    }

    /// Approvals, newest first, filtered by tenant, run and status.
    public func approvals(tenant: TenantID?, runID: RunID?, status: String?) async throws -> [ApprovalRecord] {
        try await rows(
            """
            SELECT \(unescaped: Self.approvalColumns) FROM approvals
            WHERE (\(tenant?.rawValue)::text IS NULL OR tenant = \(tenant?.rawValue))
                AND (\(runID?.rawValue)::text IS NULL OR run_id = \(runID?.rawValue))
                AND (\(status)::text IS NULL OR status = \(status))
            ORDER BY requested_at DESC
            """, Self.approval)
    }

    /// Decides a pending, unexpired approval of `tenant` (nil: any tenant); false when there is none.
    public func decideApproval(
        _ id: String, tenant: TenantID?, approved: Bool, by: String, comment: String
    ) async throws -> Bool {
        let now = Self.seconds(Date())
        return try await execute(
            """
            UPDATE approvals SET status = \(approved ? "approved" : "rejected"), decided_at = \(now),
                decided_by = \(by), comment = \(comment)
            WHERE id = \(id) AND status = 'pending' AND expires_at > \(now)
                AND (\(tenant?.rawValue)::text IS NULL OR tenant = \(tenant?.rawValue))
            RETURNING 1
            """) == 1
    }

    /// Marks a pending approval expired; false when it was already decided.
    public func expireApproval(_ id: String) async throws -> Bool {
        try await execute(
            """
            UPDATE approvals SET status = 'expired', decided_at = \(Self.seconds(Date())), decided_by = 'expiry'
            WHERE id = \(id) AND status = 'pending' RETURNING 1
            """) == 1
    }

    /// Appends to the audit log (the table refuses updates and deletes).
    public func appendAudit(_ entry: AuditEntry) async throws {
        try await execute(
            """
            INSERT INTO audit (time, tenant, user_name, roles, run_id, agent, tool, outcome, duration_ms, arguments,
                detail, kind, diff)
            VALUES (\(Self.seconds(entry.time)), \(entry.tenant.rawValue), \(entry.user),
                \(entry.roles.joined(separator: ",")), \(entry.runID.rawValue), \(entry.agent), \(entry.tool),
                \(entry.outcome), \(entry.durationMS), \(entry.arguments), \(entry.detail), \(entry.kind), \(entry.diff))
            """)
    }

    /// Audit entries, oldest first, of `tenant` (nil: all) since `since`.
    public func audit(tenant: TenantID?, since: Date?, limit: Int) async throws -> [AuditEntry] {
        try await auditEntries(AuditQuery(tenant: tenant, from: since, limit: limit))
    }

    /// The audit entries `query` selects, oldest first.
    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await rows(
            """
            SELECT time, tenant, user_name, roles, run_id, agent, tool, outcome, duration_ms, arguments, detail, kind,
                diff, id
            FROM audit
            WHERE (\(query.tenant?.rawValue)::text IS NULL OR tenant = \(query.tenant?.rawValue))
                AND (\(query.from.map(Self.seconds))::float8 IS NULL OR time >= \(query.from.map(Self.seconds)))
                AND (\(query.to.map(Self.seconds))::float8 IS NULL OR time < \(query.to.map(Self.seconds)))
                AND (\(query.actor)::text IS NULL OR user_name = \(query.actor))
                AND (\(query.tool)::text IS NULL OR tool = \(query.tool))
                AND (\(query.outcome)::text IS NULL OR outcome = \(query.outcome))
                AND (\(query.kind)::text IS NULL OR kind = \(query.kind))
                AND (\(query.after)::int8 IS NULL OR id > \(query.after))
            ORDER BY id LIMIT \(max(0, query.limit))
            """
        ) { row in
            let (time, tenant, user, roles, runID, agent, tool, outcome, duration, arguments, detail, kind, diff, id) =
                try row.decode(
                    (
                        Double, String, String, String, String, String, String, String, Int?, String, String, String,
                        String, Int
                    ).self)
            return AuditEntry(
                time: Self.date(time), tenant: TenantID(tenant), user: user,
                roles: roles.split(separator: ",").map(String.init), runID: RunID(runID), agent: agent, tool: tool,
                outcome: outcome, durationMS: duration, arguments: arguments, detail: detail, kind: kind, diff: diff,
                id: id)
        }
    }

    /// Claims `key` for `runID` in `tenant`'s scope; returns the run that already holds the key, if any.
    public func claimIdempotencyKey(_ key: String, tenant: TenantID, runID: RunID) async throws -> RunID? {
        // One statement claims or finds the holder; a holder released between the two is retried.
        for _ in 0..<3 {
            let claimed = try await execute(
                """
                INSERT INTO idempotency (tenant, key, run_id, created_at)
                VALUES (\(tenant.rawValue), \(key), \(runID.rawValue), \(Self.seconds(Date())))
                ON CONFLICT (tenant, key) DO NOTHING RETURNING 1
                """)
            if claimed == 1 { return nil }
            if let holder = try await rows(
                "SELECT run_id FROM idempotency WHERE tenant = \(tenant.rawValue) AND key = \(key)",
                { try $0.decode(String.self) }
            ).first {
                return RunID(holder)
            }
        }
        throw PostgresStoreError.database("the idempotency key \(key) is being claimed and released repeatedly")
    }

    /// Forgets a claimed key whose run never started (so a retry with the same key can start it).
    public func releaseIdempotencyKey(_ key: String, tenant: TenantID, runID: RunID) async throws {
        try await execute(
            """
            DELETE FROM idempotency WHERE tenant = \(tenant.rawValue) AND key = \(key) AND run_id = \(runID.rawValue)
            """)
    }

    /// Whether some Idempotency-Key still names `runID`.
    public func isIdempotencyKeyClaimed(for runID: RunID) async throws -> Bool {
        try await !rows("SELECT 1 FROM idempotency WHERE run_id = \(runID.rawValue) LIMIT 1") { _ in () }.isEmpty
    }

    /// Stores a version of an agent definition, numbered 1, 2, 3, ... per agent; returns its number, and signals
    /// it. Writers are serialised (one advisory lock for every agent, versions being rare): each row's `counter`
    /// is then taken in commit order, so a replica that read up to a counter never misses a version committed
    /// later with a smaller one.
    @discardableResult
    public func appendAgentVersion(_ agent: AgentID, content: String, user: String) async throws -> Int {
        let logger = self.logger
        let now = Self.seconds(Date())
        return try await transaction { connection in
            try await Self.query(
                connection, "SELECT pg_advisory_xact_lock(hashtextextended('agent_versions', 0))", logger: logger
            ) { _ in () }
            let version =
                try await Self.query(
                    connection,
                    """
                    INSERT INTO agent_versions (agent_id, version, time, user_name, content)
                    SELECT \(agent.rawValue), COALESCE(MAX(version), 0) + 1, \(now), \(user), \(content)
                    FROM agent_versions WHERE agent_id = \(agent.rawValue)
                    RETURNING version
                    """, logger: logger
                ) { try $0.decode(Int.self) }.first ?? 0
            try await Self.query(connection, "SELECT pg_notify('agentruntime', 'd')", logger: logger) { _ in () }
            return version
        }
    }

    /// The highest `counter` of `agent_versions` (rows are only ever added, so it grows with every version).
    public func agentVersionCounter() async throws -> Int {
        try await rows("SELECT COALESCE(MAX(counter), 0)::bigint FROM agent_versions") { try $0.decode(Int.self) }
            .first ?? 0
    }

    /// The newest version of each agent stored after `counter` (of `agent_versions`), in counter order.
    public func agentChanges(
        after counter: Int
    ) async throws -> [(counter: Int, agent: AgentID, version: Int, content: String)] {
        try await rows(
            """
            SELECT counter, agent_id, version, content FROM agent_versions a WHERE counter > \(counter)
                AND version = (SELECT MAX(version) FROM agent_versions b WHERE b.agent_id = a.agent_id)
            ORDER BY counter
            """
        ) { row in
            let (counter, agent, version, content) = try row.decode((Int, String, Int, String).self)
            return (counter, AgentID(agent), version, content)
        }
    }

    /// An agent's stored versions, newest first (as the SQLite store returns them).
    public func agentVersions(
        _ agent: AgentID
    ) async throws -> [(
        version: Int, time: Date, user: String, content: String
    )] {
        try await rows(
            """
            SELECT version, time, user_name, content FROM agent_versions WHERE agent_id = \(agent.rawValue)
            ORDER BY version DESC
            """
        ) { row in
            let (version, time, user, content) = try row.decode((Int, Double, String, String).self)
            return (version, Self.date(time), user, content)
        }
    }
}
