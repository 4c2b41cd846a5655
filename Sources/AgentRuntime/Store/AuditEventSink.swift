import Foundation

/// Writes every tool call of a run to the audit log: allowed, failed, repeated,
/// denied, awaiting approval, approved, rejected. Arguments are redacted.
public actor AuditEventSink: EventSink {
    private let store: any AuditLog
    private let principal: Principal
    private var started: [String: String] = [:]
    private let recordsResults: Bool

    /// Creates a sink for one run's principal. With `recordsResults` false, finished calls are left to the engine
    /// (``EngineEnvironment/audit``, which fails a call whose entry cannot be written); denials and approvals are
    /// still recorded here.
    public init(store: any AuditLog, principal: Principal, recordsResults: Bool = true) {
        self.store = store
        self.principal = principal
        self.recordsResults = recordsResults
    }

    /// The audit log has no use for text deltas.
    public nonisolated var wantsTextDeltas: Bool { false }

    /// Records the tool events (any other event returns at once, without entering the sink).
    public nonisolated func emit(_ event: RunEvent) async {
        switch event.kind {
        case .toolStarted, .toolFinished, .toolDenied, .awaitingApproval, .approvalDecided: await record(event)
        default: return
        }
    }

    private func record(_ event: RunEvent) async {
        func entry(
            _ tool: String, _ outcome: String, _ arguments: String, _ detail: String, duration: Int? = nil
        ) -> AuditEntry {
            AuditEntry(
                time: event.timestamp, tenant: principal.tenant, user: principal.user,
                roles: principal.roles.map(\.rawValue).sorted(),
                runID: event.runID, agent: event.agentPathText, tool: tool, outcome: outcome, durationMS: duration,
                arguments: AuditRedaction.redact(arguments), detail: Redactor().redact(detail))
        }
        let record: AuditEntry?
        switch event.kind {
        case .toolStarted(let id, _, let arguments):
            started[id] = arguments
            record = nil
        case .toolFinished(let id, let tool, let outcome, let duration, let result, _):
            let arguments = started.removeValue(forKey: id) ?? ""
            // Repeats are answered by the engine without a call; the engine audits only real calls.
            record =
                !recordsResults && outcome != .repeated
                ? nil
                : entry(
                    tool, outcome == .success ? "allowed" : outcome == .repeated ? "repeated" : "failed", arguments,
                    outcome == .error ? String(result.prefix(500)) : "", duration: duration)
        case .toolDenied(_, let tool, let reason, let arguments):
            record = entry(tool, "denied", arguments, reason)
        case .awaitingApproval(let approval, _, let tool, let arguments):
            record = entry(tool, "awaiting_approval", arguments, "approval \(approval)")
        case .approvalDecided(let approval, let tool, let approved, let by, let comment):
            record = entry(
                tool, approved ? "approved" : "rejected", "",
                "approval \(approval) by \(by)\(comment.isEmpty ? "" : ": \(comment)")")
        default:
            record = nil
        }
        if let record { try? await store.appendAudit(record) }
    }
}
