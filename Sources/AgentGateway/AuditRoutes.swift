import AgentRuntime
import Foundation
import Hummingbird

/// The audit log: tool calls and definition changes. Tenant admins read their tenant's entries; platform roles read
/// every tenant's (and the platform's own definition changes). Paths are relative to `/v1`.
struct AuditRoutes: Sendable {
    /// What the handlers use.
    let services: GatewayServices

    /// The routes, each with its handler.
    var endpoints: RouteCollection<GatewayContext> {
        RouteCollection(context: GatewayContext.self)
            .get("audit", use: list)
    }

    /// `GET /v1/audit?from=&to=&actor=&tool=&outcome=&kind=&tenant=&cursor=&limit=`: oldest first; `meta.next_cursor`
    /// is given while more entries may follow (pass it as `cursor`).
    private func list(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller(atLeast: .tenantAdmin)
        let parameters = request.uri.queryParameters
        func text(_ name: String) -> String? { parameters.get(name).flatMap { $0.isEmpty ? nil : String($0) } }
        func time(_ name: String) throws -> Date? {
            guard let value = text(name) else { return nil }
            guard let date = try? Date(value, strategy: .iso8601) else {
                throw GatewayError(
                    .validation, "\(name) must be an ISO 8601 time (2026-12-07T10:00:00Z)",
                    details: [["field": .string(name), "message": "ISO 8601 time"]])
            }
            return date
        }
        let limit = Int(text("limit") ?? "100") ?? 0
        guard (1...1000).contains(limit) else {
            throw GatewayError(
                .validation, "limit must be 1–1000", details: [["field": "limit", "message": "1–1000"]])
        }
        var cursor: Int?
        if let value = text("cursor") {
            guard let number = Int(value), number >= 0 else {
                throw GatewayError(
                    .validation, "cursor must be the next_cursor of a previous page",
                    details: [["field": "cursor", "message": "a non-negative integer"]])
            }
            cursor = number
        }
        let isPlatform = (principal.roles.max() ?? .tenantUser) >= .platformAdmin
        let tenant: TenantID? = isPlatform ? text("tenant").map { TenantID($0) } : principal.tenant
        if !isPlatform, let asked = text("tenant"), asked != principal.tenant.rawValue {
            throw GatewayError(.forbidden, "a tenant admin reads only its own tenant's audit log")
        }
        let query = AuditQuery(
            tenant: tenant, from: try time("from"), to: try time("to"), actor: text("actor"), tool: text("tool"),
            outcome: text("outcome"), kind: text("kind"), after: cursor, limit: limit)
        let entries = try await services.store.auditEntries(query)
        var next = JSONValue.null
        if entries.count == limit, let last = entries.last?.id { next = .string(String(last)) }
        return Reply.json([
            "data": .array(entries.map(Self.render)), "meta": ["limit": .int(limit), "next_cursor": next],
        ])
    }

    /// An entry as JSON.
    static func render(_ entry: AuditEntry) -> JSONValue {
        [
            "id": entry.id.map { .int($0) } ?? .null, "time": .string(entry.time.formatted(.iso8601)),
            "tenant": .string(entry.tenant.rawValue), "actor": .string(entry.user),
            "roles": .array(entry.roles.map { .string($0) }), "kind": .string(entry.kind),
            "run_id": .string(entry.runID.rawValue), "agent": .string(entry.agent), "tool": .string(entry.tool),
            "outcome": .string(entry.outcome), "duration_ms": entry.durationMS.map { .int($0) } ?? .null,
            "arguments": .string(entry.arguments), "detail": .string(entry.detail), "diff": .string(entry.diff),
        ]
    }
}
