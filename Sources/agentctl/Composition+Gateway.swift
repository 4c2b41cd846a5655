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
        let tenantLimits = tenants.tenants.compactMapValues(\.limits)
        let spendCaps = tenants.tenants.mapValues(\.spendCaps)
        let environment = base
        let services = GatewayServices(
            configuration: configuration,
            catalog: CatalogHolder(
                catalog: loadedCatalog,
                loader: catalog.catalogLoader(),
                // A reload (PUT /v1/agents, the file watcher) also brings the connector definitions' tools up to date.
                onReload: { connectorTools.update($0.connectors.definitions) }),
            tenants: tenants.adding(operatorServers: registry.config.mcpServers).tenants,
            environment: { principal in
                var environment = environment
                if let limits = tenantLimits[principal.tenant] { environment.limits = limits }
                environment.spendCaps = spendCaps[principal.tenant] ?? SpendCaps()
                return environment
            },
            store: runStore, secrets: try runtime.secretStore(),
            // Every provider an agent will call (its own model, or the default) must have its credential.
            providersReady: { catalog in await registry.readiness(of: Set(catalog.agents.compactMap(\.model))) },
            modelProblem: { await registry.servingProblem($0) },
            requestLimiter: sharedLimiter(runStore))
        return (services, knowledge)
    }
}
