import AgentRuntime
import Hummingbird
import NIOCore
import ServiceLifecycle

/// The HTTP service the platform's API gateway calls on behalf of its users.
public enum Gateway {
    /// The router with every route and middleware. Each resource registers its own routes next to their handlers;
    /// `router.routes` lists them (a test keeps `openapi.json` equal to that list).
    ///
    /// With `operatorRoutes` false, `/health/ready` and `/metrics` are left out: they are served by
    /// ``internalRouter(_:)`` on a listener of their own (`/health`, liveness, stays).
    public static func router(_ services: GatewayServices, operatorRoutes: Bool = true) -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        router.add(middleware: EnvelopeMiddleware(metrics: services.metrics, logger: services.configuration.logger))
        // On the router rather than the /v1 group: a /v1 path that matches no route also needs credentials (and
        // counts against the tenant's rate), so an unauthenticated caller cannot probe which routes exist.
        router.add(middleware: AuthenticationMiddleware(services: services))
        router.addRoutes(HealthRoutes(services: services).liveness)
        if operatorRoutes {
            router.addRoutes(HealthRoutes(services: services).readiness)
            router.addRoutes(
                MetricsRoutes(metrics: services.metrics, store: services.store, time: services.configuration.time)
                    .endpoints)
        }
        router.group("v1")
            .addRoutes(RunRoutes(services: services).endpoints)
            .addRoutes(ApprovalRoutes(services: services).endpoints)
            .addRoutes(UsageRoutes(services: services).endpoints)
            .addRoutes(DefinitionRoutes(services: services).endpoints)
            .addRoutes(AdminRoutes(services: services).endpoints)
            .addRoutes(AuditRoutes(services: services).endpoints)
        for mount in services.mounts { mount(router) }
        return router
    }

    /// The routes for operators only: `/health`, `/health/ready` and `/metrics`, unauthenticated, for a listener
    /// that only the orchestrator's probes and the metrics scraper reach (an internal address or port).
    public static func internalRouter(_ services: GatewayServices) -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        router.add(middleware: EnvelopeMiddleware(metrics: services.metrics, logger: services.configuration.logger))
        router.addRoutes(HealthRoutes(services: services).endpoints)
        router.addRoutes(
            MetricsRoutes(metrics: services.metrics, store: services.store, time: services.configuration.time).endpoints
        )
        return router
    }

    /// The application: the router, and `onRunning` called with the bound port. With an `internalListener`, readiness
    /// and metrics are not on this one (see ``internalRouter(_:)``).
    public static func application(
        _ services: GatewayServices, host: String, port: Int, internalListener: Bool = false,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> some ApplicationProtocol {
        Application(
            router: router(services, operatorRoutes: !internalListener),
            configuration: .init(address: .hostname(host, port: port), serverName: "agentruntime", backlog: 4096),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: services.configuration.logger)
    }

    /// The server, the worker (claiming queued runs, and runs a previous process left unfinished, carried on from
    /// their journals) and the definition sync as one service group. On graceful shutdown (SIGTERM, SIGINT, or
    /// `triggerGracefulShutdown()`) the worker drains first: new runs are refused (503), running ones get the grace
    /// period, the rest are cancelled and recorded as interrupted, so requests waiting on them answer; then the
    /// server stops.
    ///
    /// With an `internalListener`, `/health/ready` and `/metrics` are served there and not on `host:port`;
    /// `onInternalRunning` is called with its bound port.
    ///
    /// `telemetry` services (a span exporter) start first and stop last, after the runs have drained, so they flush
    /// what the runs reported.
    public static func serviceGroup(
        _ services: GatewayServices, host: String, port: Int, internalListener: ListenAddress? = nil,
        telemetry: [any Service] = [],
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onInternalRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> ServiceGroup {
        let app = try await application(
            services, host: host, port: port, internalListener: internalListener != nil, onRunning: onRunning)
        var listeners: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
        if let internalListener {
            listeners.append(
                .init(
                    service: Application(
                        router: internalRouter(services),
                        configuration: .init(
                            address: .hostname(internalListener.host, port: internalListener.port),
                            serverName: "agentruntime-internal"),
                        onServerRunning: { channel in
                            await onInternalRunning(channel.localAddress?.port ?? internalListener.port)
                        })))
        }
        let worker = RunWorkerService(
            runs: services.runs, store: services.store, grace: services.configuration.shutdownGracePeriod,
            claimInterval: services.configuration.claimInterval, resumeInterval: services.configuration.resumeInterval,
            environment: services.environment)
        let sync = DefinitionSync(services: services)
        let watchers: [ServiceGroupConfiguration.ServiceConfiguration] =
            services.configuration.definitionWatchInterval.map {
                [.init(service: DefinitionWatcher(services: services, interval: $0))]
            } ?? []
        // Services shut down in reverse order: the worker drains before the server stops.
        return ServiceGroup(
            configuration: .init(
                services: telemetry.map { .init(service: $0) } + listeners + watchers + [
                    .init(service: sync),
                    .init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: services.configuration.logger))
    }

    /// Serves until SIGTERM or SIGINT (graceful shutdown: runs drain, then the server stops).
    public static func run(
        _ services: GatewayServices, host: String, port: Int, internalListener: ListenAddress? = nil,
        telemetry: [any Service] = [],
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onInternalRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        try await serviceGroup(
            services, host: host, port: port, internalListener: internalListener, telemetry: telemetry,
            onRunning: onRunning, onInternalRunning: onInternalRunning
        ).run()
        services.configuration.logger.info("shutdown: complete")
    }
}

/// A host and port a listener binds to (port 0: any free port).
public struct ListenAddress: Hashable, Sendable {
    /// The host or address (`127.0.0.1`, `0.0.0.0`, a name).
    public var host: String
    /// The port.
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}
