import AgentRuntime

/// Deny-by-default gating: a tool is allowed only when the tenant exists,
/// uses the agent, has connected the tool's connector (built-ins need no
/// connection; a tool `mcp.<server>.<tool>` needs the server in the tenant's `mcp_servers`, and the tool in its
/// `allow` list when it has one), has not denied the tool, and one of the caller's roles grants
/// the tool's access level (`tenant_user`: read; `tenant_admin`: read and
/// write; `platform_admin` and `super_admin`: all).
/// The agent's own `tools` list is applied by the engine on top of this.
///
/// Which allowed calls wait for a person's approval follows the tenant's `approvals` policy (see
/// ``requiresApproval(_:agent:principal:)``).
public struct TenantToolPolicy: ToolPolicy {
    private let tenants: [TenantID: TenantDefinition]

    /// Connectors that need no tenant connection.
    public static let builtinConnectors: Set<String> = ["knowledge", "calculator"]

    /// Creates a policy over the tenants.
    public init(tenants: [TenantID: TenantDefinition]) { self.tenants = tenants }

    /// The highest access level `roles` grant.
    public static func access(for roles: Set<Role>) -> ToolAccess? {
        if roles.contains(.superAdmin) || roles.contains(.platformAdmin) { return .admin }
        if roles.contains(.tenantAdmin) { return .write }
        if roles.contains(.tenantUser) { return .read }
        return nil
    }

    /// The decision, with the first reason that denies.
    public func decide(_ tool: ToolSpec, agent: AgentDefinition, principal: Principal) async -> ToolDecision {
        guard let tenant = tenants[principal.tenant] else { return .deny("unknown tenant \(principal.tenant)") }
        guard tenant.allows(agent) else { return .deny("agent \(agent.id) is not enabled for tenant \(tenant.id)") }
        return await decide(tool, principal: principal)
    }

    /// The decision for the caller whatever the agent: tenant connection, role and deny list.
    public func decide(_ tool: ToolSpec, principal: Principal) async -> ToolDecision {
        guard let tenant = tenants[principal.tenant] else { return .deny("unknown tenant \(principal.tenant)") }
        if let server = tool.id.mcpServer {
            guard let definition = tenant.mcpServers[server] else {
                return .deny("MCP server \(server) is not connected for tenant \(tenant.id)")
            }
            guard definition.allows(tool: tool.id.mcpTool ?? "") else {
                return .deny("\(tool.id) is not in tenant \(tenant.id)'s allow list for MCP server \(server)")
            }
        } else {
            let connector = tool.id.connector
            guard Self.builtinConnectors.contains(connector) || tenant.connectors[connector] != nil else {
                return .deny("\(connector) is not connected for tenant \(tenant.id)")
            }
        }
        guard let granted = Self.access(for: principal.roles) else { return .deny("no role grants tool access") }
        guard tool.access <= granted else {
            let roles = principal.roles.map(\.rawValue).sorted().joined(separator: ", ")
            return .deny(
                "\(tool.id) needs \(tool.access.rawValue) access; role \(roles) allows \(granted.rawValue) only")
        }
        guard !tenant.toolDeny.contains(tool.id) else {
            return .deny("\(tool.id) is denied by tenant \(tenant.id)'s policy")
        }
        return .allow
    }
}

extension TenantToolPolicy {
    /// Whether a call waits for approval under the tenant's `approvals` policy:
    /// - `writes` (the default): every tool that writes (access `write` or `admin`) except the built-ins, and every
    ///   tool whose spec asks for approval;
    /// - `listed`: tools whose spec asks for approval, and the tenant's `approval_tools`;
    /// - `none`: nothing waits.
    /// An unknown tenant's calls are refused anyway; for one the spec decides.
    public func requiresApproval(_ tool: ToolSpec, agent: AgentDefinition, principal: Principal) async -> Bool {
        requiresApproval(tool, tenant: principal.tenant)
    }

    /// Whether `tenant`'s calls of `tool` wait for approval, whichever agent makes them (the policy is the tenant's).
    public func requiresApproval(_ tool: ToolSpec, tenant id: TenantID) -> Bool {
        guard let tenant = tenants[id] else { return tool.requiresApproval }
        switch tenant.approvals {
        case .writes:
            return tool.requiresApproval
                || (tool.access != .read && !Self.builtinConnectors.contains(tool.id.connector))
        case .listed: return tool.requiresApproval || tenant.approvalTools.contains(tool.id)
        case .none: return false
        }
    }
}

/// ``ConnectorSettingsSource`` from tenant definitions.
public struct TenantConnectorSettings: ConnectorSettingsSource {
    private let tenants: [TenantID: TenantDefinition]

    /// Creates a source.
    public init(tenants: [TenantID: TenantDefinition]) { self.tenants = tenants }

    /// The tenant's settings for `connector`.
    public func settings(for connector: String, tenant: TenantID) async -> ConnectorSettings? {
        tenants[tenant]?.connectors[connector].map {
            ConnectorSettings(connector: connector, settings: $0.settings, secrets: $0.secrets)
        }
    }
}
