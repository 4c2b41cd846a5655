import AgentGateway
import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Logging
import MCPServing
import OTelTracing
import ServiceLifecycle
import Tools

/// `agentctl serve`: the HTTP service for the platform's API gateway.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API.",
        discussion:
            "Callers authenticate with Authorization: Bearer <token>: a signed OIDC access token (auth.oidc in agentruntime.json, or --oidc-issuer and --oidc-audience), or a static service token read from the secret reference given by --token-ref (default: auth.service_token, else env:AGENTRUNTIME_SERVICE_TOKEN) with the caller named in X-Tenant-ID, X-User-ID and X-User-Roles; platform roles in X-User-Roles need the token given by --platform-token-ref. Without any of these the service refuses to start, unless --insecure-dev is given. SIGTERM or Ctrl-C shuts down gracefully."
    )

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var runtime: RuntimeOptions
    @Option(name: .long, help: "The address to bind.") var host: String = "127.0.0.1"
    @Option(name: .long, help: "The port (0 picks a free one).") var port: Int = 8080
    @Option(
        name: .long,
        help:
            "Where the service token comes from: env:NAME or secret:path (default: auth.service_token, else env:AGENTRUNTIME_SERVICE_TOKEN)."
    )
    var tokenRef: String?
    @Option(
        name: .long,
        help:
            "Where the platform-level service token comes from (env:NAME or secret:path; default: auth.platform_token): its callers may name platform_admin or super_admin in X-User-Roles."
    )
    var platformTokenRef: String?
    @Option(name: .long, help: "Accept access tokens of this OIDC issuer (overrides auth.oidc.issuer).")
    var oidcIssuer: String?
    @Option(name: .long, help: "An accepted access-token audience (repeatable; overrides auth.oidc.audience).")
    var oidcAudience: [String] = []
    @Flag(name: .long, help: "Start without a service token (development only: every caller is trusted).")
    var insecureDev = false
    @Option(
        name: .long,
        help: "The run store: a SQLite file (PATH or sqlite:PATH) or postgres://user@host:port/database.")
    var store: String?
    @Option(name: .long, help: "Seconds running runs get to finish on shutdown.") var shutdownGrace: Int = 30
    @Option(name: .long, help: "Requests per minute per tenant.") var requestsPerMinute: Int = 600
    @Option(name: .long, help: "Runs in flight per tenant (queued or running, on all replicas together).")
    var concurrentRuns: Int = 50
    @Option(
        name: .long,
        help:
            "What this replica does: all (API and worker), api (queues runs for the workers), worker (carries runs out; serves only health and metrics)."
    )
    var role: ServeRole = .all
    @Option(name: .long, help: "Seconds a worker's hold on a run lasts unless renewed (renewed every third).")
    var leaseSeconds: Int = 30
    @Option(name: .long, help: "Runs this replica carries out at once, at most (more wait in the queue).")
    var workerCapacity: Int = 1000
    @Option(
        name: .long,
        help:
            "Serve /health/ready and /metrics on this port only (not on --port), for probes and scrapers on an internal network."
    )
    var internalPort: Int?
    @Option(name: .long, help: "The address the internal listener binds to.") var internalHost = "127.0.0.1"
    @Option(name: .long, help: "Event streams (SSE) one tenant may have open at once on this replica (429 past it).")
    var maxStreamsPerTenant: Int = 100
    @Option(name: .long, help: "Event streams (SSE) this replica keeps open at once, all tenants together.")
    var maxStreams: Int = 2000
    @Option(
        name: .long,
        help:
            "Seconds an event stream stays open at most; it then ends with a reconnect event (resume with Last-Event-ID)."
    )
    var maxStreamSeconds: Int = 3600
    @Option(
        name: .long,
        help:
            "Milliseconds between looks at agents/, connectors/, tenants/ and agentruntime.json for changes (0: do not watch)."
    )
    var watchIntervalMs: Int = 1000
    @Option(
        name: .long,
        help:
            "How log lines on standard error look: json (one object per line: timestamp, level, message, request_id, tenant, user, run_id, crew, route, status, duration_ms, ...) or text."
    )
    var logFormat: LogLineHandler.Format = .json
    @Option(name: .long, help: "The least severe level logged: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    /// What a replica does.
    enum ServeRole: String, ExpressibleByArgument, CaseIterable {
        case all, api, worker
    }

    func validate() throws {
        guard leaseSeconds >= 3 else { throw ValidationError("--lease-seconds must be at least 3") }
        guard workerCapacity >= 1 else { throw ValidationError("--worker-capacity must be at least 1") }
        guard concurrentRuns >= 1 else { throw ValidationError("--concurrent-runs must be at least 1") }
        guard watchIntervalMs >= 0 else { throw ValidationError("--watch-interval-ms must be 0 or more") }
        guard maxStreamsPerTenant >= 1, maxStreams >= 1, maxStreamSeconds >= 1 else {
            throw ValidationError("--max-streams-per-tenant, --max-streams and --max-stream-seconds must be at least 1")
        }
    }

    func run() async throws {
        // A supervisor (or a test) that started this process from a thread blocking SIGTERM and SIGINT passed that
        // mask on: unblock them, so a graceful shutdown can be asked for.
        var shutdownSignals = sigset_t()
        sigemptyset(&shutdownSignals)
        sigaddset(&shutdownSignals, SIGTERM)
        sigaddset(&shutdownSignals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &shutdownSignals, nil)
        // Logging first, so every line this process writes to standard error is a record in the chosen format,
        // passed through the redactor (the tokens are added to it once read).
        let redaction = LogRedaction()
        let (format, level) = (logFormat, logLevel)
        LoggingSystem.bootstrap { label in
            LogLineHandler(label: label, format: format, level: level, redaction: redaction)
        }
        let logger = Logger(label: "agentruntime")
        _ = try? Console.errorLogger.get { logger }
        let secrets = try runtime.secretStore()
        let auth = try runtime.loadConfig().auth
        let serviceReference = tokenRef ?? auth.serviceToken?.description ?? "env:AGENTRUNTIME_SERVICE_TOKEN"
        let token = try await Self.readToken(serviceReference, option: "--token-ref", secrets: secrets)
        let platformReference = platformTokenRef ?? auth.platformToken?.description
        var platformToken: String?
        if let platformReference {
            platformToken = try await Self.readToken(
                platformReference, option: "--platform-token-ref", secrets: secrets)
        }
        let oidc = try oidcSettings(auth.oidc)
        if token == nil, platformToken == nil, oidc == nil, !insecureDev {
            Console.error(
                "error: no service token (\(serviceReference) is not set) and no OIDC issuer (auth.oidc or --oidc-issuer); set one, or start with --insecure-dev for local development"
            )
            throw ExitCode(ExitStatus.invalid)
        }
        if let platformReference, platformToken == nil {
            Console.error("error: no platform-level token (\(platformReference) is not set)")
            throw ExitCode(ExitStatus.invalid)
        }
        if token != nil, token == platformToken {
            Console.error("error: the service token and the platform-level token must differ")
            throw ExitCode(ExitStatus.invalid)
        }
        if oidc != nil, [token, platformToken].contains(where: { $0.map(AccessTokenVerifier.looksLikeJWT) ?? false }) {
            // Such a bearer value would be checked as a signed token, never compared with the service token.
            Console.error("error: with OIDC on, a service token must not have the shape of a JWT (three dotted parts)")
            throw ExitCode(ExitStatus.invalid)
        }
        redaction.add([token, platformToken].compactMap { $0 })
        if insecureDev, token == nil, platformToken == nil, oidc == nil {
            Console.error("warning: --insecure-dev: requests are not authenticated")
        }
        var configuration = GatewayConfiguration(
            serviceToken: token, requestsPerMinutePerTenant: requestsPerMinute,
            concurrentRunsPerTenant: concurrentRuns,
            shutdownGracePeriod: .seconds(shutdownGrace))
        configuration.platformToken = platformToken
        configuration.accessTokens = try oidc.map {
            AccessTokenVerifier(settings: $0, transport: try runtime.transport())
        }
        configuration.leaseDuration = .seconds(leaseSeconds)
        configuration.workerCapacity = workerCapacity
        configuration.isWorker = role != .api
        configuration.servesAPI = role != .worker
        configuration.maxStreamsPerTenant = maxStreamsPerTenant
        configuration.maxStreams = maxStreams
        configuration.maxStreamLifetime = .seconds(maxStreamSeconds)
        configuration.definitionWatchInterval = watchIntervalMs > 0 ? .milliseconds(watchIntervalMs) : nil
        configuration.logger = logger
        // Traces: exported over OTLP when the standard OTEL_* variables ask for it (before the engine is built).
        var telemetry: [any Service] = []
        if OTelTracingBackend.isEnabled(ProcessInfo.processInfo.environment) {
            let backend = try OTelTracingBackend.make(serviceName: "agentruntime", logger: logger)
            ProcessAdapters.shared.install(tracer: backend.tracer)
            telemetry.append(backend.service)
            logger.info("traces exported over OTLP")
        }
        var (services, knowledge) = try await Composition.gatewayServices(
            configuration: configuration, catalog: catalog, runtime: runtime,
            storeLocation: try EngineOptions.storeLocation(store, runtime: runtime), suspendsForApprovals: true)
        let served = await services.catalog.catalog
        if served.agents.isEmpty {
            // An empty or unmounted folder must not look like a running service.
            Console.error(
                "error: no agents loaded from \(catalog.agentsDirectory.path); serve needs at least one valid agent definition (run `agentctl validate`)"
            )
            for diagnostic in served.diagnostics where diagnostic.severity == .error {
                Console.error(diagnostic.formatted)
            }
            throw ExitCode(ExitStatus.invalid)
        }
        // The platform over MCP (Streamable HTTP) on /mcp, behind the same authentication as /v1.
        services.mounts.append(MCPHTTPEndpoint(services: services).mount)
        let watcher = knowledge.watch(every: .seconds(5))
        defer { watcher.cancel() }
        let internalListener = internalPort.map { ListenAddress(host: internalHost, port: $0) }
        try await Gateway.run(
            services, host: host, port: port, internalListener: internalListener, telemetry: telemetry,
            onRunning: { bound in
                logger.info(
                    "agentctl serve: listening on http://\(host):\(bound)",
                    metadata: ["role": .string(role.rawValue), "port": .stringConvertible(bound)])
            },
            onInternalRunning: { bound in
                logger.info(
                    "agentctl serve: /health/ready and /metrics on http://\(internalListener?.host ?? ""):\(bound)")
            })
    }

    /// A token read from `env:NAME` or `secret:path`; nil when unset or empty.
    static func readToken(_ reference: String, option: String, secrets: any SecretStore) async throws -> String? {
        switch CredentialReference(parsing: reference) {
        case .environment(let name)?:
            return ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
        case .secret(let path)?:
            return try await secrets.secret(path, scope: .platform).flatMap { $0.isEmpty ? nil : $0 }
        case nil: throw ValidationError("\(option) must be env:NAME or secret:path")
        }
    }

    /// The OIDC settings of the config, with `--oidc-issuer` and `--oidc-audience` on top.
    func oidcSettings(_ configured: OIDCSettings?) throws -> OIDCSettings? {
        guard let issuer = oidcIssuer else {
            guard oidcAudience.isEmpty || configured != nil else {
                throw ValidationError("--oidc-audience needs --oidc-issuer or auth.oidc in the config")
            }
            return configured.map { settings in
                var settings = settings
                if !oidcAudience.isEmpty { settings.audiences = oidcAudience }
                return settings
            }
        }
        guard let url = URL(string: issuer),
            url.scheme == "https" || (url.scheme == "http" && ["127.0.0.1", "localhost"].contains(url.host ?? ""))
        else { throw ValidationError("--oidc-issuer must be an https URL (http only on a loopback host)") }
        let audiences = oidcAudience.isEmpty ? configured?.audiences ?? [] : oidcAudience
        guard !audiences.isEmpty else { throw ValidationError("--oidc-issuer needs --oidc-audience") }
        var settings = configured ?? OIDCSettings(issuer: issuer, audiences: audiences)
        settings.issuer = issuer
        settings.audiences = audiences
        return settings
    }
}

extension LogLineHandler.Format: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
