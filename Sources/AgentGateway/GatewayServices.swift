import AgentRuntime
import Agents
import Foundation
import Hummingbird
import Tools

/// Everything the routes need, built by the composition root (`agentctl serve`) or a test.
public struct GatewayServices: Sendable {
    /// Settings.
    public var configuration: GatewayConfiguration
    /// Agents and crews.
    public var catalog: CatalogHolder
    /// Tenants (reloaded live when their files change; see ``settingsSource``).
    public var tenants: [TenantID: TenantDefinition] {
        get { live.tenants }
        nonmutating set { live.tenants = newValue }
    }
    /// The tenants and settings reload state, shared by every copy of the services.
    let live: LiveSettings
    /// The tenants folder and runtime config, watched with the definitions (nil: not watched).
    public var settingsSource: SettingsSource?
    /// Where reloads and their diagnostics are reported (standard error by default): the one call site of the
    /// definition watcher's messages.
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    /// The engine environment for a caller (tools, policy, models, limits of its tenant).
    public var environment: @Sendable (Principal) -> EngineEnvironment
    /// Runs, events, approvals, audit.
    public var store: any PlatformStore
    /// Secrets (for readiness).
    public var secrets: (any SecretStore)?
    /// Whether every provider the catalog's agents use has its credential (for readiness), given the current catalog.
    public var providersReady: @Sendable (Catalog) async -> (Bool, String)
    /// Why the runtime cannot serve a model (nil: the default model) with the platform's credentials, or nil when it
    /// can: an agent definition naming a model it cannot serve is refused (`PUT /v1/agents/{id}`).
    public var modelProblem: @Sendable (ModelReference?) async -> String?
    /// Counters for `/metrics`.
    public let metrics: GatewayMetrics
    /// Runs: submitted, claimed, carried out and cancelled.
    public let runs: RunManager
    /// Per-tenant request limits (shared by every replica when the store is).
    public let requestLimiter: any RateLimiting
    /// Open event streams, against the per-tenant and per-replica caps.
    public let streams: StreamLimiter
    /// Routes of other front doors added to the router after the API's (the MCP endpoint), behind the same
    /// authentication when their paths are protected (``AuthenticationMiddleware``).
    public var mounts: [@Sendable (Router<GatewayContext>) -> Void] = []
    /// Wakes whoever follows a run when the store signals a change of it.
    let wakeups: RunWakeups
    /// Serialises definition updates.
    let configUpdates = SerialQueue()

    /// Creates the services.
    public init(
        configuration: GatewayConfiguration, catalog: CatalogHolder, tenants: [TenantID: TenantDefinition],
        environment: @escaping @Sendable (Principal) -> EngineEnvironment, store: any PlatformStore,
        secrets: (any SecretStore)?,
        providersReady: @escaping @Sendable (Catalog) async -> (Bool, String) = { _ in (true, "configured") },
        modelProblem: @escaping @Sendable (ModelReference?) async -> String? = { _ in nil },
        requestLimiter: (any RateLimiting)? = nil, keeper: LeaseKeeper? = nil
    ) {
        self.configuration = configuration
        self.catalog = catalog
        self.live = LiveSettings(tenants: tenants)
        self.environment = environment
        self.store = store
        self.secrets = secrets
        self.providersReady = providersReady
        self.modelProblem = modelProblem
        self.metrics = GatewayMetrics()
        self.requestLimiter = requestLimiter ?? RateLimiter(time: configuration.time)
        self.wakeups = RunWakeups(source: store)
        self.streams = StreamLimiter(
            maxPerTenant: configuration.maxStreamsPerTenant, maxTotal: configuration.maxStreams)
        self.runs = RunManager(
            store: store, metrics: metrics, concurrentRunsPerTenant: configuration.concurrentRunsPerTenant,
            time: configuration.time,
            keeper: keeper ?? LeaseKeeper(store: store, leaseDuration: configuration.leaseDuration),
            isWorker: configuration.isWorker, capacity: configuration.workerCapacity, logger: configuration.logger)
    }
}
