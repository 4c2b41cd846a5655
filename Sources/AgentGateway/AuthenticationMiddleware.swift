import AgentRuntime
import Foundation
import Hummingbird

/// `/v1` needs the service token and the caller's identity; the caller's tenant is rate limited.
struct AuthenticationMiddleware: RouterMiddleware {
    let services: GatewayServices
    var limiter: any RateLimiting { services.requestLimiter }

    init(services: GatewayServices) {
        self.services = services
    }

    func handle(
        _ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1") else { return try await next(request, context) }
        guard services.configuration.servesAPI else {
            throw GatewayError(.notFound, "this replica is a worker only; send API requests to an API replica")
        }
        if let token = services.configuration.serviceToken {
            let presented = request.headers[.authorization] ?? ""
            guard presented.hasPrefix("Bearer "),
                Self.constantTimeEqual(Array(presented.dropFirst(7).utf8), Array(token.utf8))
            else {
                throw GatewayError(.unauthorized, "missing or invalid service token (Authorization: Bearer …)")
            }
        }
        guard let tenant = request.headers[.tenantID], !tenant.isEmpty else {
            throw GatewayError(.unauthorized, "missing X-Tenant-ID")
        }
        guard let user = request.headers[.userID], !user.isEmpty else {
            throw GatewayError(.unauthorized, "missing X-User-ID")
        }
        let roleNames = (request.headers[.userRoles] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        var roles = Set<Role>()
        for name in roleNames {
            guard let role = Role(rawValue: name) else { throw GatewayError(.forbidden, "unknown role \"\(name)\"") }
            roles.insert(role)
        }
        guard !roles.isEmpty else { throw GatewayError(.forbidden, "no role in X-User-Roles") }
        guard services.tenants[TenantID(tenant)] != nil else {
            throw GatewayError(.forbidden, "unknown tenant \"\(tenant)\"")
        }
        let wait = try await limiter.reserve(
            "tenant:\(tenant)", amount: 1, perMinute: services.configuration.requestsPerMinutePerTenant)
        if wait > .zero {
            try await limiter.adjust("tenant:\(tenant)", by: -1)
            throw GatewayError(
                .rateLimited, "tenant \(tenant) is over its request limit", retryAfter: Int(wait.components.seconds) + 1
            )
        }
        var context = context
        context.principal = Principal(tenant: TenantID(tenant), user: user, roles: roles)
        return try await next(request, context)
    }

    /// Compares without an early exit, so timing does not reveal how much of a token matched.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
