import Foundation

// The store's roles, each a small port with one or two jobs. The SQLite adapter implements them all; the engine,
// the gateway and the CLI depend on these, never on an adapter type. (`RunStore` and `RunJournal` are declared
// beside the types they store.)

/// The port to where run definitions are kept.
public protocol RunDefinitionStore: Sendable {
    /// Stores (or replaces) a run's definition.
    func saveDefinition(_ definition: RunDefinition, of run: RunID) async throws
    /// A run's definition, if it has one.
    func definition(of run: RunID) async throws -> RunDefinition?
    /// Stores `definition` only while the stored one is still at attempt `from`; true when this caller advanced it
    /// (of two callers resuming the same run, one wins).
    func advanceDefinition(_ definition: RunDefinition, of run: RunID, from attempt: Int) async throws -> Bool
}

/// The port to the record of every model exchange (for replays with edited definitions).
public protocol ExchangeLog: Sendable {
    /// Records one exchange of a run.
    func appendExchange(_ runID: RunID, model: String, request: ChatRequest, response: ChatResponse) async throws
    /// A run's exchanges in call order.
    func exchanges(of runID: RunID) async throws -> [ModelExchange]
}

/// The port that moves a run between statuses atomically, so that two processes never carry on the same run.
public protocol RunClaims: Sendable {
    /// Moves the run to `status` only while it is in one of `from`; true when this caller moved it.
    func claim(_ run: RunID, from: [RunStatus], to status: RunStatus) async throws -> Bool
    /// Sets a run's status only while it is `from` (a late update cannot undo a final status).
    func setStatus(_ run: RunID, _ status: RunStatus, from: RunStatus) async throws
}

/// A store that keeps runs durable: records and events, the journal, definitions, exchanges and claims.
public typealias DurableRunStore = RunStore & RunJournal & RunDefinitionStore & ExchangeLog & RunClaims & ApprovalStore
    & RunQueue & RunSignalSource

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

/// The append-only log of tool calls and definition changes.
public protocol AuditLog: Sendable {
    /// Appends an entry.
    func appendAudit(_ entry: AuditEntry) async throws
    /// Entries, oldest first (at most `limit`).
    func audit(tenant: TenantID?, since: Date?, limit: Int) async throws -> [AuditEntry]
    /// The entries `query` selects, oldest first, each with its ``AuditEntry/id`` (the cursor of the next page).
    func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry]
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
    /// An agent's versions, newest first.
    func agentVersions(_ agent: AgentID) async throws -> [(version: Int, time: Date, user: String, content: String)]
    /// A number that grows with every version stored, of any agent (0 with none): a replica that saw it change
    /// reads ``agentChanges(after:)``.
    func agentVersionCounter() async throws -> Int
    /// The newest version of each agent stored after `counter`, with the counter it was stored at.
    func agentChanges(
        after counter: Int
    ) async throws -> [(counter: Int, agent: AgentID, version: Int, content: String)]
}

/// Every role the runtime's services use: what `serve` and the CLI are given by the composition root (including
/// ``SchemaMigrating``, so any adapter's schema can be brought up to date).
public typealias PlatformStore = DurableRunStore & ApprovalStore & AuditLog & IdempotencyKeys & AgentVersionStore
    & SpendLedger & UsageLedger
    & SchemaMigrating & StoreHealth

extension SQLiteRunStore: ApprovalStore, AuditLog, IdempotencyKeys, AgentVersionStore {}
