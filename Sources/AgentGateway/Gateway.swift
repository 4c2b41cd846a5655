import AgentRuntime
import Agents
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Tools

/// The HTTP service the platform's API gateway calls on behalf of its users.
public enum Gateway {
    /// Every route: method and path (`{name}` marks a parameter). `openapi.json` must describe exactly these.
    public static let routes: [(method: String, path: String)] = [
        ("GET", "/health"), ("GET", "/health/ready"), ("GET", "/metrics"),
        ("POST", "/v1/crews/{crew_id}/runs"), ("GET", "/v1/runs"), ("GET", "/v1/runs/{run_id}"), ("POST", "/v1/runs/{run_id}/cancel"),
        ("POST", "/v1/runs/{run_id}/resume"),
        ("GET", "/v1/runs/{run_id}/events"), ("GET", "/v1/runs/{run_id}/approvals"), ("POST", "/v1/runs/{run_id}/approvals/{approval_id}"),
        ("POST", "/v1/agents/{agent_id}/invoke"), ("GET", "/v1/agents"), ("GET", "/v1/agents/{agent_id}"), ("PUT", "/v1/agents/{agent_id}"),
        ("GET", "/v1/agents/{agent_id}/versions"), ("GET", "/v1/crews"), ("GET", "/v1/crews/{crew_id}"), ("GET", "/v1/tools"),
    ]

    /// The router with every route and middleware.
    public static func router(_ services: GatewayServices) -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        router.add(middleware: EnvelopeMiddleware(metrics: services.metrics))
        router.add(middleware: AuthenticationMiddleware(services: services))
        Routes(services: services).register(on: router)
        return router
    }

    /// The application: the router, and `onRunning` called with the bound port. Runs a previous process left
    /// unfinished (a crash, or a shutdown that interrupted them) are carried on from their journals.
    public static func application(
        _ services: GatewayServices, host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> some ApplicationProtocol {
        // Runs a previous process left unfinished are carried on from their journals.
        _ = try await services.runs.resumeUnfinished(environment: services.environment)
        return Application(
            router: router(services), configuration: .init(address: .hostname(host, port: port), serverName: "agentruntime", backlog: 4096),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
    }

    /// The server and the run drain as one service group. On graceful shutdown (SIGTERM, SIGINT, or
    /// `triggerGracefulShutdown()`) the drain goes first: new runs are refused (503), running ones get the grace
    /// period, the rest are cancelled and recorded as interrupted, so requests waiting on them answer; then the server stops.
    public static func serviceGroup(
        _ services: GatewayServices, host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> ServiceGroup {
        let app = try await application(services, host: host, port: port, onRunning: onRunning)
        let drain = RunDrainService(
            runs: services.runs, grace: services.configuration.shutdownGracePeriod, resumeInterval: services.configuration.resumeInterval,
            environment: services.environment)
        // Services shut down in reverse order: the drain before the server.
        return ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: drain, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger))
    }

    /// Serves until SIGTERM or SIGINT (graceful shutdown: runs drain, then the server stops).
    public static func run(
        _ services: GatewayServices, host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        try await serviceGroup(services, host: host, port: port, onRunning: onRunning).run()
    }
}

/// While serving: carries on queued runs and runs whose approval expired. On graceful shutdown: stop accepting
/// runs, let running ones finish up to the grace period, then cancel and mark the rest interrupted (the next
/// process carries them on).
struct RunDrainService: Service {
    let runs: RunManager
    let grace: Duration
    let resumeInterval: Duration
    let environment: @Sendable (Principal) -> EngineEnvironment

    func run() async throws {
        let sweeper = Task { [runs, resumeInterval, environment] in
            while !Task.isCancelled {
                try? await Task.sleep(for: resumeInterval)
                _ = try? await runs.resumeDue(environment: environment)
            }
        }
        defer { sweeper.cancel() }
        do {
            try await gracefulShutdown()
            await runs.drain(grace: grace)
        } catch {
            // Cancelled rather than shut down gracefully: no grace.
            await runs.drain(grace: .zero)
        }
    }
}

/// Request ids, the error envelope, and request metrics.
struct EnvelopeMiddleware: RouterMiddleware {
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = request.headers[.requestID].flatMap { $0.isEmpty || $0.count > 128 ? nil : $0 } ?? UUID().uuidString.lowercased()
        context.requestID = requestID
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as GatewayError {
            response = Reply.error(error)
        } catch let error as HTTPError {
            let code: GatewayError.Code = switch error.status.code {
            case 404: .notFound
            case 413: .payloadTooLarge
            case 400, 422: .validation
            case 401: .unauthorized
            case 403: .forbidden
            default: .internalError
            }
            let message = code == .notFound ? "no route \(request.method) \(request.uri.path)" : (error.body ?? "\(error.status)")
            response = Reply.error(GatewayError(code, message))
        } catch {
            response = Reply.error(GatewayError(.internalError, "internal error (request \(requestID))"))
        }
        response.headers[.requestID] = requestID
        await metrics.request(route: Self.route(request), status: response.status.code)
        return response
    }

    /// The route pattern of a request (parameters replaced) for low-cardinality metrics.
    static func route(_ request: Request) -> String {
        let parts = request.uri.path.split(separator: "/").map(String.init)
        for route in Gateway.routes where route.method == request.method.rawValue {
            let pattern = route.path.split(separator: "/").map(String.init)
            if pattern.count == parts.count, zip(pattern, parts).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) { return route.path }
        }
        return "unmatched"
    }
}

/// `/v1` needs the service token and the caller's identity; the caller's tenant is rate limited.
struct AuthenticationMiddleware: RouterMiddleware {
    let services: GatewayServices
    let limiter = RateLimiter()

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1") else { return try await next(request, context) }
        if let token = services.configuration.serviceToken {
            let presented = request.headers[.authorization] ?? ""
            guard presented.hasPrefix("Bearer "), Self.constantTimeEqual(Array(presented.dropFirst(7).utf8), Array(token.utf8)) else {
                throw GatewayError(.unauthorized, "missing or invalid service token (Authorization: Bearer …)")
            }
        }
        guard let tenant = request.headers[.tenantID], !tenant.isEmpty else { throw GatewayError(.unauthorized, "missing X-Tenant-ID") }
        guard let user = request.headers[.userID], !user.isEmpty else { throw GatewayError(.unauthorized, "missing X-User-ID") }
        let roleNames = (request.headers[.userRoles] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var roles = Set<Role>()
        for name in roleNames {
            guard let role = Role(rawValue: name) else { throw GatewayError(.forbidden, "unknown role \"\(name)\"") }
            roles.insert(role)
        }
        guard !roles.isEmpty else { throw GatewayError(.forbidden, "no role in X-User-Roles") }
        guard services.tenants[TenantID(tenant)] != nil else { throw GatewayError(.forbidden, "unknown tenant \"\(tenant)\"") }
        let wait = await limiter.reserve("tenant:\(tenant)", amount: 1, perMinute: services.configuration.requestsPerMinutePerTenant)
        if wait > .zero {
            await limiter.adjust("tenant:\(tenant)", by: -1)
            throw GatewayError(.rateLimited, "tenant \(tenant) is over its request limit", retryAfter: Int(wait.components.seconds) + 1)
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
