import AgentRuntime

/// A tenant's configuration of one connector: non-secret settings (site URL,
/// shop domain, data centre, ...) and references to its secrets, never values.
public struct ConnectorSettings: Hashable, Sendable {
    /// The connector (`wordpress`, `hubspot`, ...).
    public var connector: String
    /// Non-secret settings by name.
    public var settings: [String: String]
    /// Secret names (`app_password`, `access_token`, ...) to paths in the tenant's secret scope.
    public var secrets: [String: String]

    /// Creates settings.
    public init(connector: String, settings: [String: String] = [:], secrets: [String: String] = [:]) {
        self.connector = connector
        self.settings = settings
        self.secrets = secrets
    }
}

/// The port to tenants' connector settings.
public protocol ConnectorSettingsSource: Sendable {
    /// `connector`'s settings for `tenant`, or nil when the tenant has not enabled it.
    func settings(for connector: String, tenant: TenantID) async -> ConnectorSettings?
}

/// Fixed settings per tenant (tests, single-tenant setups).
public struct StaticConnectorSettings: ConnectorSettingsSource {
    private let byTenant: [TenantID: [String: ConnectorSettings]]

    /// Creates a source.
    public init(_ byTenant: [TenantID: [ConnectorSettings]]) {
        self.byTenant = byTenant.mapValues { Dictionary(uniqueKeysWithValues: $0.map { ($0.connector, $0) }) }
    }

    /// The settings of `connector` for `tenant`.
    public func settings(for connector: String, tenant: TenantID) async -> ConnectorSettings? {
        byTenant[tenant]?[connector]
    }
}
