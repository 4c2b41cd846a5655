import AgentGateway
import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Tools

/// `agentctl serve`: the HTTP service for the platform's API gateway.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API.",
        discussion:
            "Callers authenticate with Authorization: Bearer <token>; the token is read from the secret reference given by --token-ref (default env:AGENTRUNTIME_SERVICE_TOKEN). Without a token the service refuses to start, unless --insecure-dev is given. SIGTERM or Ctrl-C shuts down gracefully."
    )

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var runtime: RuntimeOptions
    @Option(name: .long, help: "The address to bind.") var host: String = "127.0.0.1"
    @Option(name: .long, help: "The port (0 picks a free one).") var port: Int = 8080
    @Option(name: .long, help: "Where the service token comes from: env:NAME or secret:path.") var tokenRef: String =
        "env:AGENTRUNTIME_SERVICE_TOKEN"
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

    /// What a replica does.
    enum ServeRole: String, ExpressibleByArgument, CaseIterable {
        case all, api, worker
    }

    func validate() throws {
        guard leaseSeconds >= 3 else { throw ValidationError("--lease-seconds must be at least 3") }
        guard workerCapacity >= 1 else { throw ValidationError("--worker-capacity must be at least 1") }
        guard concurrentRuns >= 1 else { throw ValidationError("--concurrent-runs must be at least 1") }
        guard maxStreamsPerTenant >= 1, maxStreams >= 1, maxStreamSeconds >= 1 else {
            throw ValidationError("--max-streams-per-tenant, --max-streams and --max-stream-seconds must be at least 1")
        }
    }

    func run() async throws {
        let secrets = try runtime.secretStore()
        var token: String?
        switch CredentialReference(parsing: tokenRef) {
        case .environment(let name)?:
            token = ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
        case .secret(let path)?:
            token = try await secrets.secret(path, scope: .platform).flatMap { $0.isEmpty ? nil : $0 }
        case nil: throw ValidationError("--token-ref must be env:NAME or secret:path")
        }
        if token == nil, !insecureDev {
            Console.error(
                "error: no service token (\(tokenRef) is not set); set it, or start with --insecure-dev for local development"
            )
            throw ExitCode(ExitStatus.invalid)
        }
        if insecureDev, token == nil { Console.error("warning: --insecure-dev: requests are not authenticated") }
        let loadedCatalog = try catalog.loadCatalog()
        if loadedCatalog.errorCount > 0 {
            Console.error("warning: \(loadedCatalog.errorCount) definition error(s); run `agentctl validate`")
        }
        let tenants = catalog.loadTenants()
        let storePath = try EngineOptions.storeLocation(store, runtime: runtime)
        let runStore = try await Composition.store(location: storePath, runtime: runtime)
        // Runs that need a decision stop and hold nothing while they wait; a decision queues them.
        let (base, registry, knowledge) = try await Composition.environment(
            runtime: runtime, catalog: catalog, tenants: tenants, store: runStore, streaming: true,
            suspendsForApprovals: true)
        let watcher = knowledge.watch(every: .seconds(5))
        defer { watcher.cancel() }
        let tenantLimits = tenants.tenants.compactMapValues(\.limits)
        var configuration = GatewayConfiguration(
            serviceToken: token, requestsPerMinutePerTenant: requestsPerMinute,
            concurrentRunsPerTenant: concurrentRuns,
            shutdownGracePeriod: .seconds(shutdownGrace))
        configuration.leaseDuration = .seconds(leaseSeconds)
        configuration.workerCapacity = workerCapacity
        configuration.isWorker = role != .api
        configuration.servesAPI = role != .worker
        configuration.maxStreamsPerTenant = maxStreamsPerTenant
        configuration.maxStreams = maxStreams
        configuration.maxStreamLifetime = .seconds(maxStreamSeconds)
        let services = GatewayServices(
            configuration: configuration,
            catalog: CatalogHolder(
                catalog: loadedCatalog,
                loader: CatalogLoader(
                    agentsDirectory: catalog.agentsDirectory, knowledgeDirectory: catalog.knowledgeDirectory,
                    knownTools: ToolRegistry.standardIDs,
                    displayBase: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))),
            tenants: tenants.tenants,
            environment: { principal in
                var environment = base
                if let limits = tenantLimits[principal.tenant] { environment.limits = limits }
                return environment
            },
            store: runStore, secrets: secrets,
            // Every provider an agent will call (its own model, or the default) must have its credential.
            providersReady: { catalog in await registry.readiness(of: Set(catalog.agents.compactMap(\.model))) },
            modelProblem: { await registry.servingProblem($0) },
            requestLimiter: Composition.sharedLimiter(runStore))
        try await Gateway.run(services, host: host, port: port) { bound in
            Console.error("agentctl serve: listening on http://\(host):\(bound)")
        }
    }
}
