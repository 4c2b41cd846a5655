import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Tools

/// The composition root: the one place that picks an adapter for each port. Every command and `serve` get their
/// store, providers, tools, policy, secrets, knowledge and approvals from here.
enum Composition {
    /// The run store at `path` (SQLite; the embedded default), its schema brought up to date. A store whose schema
    /// is newer than this binary knows is refused: the message says so, and the command exits 1.
    static func store(path: String) throws -> any PlatformStore {
        do { return try SQLiteRunStore(path: path) } catch {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.invalid)
        }
    }

    /// The run store at `path` with its schema as found, for `agentctl store`: its version, and the newest this
    /// binary knows.
    static func unmigratedStore(path: String) async throws -> (store: any PlatformStore, version: Int, latest: Int) {
        do {
            let store = try SQLiteRunStore(path: path, migrating: false)
            return (store, try await store.schemaVersion(), SQLiteRunStore.latestSchemaVersion)
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.invalid)
        }
    }

    /// The engine environment of this process: providers from the runtime config (each tenant's own rate limit),
    /// built-in and connector tools gated by the tenants' policy, secrets, knowledge, and approvals through the
    /// store (a run waits in place, or with `suspendsForApprovals` stops until a decision queues it).
    static func environment(
        runtime: RuntimeOptions, catalog: CatalogOptions, tenants: TenantCatalog, store: (any PlatformStore)?,
        streaming: Bool,
        suspendsForApprovals: Bool = false
    ) async throws -> (environment: EngineEnvironment, registry: ProviderRegistry, knowledge: KnowledgeBase) {
        let registry = try runtime.registry(tenantRateLimits: tenants.tenants.compactMapValues(\.rateLimit))
        let knowledge = await KnowledgeBase.load(root: catalog.knowledgeDirectory)
        for file in await knowledge.skipped { Console.error("warning: knowledge/\(file.path) skipped: \(file.reason)") }
        let client = ConnectorClient(
            transport: try runtime.transport(), settings: TenantConnectorSettings(tenants: tenants.tenants))
        var environment = EngineEnvironment(
            models: registry, tools: ToolRegistry.standard(client: client, knowledge: knowledge),
            policy: TenantToolPolicy(tenants: tenants.tenants),
            secrets: try runtime.secretStore(), limits: registry.config.limits, streaming: streaming,
            knowledge: knowledge,
            approvals: store.map {
                StoreApprovalGate(store: $0, expiry: registry.config.approvalExpiry, suspends: suspendsForApprovals)
            })
        environment.uncertainSideEffects = registry.config.uncertainWrites
        return (environment, registry, knowledge)
    }
}
