import AgentRuntime
import Foundation
import MCP

/// The engine's tools: those of `base` (built-ins and connectors), and for each tenant the tools of the MCP servers
/// its tenant file connects, `mcp.<server>.<tool>`, listed by the server when first asked for (and again when it says
/// its list changed).
///
/// A server that cannot be reached offers the tools it listed last (whose calls then fail with a clear tool error),
/// or none when it was never reached: the run goes on either way. A tool whose model-visible name
/// (`mcp-<server>-<tool>`) would be longer than providers accept, or whose name clashes with another after
/// normalisation, is not offered.
public struct MCPToolSource: ToolSource {
    /// Built-ins and connectors.
    public let base: any ToolSource
    /// Tenants by id (their `mcp_servers`).
    public let tenants: [TenantID: TenantDefinition]
    /// The sessions.
    public let pool: MCPSessionPool

    /// A source adding the tenants' MCP servers to `base`, reached through `pool`.
    public init(base: any ToolSource, tenants: [TenantID: TenantDefinition], pool: MCPSessionPool) {
        self.base = base
        self.tenants = tenants
        self.pool = pool
    }

    /// The tool of `base` with `id` (MCP tools are per tenant: see ``tools(for:principal:)``).
    public func tool(_ id: ToolID) -> (any AgentRuntime.Tool)? { base.tool(id) }

    /// For `mcp.<server>.<tool>` or `mcp.<server>.*`: the matching tools of the caller's tenant's server that the
    /// tenant allows; otherwise what `base` has.
    public func tools(for entry: ToolID, principal: Principal) async -> [any AgentRuntime.Tool] {
        guard let serverName = entry.mcpServer else { return await base.tools(for: entry, principal: principal) }
        guard let server = tenants[principal.tenant]?.mcpServers[serverName] else { return [] }
        return await listing(server, tenant: principal.tenant).tools.filter { $0.spec.id.matches(entry) }
    }

    /// Every tool `tenant`'s server lists that the tenant allows, and what went wrong reaching it (nil when it
    /// answered).
    public func listing(
        _ server: MCPServerDefinition, tenant: TenantID
    ) async -> (
        tools: [MCPTool], problem: String?
    ) {
        let listed: [MCP.Tool]
        var problem: String?
        do {
            listed = try await pool.tools(tenant: tenant, server: server)
        } catch {
            problem = (error as? MCPToolFailure)?.description ?? "MCP server \(server.name): \(error)"
            listed = await pool.cachedTools(tenant: tenant, server: server.name) ?? []
        }
        var seen: Set<ToolID> = []
        var tools: [MCPTool] = []
        for remote in listed where server.allows(tool: remote.name) {
            let tool = MCPTool(remote, server: server, tenant: tenant, pool: pool)
            guard ToolNaming.modelName(tool.spec.id).count <= MCPNaming.maxModelNameLength,
                seen.insert(tool.spec.id).inserted
            else { continue }
            tools.append(tool)
        }
        return (tools, problem)
    }
}
