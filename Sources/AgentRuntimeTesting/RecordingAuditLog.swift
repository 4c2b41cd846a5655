import AgentRuntime
import Foundation

/// An audit log in memory that records what it is given, or refuses every write (a store that is down).
public actor RecordingAuditLog: AuditLog {
    /// The entries written, in order.
    public private(set) var entries: [AuditEntry] = []
    private var failing: Bool

    /// Creates a log; with `failing`, every write throws.
    public init(failing: Bool = false) { self.failing = failing }

    /// Makes later writes fail (or succeed again).
    public func setFailing(_ failing: Bool) { self.failing = failing }

    /// Records the entry, numbered from 1; throws when failing.
    public func appendAudit(_ entry: AuditEntry) throws {
        guard !failing else { throw StoreError(code: .unavailable, message: "the audit log is unavailable") }
        var entry = entry
        entry.id = entries.count + 1
        entries.append(entry)
    }

    /// Entries of `tenant` (nil: all) since `since`, oldest first.
    public func audit(tenant: TenantID?, since: Date?, limit: Int) -> [AuditEntry] {
        auditEntries(AuditQuery(tenant: tenant, from: since, limit: limit))
    }

    /// The entries `query` selects, oldest first.
    public func auditEntries(_ query: AuditQuery) -> [AuditEntry] {
        Array(
            entries.filter { entry in
                (query.tenant.map { $0 == entry.tenant } ?? true) && (query.from.map { entry.time >= $0 } ?? true)
                    && (query.to.map { entry.time < $0 } ?? true) && (query.actor.map { $0 == entry.user } ?? true)
                    && (query.tool.map { $0 == entry.tool } ?? true)
                    && (query.outcome.map { $0 == entry.outcome } ?? true)
                    && (query.kind.map { $0 == entry.kind } ?? true)
                    && (query.after.map { (entry.id ?? 0) > $0 } ?? true)
            }.prefix(query.limit))
    }
}
