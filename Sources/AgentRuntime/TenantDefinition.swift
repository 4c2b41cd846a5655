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

    /// Whether the tenant may use `agent`.
    public func allows(_ agent: AgentDefinition) -> Bool {
        if allowedAgents == nil, allowedCategories == nil { return true }
        return allowedAgents?.contains(agent.id) == true || allowedCategories?.contains(agent.category) == true
    }
}
