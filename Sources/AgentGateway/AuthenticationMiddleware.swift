import AgentRuntime
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1` and `/mcp` (the platform over MCP) need a caller: a signed access token, or a service token and identity headers. The caller's tenant is
/// rate limited.
///
/// - A bearer value shaped like a JWT, when OIDC is configured, is checked by ``AccessTokenVerifier``: the caller
///   comes from its claims only, and identity headers, when sent, must agree with them.
/// - Any other bearer value is compared, in constant time, with the service token and the platform-level token;
///   the caller then comes from `X-Tenant-ID`, `X-User-ID` and `X-User-Roles`, each sent at most once, and platform
///   roles are accepted only with the platform-level token.
/// - With no token of any kind configured (insecure development mode) the identity headers are trusted as sent.
struct AuthenticationMiddleware: RouterMiddleware {
    let services: GatewayServices
    var limiter: any RateLimiting { services.requestLimiter }

    init(services: GatewayServices) {
        self.services = services
    }

    func handle(
        _ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response
    ) async throws -> Response {
        guard Self.isProtected(request.uri.path) else { return try await next(request, context) }
        guard services.configuration.servesAPI else {
            throw GatewayError(.notFound, "this replica is a worker only; send API requests to an API replica")
        }
        let principal = try await authenticate(request)
        context.facts.principal = principal
        let tenant = principal.tenant.rawValue
        guard services.tenants[principal.tenant] != nil else {
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
        context.principal = principal
        context.facts.principal = principal
        return try await next(request, context)
    }

    /// Whether `path` needs a caller: the API (`/v1…`) and the MCP endpoint (`/mcp`).
    static func isProtected(_ path: String) -> Bool {
        path.hasPrefix("/v1") || path == "/mcp" || path.hasPrefix("/mcp/")
    }

    /// The caller of `request`, by whichever mode its credential selects.
    func authenticate(_ request: Request) async throws -> Principal {
        let configuration = services.configuration
        let authorizations = request.headers[values: .authorization]
        guard authorizations.count <= 1 else {
            throw GatewayError(.validation, "send one Authorization header, not \(authorizations.count)")
        }
        let staticTokens = [configuration.serviceToken, configuration.platformToken].compactMap { $0 }
        guard !staticTokens.isEmpty || configuration.accessTokens != nil else {
            return try Self.headerIdentity(request, platformRoles: true)
        }
        guard let credential = authorizations.first.flatMap(Self.bearerCredential) else {
            throw GatewayError(.unauthorized, "missing bearer token (Authorization: Bearer …)")
        }
        if let verifier = configuration.accessTokens, AccessTokenVerifier.looksLikeJWT(credential) {
            let principal = try await verifier.verify(credential, at: configuration.time.now)
            try Self.checkHeaders(request, agreeWith: principal)
            return principal
        }
        let presented = Array(credential.utf8)
        // Both comparisons always run, so timing tells nothing about which token (if any) was close.
        let isService = configuration.serviceToken.map { Self.constantTimeEqual(presented, Array($0.utf8)) } ?? false
        let isPlatform = configuration.platformToken.map { Self.constantTimeEqual(presented, Array($0.utf8)) } ?? false
        guard isService || isPlatform else {
            throw GatewayError(
                .unauthorized,
                staticTokens.isEmpty
                    ? "the bearer token is not a signed access token (JWT), and this service accepts no other"
                    : "invalid bearer token (Authorization: Bearer …)")
        }
        return try Self.headerIdentity(request, platformRoles: isPlatform)
    }

    /// The credential of `Bearer <credential>`; the scheme is matched case-insensitively.
    static func bearerCredential(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " "), trimmed[..<space].lowercased() == "bearer" else { return nil }
        let credential = trimmed[space...].trimmingCharacters(in: .whitespaces)
        return credential.isEmpty || credential.contains(" ") ? nil : credential
    }

    /// The caller named by the identity headers; platform roles only when `platformRoles`.
    static func headerIdentity(_ request: Request, platformRoles: Bool) throws -> Principal {
        guard let tenant = try single(request, .tenantID), !tenant.isEmpty else {
            throw GatewayError(.unauthorized, "missing X-Tenant-ID")
        }
        guard let user = try single(request, .userID), !user.isEmpty else {
            throw GatewayError(.unauthorized, "missing X-User-ID")
        }
        let roles = try headerRoles(request)
        guard !roles.isEmpty else { throw GatewayError(.forbidden, "no role in X-User-Roles") }
        if !platformRoles, let role = roles.filter({ $0 >= .platformAdmin }).min() {
            throw GatewayError(
                .forbidden,
                "role \(role.rawValue) is accepted only from a signed access token or the platform-level service token, not in X-User-Roles with the service token"
            )
        }
        return Principal(tenant: TenantID(tenant), user: user, roles: roles)
    }

    /// With a signed token, identity headers are optional but may not name anything the token does not: another
    /// tenant or user, or a role it does not grant.
    static func checkHeaders(_ request: Request, agreeWith principal: Principal) throws {
        if let tenant = try single(request, .tenantID), tenant != principal.tenant.rawValue {
            throw GatewayError(
                .forbidden, "X-Tenant-ID \"\(tenant)\" differs from the access token's tenant \"\(principal.tenant)\"")
        }
        if let user = try single(request, .userID), user != principal.user {
            throw GatewayError(
                .forbidden, "X-User-ID \"\(user)\" differs from the access token's user \"\(principal.user)\"")
        }
        if let role = try headerRoles(request).subtracting(principal.roles).min() {
            throw GatewayError(
                .forbidden, "X-User-Roles names \(role.rawValue), which the access token does not grant")
        }
    }

    /// The roles in `X-User-Roles` (comma-separated); 403 for a name that is not a role.
    private static func headerRoles(_ request: Request) throws -> Set<Role> {
        let names = (try single(request, .userRoles) ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        var roles = Set<Role>()
        for name in names {
            guard let role = Role(rawValue: name) else { throw GatewayError(.forbidden, "unknown role \"\(name)\"") }
            roles.insert(role)
        }
        return roles
    }

    /// The one value of an identity header; 400 when it is sent more than once (repeated fields would otherwise be
    /// merged, so an appended `X-User-Roles: platform_admin` would add a role).
    private static func single(_ request: Request, _ name: HTTPField.Name) throws -> String? {
        let values = request.headers[values: name]
        guard values.count <= 1 else {
            throw GatewayError(.validation, "\(name.rawName) is sent \(values.count) times; send it once")
        }
        return values.first
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
