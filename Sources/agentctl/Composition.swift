import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import MCPTools
import PostgresStore
import Tools

/// The composition root: the one place that picks an adapter for each port. Every command and `serve` get their
/// store, providers, tools, policy, secrets, knowledge and approvals from here.
enum Composition {
    /// The run store at `location` (see ``StoreLocation``): SQLite (the embedded default) or PostgreSQL, whose
    /// schema is brought up to date on opening. Exits with a message when the location or the database cannot be
    /// used.
    static func store(location: String, runtime: RuntimeOptions) async throws -> any PlatformStore {
        let parsed: StoreLocation
        do { parsed = try StoreLocation(parsing: location) } catch {
            Console.error("error: --store: \(error)")
            throw ExitCode(ExitStatus.invalid)
        }
        switch parsed {
        case .sqlite(let path):
            do {
                let store = try SQLiteRunStore(path: path)
                // One machine's store: runs held by this machine's processes that are gone (killed, crashed) are
                // carried on now rather than when their leases run out.
                _ = try await store.expireLeases(ofWorkersGone: LeaseKeeper.isGoneLocalWorker)
                return store
            } catch {
                Console.error("error: \(error)")
                throw ExitCode(ExitStatus.invalid)
            }
        case .postgres(let url):
            let store = PostgresRunStore(url: url, password: try await storePassword(url, runtime: runtime))
            do {
                _ = try await withDeadline(
                    .seconds(20), what: "connecting to \(url.redacted)", onTimeout: { store.shutdown() }
                ) {
                    try await store.migrate()
                }
            } catch {
                store.shutdown()
                Console.error("error: \(error)")
                throw ExitCode(ExitStatus.invalid)
            }
            return store
        }
    }

    /// The run store at `location` with its schema as found, for `agentctl store`: its version, the newest this
    /// binary knows, and a way to bring it up to date.
    static func schema(location: String, runtime: RuntimeOptions) async throws -> StoreSchema {
        let parsed: StoreLocation
        do { parsed = try StoreLocation(parsing: location) } catch {
            Console.error("error: --store: \(error)")
            throw ExitCode(ExitStatus.invalid)
        }
        do {
            switch parsed {
            case .sqlite(let path):
                let store = try SQLiteRunStore(path: path, migrating: false)
                return StoreSchema(
                    version: try await store.schemaVersion(), latest: SQLiteRunStore.latestSchemaVersion,
                    migrate: { try await store.migrate() }, close: {})
            case .postgres(let url):
                let store = PostgresRunStore(url: url, password: try await storePassword(url, runtime: runtime))
                do {
                    let version = try await withDeadline(
                        .seconds(20), what: "connecting to \(url.redacted)", onTimeout: { store.shutdown() }
                    ) {
                        try await store.schemaVersion()
                    }
                    return StoreSchema(
                        version: version, latest: PostgresRunStore.latestSchemaVersion,
                        migrate: { try await store.migrate() }, close: { store.shutdown() })
                } catch {
                    store.shutdown()
                    throw error
                }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.invalid)
        }
    }

    /// A store's schema version as found, for `agentctl store`.
    struct StoreSchema: Sendable {
        /// The version the store is at (0: none).
        let version: Int
        /// The newest version this binary knows.
        let latest: Int
        /// Applies the missing migrations; returns the versions before and after.
        let migrate: @Sendable () async throws -> (from: Int, to: Int)
        /// Releases the store's connections.
        let close: @Sendable () -> Void
    }

    /// The PostgreSQL password, from the URL's secret reference (`env:NAME`, or `secret:path` in the platform
    /// scope of the secret store); nil when the URL names none.
    private static func storePassword(_ url: PostgresStoreURL, runtime: RuntimeOptions) async throws -> String? {
        guard let reference = url.passwordReference else { return nil }
        let value: String?
        switch CredentialReference(parsing: reference) {
        case .environment(let name)?: value = ProcessInfo.processInfo.environment[name]
        case .secret(let path)?: value = try await runtime.secretStore().secret(path, scope: .platform)
        case nil: value = nil
        }
        guard let value, !value.isEmpty else {
            Console.error("error: --store: the password reference \(reference) has no value")
            throw ExitCode(ExitStatus.invalid)
        }
        return value
    }

    /// Runs `body`, failing with a message when it takes longer than `limit` (a database that cannot be reached
    /// leaves the pool waiting for a connection). On the timeout `onTimeout` runs first (closing the pool), so a body
    /// that does not notice cancellation still ends.
    private static func withDeadline<Result: Sendable>(
        _ limit: Duration, what: String, onTimeout: @escaping @Sendable () -> Void,
        _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                onTimeout()
                return nil
            }
            defer { group.cancelAll() }
            guard let result = try await group.next(), let result else {
                throw StoreLocationError(message: "run store: timed out \(what) after \(limit)")
            }
            return result
        }
    }

    /// The engine environment of this process: providers from the runtime config (each tenant's own rate limit),
    /// built-in and connector tools gated by the tenants' policy, secrets, knowledge, and approvals through the
    /// store (a run waits in place, or with `suspendsForApprovals` stops until a decision queues it).
    /// Rate limits shared by every process on `store` (PostgreSQL), or nil for the in-memory limiter (SQLite: one
    /// machine, one `serve`).
    static func sharedLimiter(_ store: any PlatformStore) -> (any RateLimiting)? {
        (store as? PostgresRunStore).map { PostgresRateLimiter(store: $0) }
    }

    /// `base` with the tools of the tenants' MCP servers (`mcp_servers` in their files), reached through the
    /// process's guarded transport (egress rules apply to tenants' URLs), their header secrets read from `secrets`.
    /// One pool of sessions per process.
    static func mcpTools(
        base: any ToolSource, tenants: TenantCatalog, runtime: RuntimeOptions, secrets: any SecretStore
    ) throws -> MCPToolSource {
        let pool = try ProcessAdapters.shared.mcpPool {
            MCPSessionPool(http: try runtime.connectorTransport(), secrets: secrets)
        }
        return MCPToolSource(base: base, tenants: tenants.tenants, pool: pool)
    }

    static func environment(
        runtime: RuntimeOptions, catalog: CatalogOptions, tenants: TenantCatalog, store: (any PlatformStore)?,
        streaming: Bool,
        suspendsForApprovals: Bool = false
    ) async throws -> (
        environment: EngineEnvironment, registry: ProviderRegistry, knowledge: KnowledgeBase,
        connectorTools: ConnectorToolSource
    ) {
        let registry = try runtime.registry(
            tenantRateLimits: tenants.tenants.compactMapValues(\.rateLimit), limiter: store.flatMap(sharedLimiter))
        let tenants = tenants.adding(operatorServers: registry.config.mcpServers)
        let knowledge = await KnowledgeBase.load(root: catalog.knowledgeDirectory)
        for file in await knowledge.skipped { Console.error("warning: knowledge/\(file.path) skipped: \(file.reason)") }
        let client = ConnectorClient(
            transport: try runtime.connectorTransport(), settings: TenantConnectorSettings(tenants: tenants.tenants))
        // One time source for the runs and their approvals (the system's; tests build environments of their own).
        let time = TimeSource.system
        let secrets = try runtime.secretStore()
        // The catalog's connector definitions (connectors/*.json) call through the same client as the Swift ones.
        let connectorTools = ConnectorToolSource(
            base: ToolRegistry.standard(client: client, knowledge: knowledge), client: client,
            definitions: catalog.loadConnectors().definitions)
        var environment = EngineEnvironment(
            models: registry,
            tools: try mcpTools(base: connectorTools, tenants: tenants, runtime: runtime, secrets: secrets),
            policy: TenantToolPolicy(tenants: tenants.tenants),
            secrets: secrets, limits: registry.config.limits, streaming: streaming,
            knowledge: knowledge,
            approvals: store.map {
                StoreApprovalGate(
                    store: $0, expiry: registry.config.approvalExpiry, suspends: suspendsForApprovals, time: time)
            })
        environment.time = time
        environment.spendLedger = store
        environment.usageLedger = store
        environment.audit = store
        environment.uncertainSideEffects = registry.config.uncertainWrites
        environment.tracer = ProcessAdapters.shared.tracer
        environment.traceIncludesContent = registry.config.traceIncludesContent
        return (environment, registry, knowledge, connectorTools)
    }
}
