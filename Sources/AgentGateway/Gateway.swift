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
