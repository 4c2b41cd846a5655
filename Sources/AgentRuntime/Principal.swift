/// Who a run acts for: a tenant, a user, and the user's roles.
public struct Principal: Hashable, Sendable, Codable {
    /// The tenant.
    public var tenant: TenantID
    /// The user within the tenant.
    public var user: String
    /// The user's roles.
    public var roles: Set<Role>

    /// Creates a principal.
    public init(tenant: TenantID, user: String, roles: Set<Role>) {
        self.tenant = tenant
        self.user = user
        self.roles = roles
    }

    /// A principal for local development and the CLI.
    public static func local(tenant: TenantID = "local", roles: Set<Role> = [.tenantAdmin]) -> Principal {
        Principal(tenant: tenant, user: "cli", roles: roles)
    }
}

/// Platform roles, from least to most privileged.
public enum Role: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    /// Uses the tenant's agents; read-only tools.
    case tenantUser = "tenant_user"
    /// Manages the tenant; read and write tools.
    case tenantAdmin = "tenant_admin"
    /// Operates the platform; all tools, agent configuration.
    case platformAdmin = "platform_admin"
    /// Everything.
    case superAdmin = "super_admin"

    /// Orders roles by privilege.
    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
