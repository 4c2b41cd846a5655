/// A tenant as defined in `tenants/<id>.json`: which connectors it has enabled
/// (with non-secret settings and secret references), what it denies, which
/// agents it may use, and its limits.
public struct TenantDefinition: Hashable, Sendable {
    /// One enabled connector.
    public struct Connector: Hashable, Sendable {
        /// Non-secret settings (site URL, shop domain, data centre, ...).
        public var settings: [String: String]
        /// Secret names to paths in the tenant's secret scope (never values).
        public var secrets: [String: String]

        /// Creates a connector entry.
        public init(settings: [String: String] = [:], secrets: [String: String] = [:]) {
            self.settings = settings
            self.secrets = secrets
        }
    }

    /// The tenant id; equals the file name.
    public var id: TenantID
    /// Display name.
    public var name: String
    /// Enabled connectors by name.
    public var connectors: [String: Connector]
    /// Tools this tenant never uses, whatever the role.
    public var toolDeny: Set<ToolID>
    /// Agents the tenant may use; nil (with no categories either) means all.
    public var allowedAgents: Set<AgentID>?
    /// Agent categories the tenant may use.
    public var allowedCategories: Set<String>?
    /// Per-run limits for this tenant's runs (replacing the runtime's).
    public var limits: RunLimits?
    /// The tenant's rate limit on model calls.
    public var rateLimit: RateLimit?
    /// Which tool calls wait for a person's approval (`approvals` in the tenant file; `writes` by default).
    public var approvals: ApprovalPolicy = .writes
    /// Tools that need approval under the `listed` policy besides those whose definition asks for it
    /// (`approval_tools`).
    public var approvalTools: Set<ToolID> = []
    /// Roles that may decide this tenant's approvals (`approver_roles`; `tenant_admin` by default). Platform roles
    /// always may.
    public var approverRoles: Set<Role> = [.tenantAdmin]
    /// The tenant's spend caps over calendar days and months (UTC), across all its runs.
    public var spendCaps = SpendCaps()
    /// The tenant's MCP servers by name (`mcp_servers`): their tools are `mcp.<name>.<tool>`.
    public var mcpServers: [String: MCPServerDefinition] = [:]

    /// Creates a tenant.
    public init(
        id: TenantID, name: String, connectors: [String: Connector] = [:], toolDeny: Set<ToolID> = [],
        allowedAgents: Set<AgentID>? = nil,
        allowedCategories: Set<String>? = nil, limits: RunLimits? = nil, rateLimit: RateLimit? = nil
    ) {
        self.id = id
        self.name = name
        self.connectors = connectors
        self.toolDeny = toolDeny
        self.allowedAgents = allowedAgents
        self.allowedCategories = allowedCategories
        self.limits = limits
        self.rateLimit = rateLimit
    }

    /// Whether `roles` may decide this tenant's approvals: one of ``approverRoles``, or a platform role.
    public func mayApprove(_ roles: Set<Role>) -> Bool {
        !roles.isDisjoint(with: approverRoles) || roles.contains(.platformAdmin) || roles.contains(.superAdmin)
    }

    /// Whether the tenant may use `agent`.
    public func allows(_ agent: AgentDefinition) -> Bool {
        if allowedAgents == nil, allowedCategories == nil { return true }
        return allowedAgents?.contains(agent.id) == true || allowedCategories?.contains(agent.category) == true
    }
}

/// Which tool calls of a tenant wait for a person's approval before they run.
public enum ApprovalPolicy: String, Hashable, Sendable, CaseIterable {
    /// Every tool that writes (access `write` or `admin`), and every tool whose definition asks for approval.
    case writes
    /// Only tools whose definition asks for approval, and those the tenant lists in `approval_tools`.
    case listed
    /// No tool waits for approval (the tenant takes the responsibility).
    case none
}

/// A tenant's caps on what its model calls cost, over a calendar day and month (UTC), across all its runs.
public struct SpendCaps: Hashable, Sendable {
    /// US dollars per day (`limits.max_cost_usd_per_day`); nil: no cap.
    public var perDayUSD: Double?
    /// US dollars per month (`limits.max_cost_usd_per_month`); nil: no cap.
    public var perMonthUSD: Double?

    /// Creates caps.
    public init(perDayUSD: Double? = nil, perMonthUSD: Double? = nil) {
        self.perDayUSD = perDayUSD
        self.perMonthUSD = perMonthUSD
    }
}
