import AgentRuntime
import Agents
import Foundation
import Tools

/// Limits and settings of the HTTP service.
public struct GatewayConfiguration: Sendable {
    /// The service token callers must present (`Authorization: Bearer …`); nil only in insecure development mode.
    public var serviceToken: String?
    /// Requests per minute per tenant.
    public var requestsPerMinutePerTenant: Int
    /// Runs in flight per tenant.
    public var concurrentRunsPerTenant: Int
    /// Seconds between SSE heartbeats while a stream is idle.
    public var heartbeatInterval: Duration
    /// How often an event stream looks for new events.
    public var eventPollInterval: Duration
    /// How long a shutdown lets running runs finish before cancelling them.
    public var shutdownGracePeriod: Duration
    /// How often queued runs (an approval decided elsewhere) and expired approvals are looked for.
    public var resumeInterval: Duration = .seconds(2)
    /// Where the gateway reads time: per-tenant request limits and approval expiry.
    public var time: TimeSource = .system

    /// Creates a configuration.
    public init(
        serviceToken: String?, requestsPerMinutePerTenant: Int = 600, concurrentRunsPerTenant: Int = 50,
        heartbeatInterval: Duration = .seconds(15), eventPollInterval: Duration = .milliseconds(100),
        shutdownGracePeriod: Duration = .seconds(30)
    ) {
        self.serviceToken = serviceToken
        self.requestsPerMinutePerTenant = requestsPerMinutePerTenant
        self.concurrentRunsPerTenant = concurrentRunsPerTenant
        self.heartbeatInterval = heartbeatInterval
        self.eventPollInterval = eventPollInterval
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}

/// The current catalog; replaced atomically when an admin updates an agent (running runs keep theirs).
public actor CatalogHolder {
    /// The catalog new runs use.
    public private(set) var catalog: Catalog
    private let loader: CatalogLoader

    /// Creates a holder.
    public init(catalog: Catalog, loader: CatalogLoader) {
        self.catalog = catalog
        self.loader = loader
    }

    /// Reloads from disk (after a definition was written).
    @discardableResult
    public func reload() throws -> Catalog {
        catalog = try loader.load()
        return catalog
    }

    /// The agents directory.
    public nonisolated var agentsDirectory: URL { loader.agentsDirectory }
    /// The loader (for validation of a proposed file against the rest of the catalog).
    public nonisolated var catalogLoader: CatalogLoader { loader }
}

/// Everything the routes need, built by the composition root (`agentctl serve`) or a test.
public struct GatewayServices: Sendable {
    /// Settings.
    public var configuration: GatewayConfiguration
    /// Agents and crews.
    public var catalog: CatalogHolder
    /// Tenants.
    public var tenants: [TenantID: TenantDefinition]
    /// The engine environment for a caller (tools, policy, models, limits of its tenant).
    public var environment: @Sendable (Principal) -> EngineEnvironment
    /// Runs, events, approvals, audit.
    public var store: any PlatformStore
    /// Secrets (for readiness).
    public var secrets: (any SecretStore)?
    /// Whether every provider the catalog's agents use has its credential (for readiness), given the current catalog.
    public var providersReady: @Sendable (Catalog) async -> (Bool, String)
    /// Counters for `/metrics`.
    public let metrics: GatewayMetrics
    /// Runs in flight.
    public let runs: RunManager
    /// Serialises definition updates.
    let configUpdates = SerialQueue()

    /// Creates the services.
    public init(
        configuration: GatewayConfiguration, catalog: CatalogHolder, tenants: [TenantID: TenantDefinition],
        environment: @escaping @Sendable (Principal) -> EngineEnvironment, store: any PlatformStore,
        secrets: (any SecretStore)?,
        providersReady: @escaping @Sendable (Catalog) async -> (Bool, String) = { _ in (true, "configured") }
    ) {
        self.configuration = configuration
        self.catalog = catalog
        self.tenants = tenants
        self.environment = environment
        self.store = store
        self.secrets = secrets
        self.providersReady = providersReady
        self.metrics = GatewayMetrics()
        self.runs = RunManager(
            store: store, metrics: metrics, concurrentRunsPerTenant: configuration.concurrentRunsPerTenant,
            time: configuration.time)
    }
}

/// Runs async operations one at a time, in arrival order.
actor SerialQueue {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}
