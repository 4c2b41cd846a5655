import Foundation

// The store's roles, each a small port with one or two jobs. The SQLite adapter implements them all; the engine,
// the gateway and the CLI depend on these, never on an adapter type. (`RunStore`, `RunJournal`,
// `RunDefinitionStore`, `ExchangeLog` and `RunClaims` are declared beside the types they store.)

/// Tool calls waiting for a human, and the decisions on them.
public protocol ApprovalStore: Sendable {
    /// Stores a pending approval.
    func insertApproval(_ request: ApprovalRequest, expiresAt: Date) async throws
    /// One approval, when it belongs to `tenant` (nil: any).
    func approval(_ id: String, tenant: TenantID?) async throws -> ApprovalRecord?
    /// Approvals, newest first, filtered by tenant, run and status.
    func approvals(tenant: TenantID?, runID: RunID?, status: String?) async throws -> [ApprovalRecord]
    /// Decides a pending, unexpired approval; false when there is none to decide.
    func decideApproval(
        _ id: String, tenant: TenantID?, approved: Bool, by: String, comment: String
    ) async throws -> Bool
    /// Marks a pending approval expired; false when it was already decided.
    func expireApproval(_ id: String) async throws -> Bool
}

/// The append-only log of tool calls.
public protocol AuditLog: Sendable {
    /// Appends an entry.
    func appendAudit(_ entry: AuditEntry) async throws
    /// Entries, newest first.
    func audit(tenant: TenantID?, since: Date?, limit: Int) async throws -> [AuditEntry]
}

/// `Idempotency-Key`s of run submissions, per tenant.
public protocol IdempotencyKeys: Sendable {
    /// Claims `key` for `runID`; returns the run that already holds it, if any.
    func claimIdempotencyKey(_ key: String, tenant: TenantID, runID: RunID) async throws -> RunID?
    /// Releases a key whose run never started.
    func releaseIdempotencyKey(_ key: String, tenant: TenantID, runID: RunID) async throws
    /// Whether some key names `runID`.
    func isIdempotencyKeyClaimed(for runID: RunID) async throws -> Bool
}

/// Every version of every agent file written through the service.
public protocol AgentVersionStore: Sendable {
    /// Stores a new version; returns its number.
    func appendAgentVersion(_ agent: AgentID, content: String, user: String) async throws -> Int
    /// An agent's versions, oldest first.
    func agentVersions(_ agent: AgentID) async throws -> [(version: Int, time: Date, user: String, content: String)]
}

/// Every role the runtime's services use: what `serve` and the CLI are given by the composition root (including
/// ``SchemaMigrating``, so any adapter's schema can be brought up to date).
public typealias PlatformStore = DurableRunStore & ApprovalStore & AuditLog & IdempotencyKeys & AgentVersionStore
    & SchemaMigrating

extension SQLiteRunStore: ApprovalStore, AuditLog, IdempotencyKeys, AgentVersionStore {}
