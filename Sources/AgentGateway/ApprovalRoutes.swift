import AgentRuntime
import Hummingbird

/// A run's approval requests: listed for whoever may see the run (a tenant user: its own runs), and decided by the
/// tenant's approver roles (`approver_roles` in its tenant file, `tenant_admin` by default) or a platform role (a run
/// waiting for the decision is queued and carried on). Paths are relative to `/v1`.
struct ApprovalRoutes: Sendable {
    /// What the handlers use.
    let services: GatewayServices

    /// The routes, each with its handler.
    var endpoints: RouteCollection<GatewayContext> {
        RouteCollection(context: GatewayContext.self)
            .get("runs/{run_id}/approvals", use: approvals)
            .post("runs/{run_id}/approvals/{approval_id}", use: decide)
    }

    private func approvals(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let record = try await services.visibleRun(context)
        let items = try await services.store.approvals(tenant: record.tenant, runID: record.id, status: nil)
        return Reply.list(items.map(Self.approvalJSON), page: 1, limit: max(1, items.count), total: items.count)
    }

    /// An approval as the API shows it (arguments redacted).
    static func approvalJSON(_ record: ApprovalRecord) -> JSONValue {
        [
            "approval_id": .string(record.request.id), "run_id": .string(record.request.runID.rawValue),
            "agent": .string(record.request.agent.rawValue),
            "tool": .string(record.request.tool.rawValue),
            "arguments": .string(AuditRedaction.redact(record.request.arguments)),
            "status": .string(record.status), "requested_at": .string(record.request.requestedAt.formatted(.iso8601)),
            "expires_at": .string(record.expiresAt.formatted(.iso8601)),
            "decided_by": record.decidedBy.map(JSONValue.string) ?? .null,
            "comment": record.comment.map(JSONValue.string) ?? .null,
        ]
    }

    private func decide(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        guard let tenant = services.tenants[principal.tenant], tenant.mayApprove(principal.roles) else {
            let named = (services.tenants[principal.tenant]?.approverRoles ?? []).map(\.rawValue).sorted()
            let platform = "a platform role (platform_admin, super_admin)"
            throw GatewayError(
                .forbidden,
                named.isEmpty
                    ? "deciding approvals of tenant \(principal.tenant) needs \(platform): its approver_roles name none"
                    : "deciding approvals of tenant \(principal.tenant) needs one of its approver_roles (\(named.joined(separator: ", "))) or \(platform)"
            )
        }
        let record = try await services.visibleRun(context)
        let approvalID = try context.parameter("approval_id")
        let body = try await request.json(context: context)
        guard case .bool(let approve)? = body["approve"] else {
            throw GatewayError(
                .validation, "\"approve\" must be true or false",
                details: [["field": "approve", "message": "required boolean"]])
        }
        let comment = body["comment"]?.stringValue ?? ""
        guard let approval = try await services.store.approval(approvalID, tenant: principal.tenant),
            approval.request.runID == record.id
        else {
            throw GatewayError(.notFound, "no approval \"\(approvalID)\" for run \(record.id)")
        }
        guard !record.status.isFinal else {
            throw GatewayError(
                .conflict,
                "run \(record.id) has ended (\(record.status.rawValue)); its approvals can no longer be decided")
        }
        guard
            try await services.store.decideApproval(
                approvalID, tenant: principal.tenant, approved: approve, by: principal.user, comment: comment)
        else {
            throw GatewayError(
                .conflict, "approval \(approvalID) was already decided or has expired (\(approval.status))")
        }
        // A run that stopped to wait is queued, and carried on from its journal by whichever worker claims it
        // first (this replica's, when it is a worker with room).
        if try await services.runs.lifecycle.queueAfterDecision(record.id) {
            _ = try? await services.runs.claimQueued(only: record.id, environment: services.environment)
        }
        return Reply.data(
            Self.approvalJSON(try await services.store.approval(approvalID, tenant: principal.tenant) ?? approval))
    }
}
