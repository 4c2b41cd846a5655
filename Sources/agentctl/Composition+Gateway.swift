import AgentGateway
import AgentRuntime
import Agents
import Foundation
import Tools

extension Composition {
    /// The gateway's services over this process's catalog, tenants, store and engine environment (each tenant's
    /// limits and spend caps): what `serve` serves over HTTP and `mcp` over standard input and output. With
    /// `suspendsForApprovals`, a run that needs a decision stops and holds nothing while it waits (a decision queues
    /// it); otherwise it waits in place. `model` forces one model for every agent. The knowledge base is returned to
    /// be watched for changes.
    static func gatewayServices(
        configuration: GatewayConfiguration, catalog: CatalogOptions, runtime: RuntimeOptions, storeLocation: String,
        suspendsForApprovals: Bool, model: ModelReference? = nil
    ) async throws -> (services: GatewayServices, knowledge: KnowledgeBase) {
        let loadedCatalog = try catalog.loadCatalog()
        if loadedCatalog.errorCount > 0 {
            Console.error("warning: \(loadedCatalog.errorCount) definition error(s); run `agentctl validate`")
        }
        let tenants = catalog.loadTenants()
        let runStore = try await store(location: storeLocation, runtime: runtime)
        let (configured, registry, knowledge, connectorTools) = try await environment(
            runtime: runtime, catalog: catalog, tenants: tenants, store: runStore, streaming: true,
            suspendsForApprovals: suspendsForApprovals)
        var base = configured
        if let model { base.models = OverridingModelResolver(base: registry, reference: model) }
        let servedTenants = tenants.adding(operatorServers: registry.config.mcpServers).tenants
        // The tenants' policies, limits and spend caps, replaced when their files change (see `settingsSource`).
        let live = TenantsBox(servedTenants)
        let environment = base
        var services = GatewayServices(
            configuration: configuration,
            catalog: CatalogHolder(
                catalog: loadedCatalog,
                loader: catalog.catalogLoader(),
                // A reload (PUT /v1/agents, the file watcher) also brings the connector definitions' tools up to date.
                onReload: { connectorTools.update($0.connectors.definitions) }),
            tenants: servedTenants,
            environment: { principal in
                var environment = environment
                let tenants = live.tenants
                environment.policy = TenantToolPolicy(tenants: tenants)
                if let limits = tenants[principal.tenant]?.limits { environment.limits = limits }
                environment.spendCaps = tenants[principal.tenant]?.spendCaps ?? SpendCaps()
                return environment
            },
            store: runStore, secrets: try runtime.secretStore(),
            // Every provider an agent will call (its own model, or the default) must have its credential.
            providersReady: { catalog in await registry.readiness(of: Set(catalog.agents.compactMap(\.model))) },
            modelProblem: { await registry.servingProblem($0) },
            requestLimiter: sharedLimiter(runStore))
        services.settingsSource = settingsSource(
            catalog: catalog, runtime: runtime, started: servedTenants, operatorServers: registry.config.mcpServers
        ) { tenants in live.tenants = tenants }
        await services.primeSettings()
        return (services, knowledge)
    }

    /// The tenants folder and the runtime config, as `serve` watches them. Tenants reload live: who may call, the
    /// tool policy and approvals, limits and spend caps (`apply`). What is read once at start is reported as needing a
    /// restart when it changes: a tenant's connectors, MCP servers and rate limit, and any setting of
    /// `agentruntime.json` (providers, models, prices, the store, auth).
    static func settingsSource(
        catalog: CatalogOptions, runtime: RuntimeOptions, started: [TenantID: TenantDefinition],
        operatorServers: [String: OperatorMCPServer], apply: @escaping @Sendable ([TenantID: TenantDefinition]) -> Void
    ) -> SettingsSource {
        let configFile = runtime.configFile
        let configDisplay = runtime.config ?? RuntimeConfigLoader.fileName
        let startedConfig = try? String(contentsOf: configFile, encoding: .utf8)
        return SettingsSource(paths: [catalog.tenantsDirectory, configFile]) {
            let loaded = catalog.loadTenants(quiet: true)
            let tenants = loaded.adding(operatorServers: operatorServers).tenants
            var files: [String: String] = [:]
            let base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path + "/"
            let listed =
                (try? FileManager.default.contentsOfDirectory(
                    atPath: catalog.tenantsDirectory.resolvingSymlinksInPath().path)) ?? []
            for name in listed where name.hasSuffix(".json") && !name.hasPrefix(".") {
                let url = catalog.tenantsDirectory.appendingPathComponent(name)
                let path = url.path.hasPrefix(base) ? String(url.path.dropFirst(base.count)) : url.path
                files[path] = try? String(contentsOf: url, encoding: .utf8)
            }
            var errors = loaded.diagnostics.filter { $0.severity == .error }
            let configText = try? String(contentsOf: configFile, encoding: .utf8)
            if let configText {
                files[configDisplay] = configText
                errors += RuntimeConfigLoader.decode(
                    Array(configText.utf8), displayPath: configDisplay,
                    base: RuntimeConfig.fromEnvironment(ProcessInfo.processInfo.environment)
                ).diagnostics.filter { $0.severity == .error }
            }
            var restart: [String] = []
            if configText != startedConfig {
                func object(_ text: String?) -> JSONObject {
                    if case .object(let members)? = text.flatMap({ try? JSONParser.value(Array($0.utf8)) }) {
                        return members
                    }
                    return JSONObject()
                }
                let before = object(startedConfig)
                let after = object(configText)
                for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
                    restart.append("\(configDisplay): \(key)")
                }
            }
            for (id, tenant) in tenants.sorted(by: { $0.key < $1.key }) {
                let old = started[id]
                if old?.connectors != tenant.connectors { restart.append("tenant \(id): connectors") }
                if old?.mcpServers != tenant.mcpServers { restart.append("tenant \(id): mcp_servers") }
                if old?.rateLimit != tenant.rateLimit { restart.append("tenant \(id): rate_limit") }
            }
            return SettingsLoad(
                files: files, tenants: errors.isEmpty ? tenants : nil, errors: errors, restartRequired: restart,
                apply: { apply(tenants) })
        }
    }
}

/// The tenants the engine environment of `serve` reads, replaced when their files change.
final class TenantsBox: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var value: [TenantID: TenantDefinition]

    init(_ tenants: [TenantID: TenantDefinition]) { value = tenants }

    var tenants: [TenantID: TenantDefinition] {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
