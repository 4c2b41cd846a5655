import AgentRuntime
import Foundation
import Hummingbird

/// Usage and cost of model calls, summed per tenant and group: `GET /v1/usage?from=&to=&group_by=&tenant=`.
/// Tenant admins see their own tenant only; platform roles see every tenant, or the one `tenant=` names. Paths are
/// relative to `/v1`.
struct UsageRoutes: Sendable {
    /// What the handlers use.
    let services: GatewayServices

    /// The routes, each with its handler.
    var endpoints: RouteCollection<GatewayContext> {
        RouteCollection(context: GatewayContext.self)
            .get("usage", use: usage)
    }

    private func usage(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller(atLeast: .tenantAdmin)
        let parameters = request.uri.queryParameters
        let isPlatform = principal.roles.contains { $0 >= .platformAdmin }
        var tenant: TenantID? = isPlatform ? nil : principal.tenant
        if let named = parameters.get("tenant").map({ String($0) }) {
            guard !named.isEmpty else { throw Self.invalid("tenant", "must not be empty") }
            guard isPlatform || TenantID(named) == principal.tenant else {
                throw GatewayError(.forbidden, "the usage of tenant \(named) needs a platform role")
            }
            tenant = TenantID(named)
        }
        let grouping: UsageGrouping
        if let text = parameters.get("group_by").map({ String($0) }) {
            guard let parsed = UsageGrouping(rawValue: text) else {
                throw Self.invalid(
                    "group_by",
                    "unknown group_by \"\(text)\": one of \(UsageGrouping.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            grouping = parsed
        } else {
            grouping = .day
        }
        let now = Date()
        let to = try Self.bound(parameters.get("to").map { String($0) }, name: "to", endOfDay: true) ?? now
        let from =
            try Self.bound(parameters.get("from").map { String($0) }, name: "from", endOfDay: false)
            ?? to.addingTimeInterval(-30 * 86_400)
        guard from < to else { throw Self.invalid("from", "from must be before to") }
        let groups = try await services.store.usage(
            UsageQuery(from: from, to: to, tenant: tenant, groupBy: grouping))
        let totals = groups.total
        return Reply.data([
            "from": .string(from.formatted(.iso8601)), "to": .string(to.formatted(.iso8601)),
            "group_by": .string(grouping.rawValue), "tenant": tenant.map { .string($0.rawValue) } ?? .null,
            "groups": .array(groups.map { $0.json(groupedBy: grouping) }),
            "total": [
                "calls": .int(totals.calls), "usage": RunJSON.usage(totals.usage), "cost_usd": .double(totals.costUSD),
            ],
        ])
    }

    private static func bound(_ text: String?, name: String, endOfDay: Bool) throws -> Date? {
        guard let text else { return nil }
        guard let date = UsageQuery.instant(text, endOfDay: endOfDay) else {
            throw invalid(name, "\(name)=\"\(text)\" is not \(UsageQuery.instantForms)")
        }
        return date
    }

    private static func invalid(_ field: String, _ message: String) -> GatewayError {
        GatewayError(.validation, message, details: [["field": .string(field), "message": .string(message)]])
    }
}
