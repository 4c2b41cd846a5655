import Foundation

/// An MCP server a tenant connects (`mcp_servers.<name>` in its tenant file), reached over Streamable HTTP; its tools
/// appear as `mcp.<name>.<tool>`.
///
/// Header values are secret references resolved from the secret store when a session is opened, never values
/// written in the file.
public struct MCPServerDefinition: Hashable, Sendable {
    /// One request header's value.
    public enum HeaderValue: Hashable, Sendable {
        /// `secret:<path>`: read from the tenant's scope of the secret store at connect time.
        case secret(String)
        /// A plain value (allowed only for headers that carry no credential).
        case literal(String)
    }

    /// The server's name in the tenant file (lower-case letters, digits, `_`).
    public var name: String
    /// The Streamable HTTP endpoint (`https://…/mcp`).
    public var url: URL
    /// Headers sent with every request (`Authorization: secret:…`).
    public var headers: [String: HeaderValue]
    /// The server's tools the tenant allows, as the server names them or as the runtime does (nil: all).
    public var allow: Set<String>?
    /// Access levels that replace what the tool's annotations say, by tool name.
    public var access: [String: ToolAccess]
    /// How long one request to the server may take.
    public var timeout: Duration
    /// The largest response body accepted from the server, in bytes.
    public var maxResultBytes: Int
    /// For a server the operator runs over standard I/O (`agentruntime.json` only, never a tenant file): the program
    /// and its arguments, started once per tenant that uses it; nil for Streamable HTTP. `url` is then `stdio:<name>`.
    public var command: [String]?
    /// Environment variables given to the started program (beside `PATH` and `HOME`).
    public var environment: [String: String] = [:]

    /// The default request timeout.
    public static let defaultTimeout: Duration = .seconds(30)
    /// The default cap on a response body.
    public static let defaultMaxResultBytes = 1 << 20

    /// Creates a server definition.
    public init(
        name: String, url: URL, headers: [String: HeaderValue] = [:], allow: Set<String>? = nil,
        access: [String: ToolAccess] = [:], timeout: Duration = Self.defaultTimeout,
        maxResultBytes: Int = Self.defaultMaxResultBytes
    ) {
        self.name = name
        self.url = url
        self.headers = headers
        self.allow = allow
        self.access = access
        self.timeout = timeout
        self.maxResultBytes = maxResultBytes
    }

    /// A server the operator runs over standard I/O: `command` (a program and its arguments) started per tenant.
    public static func standardIO(
        name: String, command: [String], environment: [String: String] = [:], allow: Set<String>? = nil,
        access: [String: ToolAccess] = [:], timeout: Duration = Self.defaultTimeout,
        maxResultBytes: Int = Self.defaultMaxResultBytes
    ) -> MCPServerDefinition {
        var server = MCPServerDefinition(
            name: name, url: URL(string: "stdio:\(name)") ?? URL(fileURLWithPath: "/"), allow: allow, access: access,
            timeout: timeout,
            maxResultBytes: maxResultBytes)
        server.command = command
        server.environment = environment
        return server
    }

    /// Whether the tenant allows the server's tool `tool` (its name as the server gives it, or normalised).
    public func allows(tool: String) -> Bool {
        guard let allow else { return true }
        let normalized = MCPNaming.normalized(tool)
        return allow.contains(tool) || allow.contains { MCPNaming.normalized($0) == normalized }
    }

    /// The access level of `tool`: the tenant's override, else from its annotations (`readOnlyHint` → read, anything
    /// else, unannotated included, → write).
    public func access(of tool: String, readOnlyHint: Bool?) -> ToolAccess {
        let normalized = MCPNaming.normalized(tool)
        if let given = access[tool] ?? access.first(where: { MCPNaming.normalized($0.key) == normalized })?.value {
            return given
        }
        return readOnlyHint == true ? .read : .write
    }
}

/// An MCP server the operator runs for some tenants (`mcp_servers` in `agentruntime.json`), over standard I/O: one
/// process per tenant that uses it, so tenants never share a server's state. A tenant not named has none of its tools.
public struct OperatorMCPServer: Hashable, Sendable {
    /// The server (its `command` set).
    public var definition: MCPServerDefinition
    /// The tenants that get it; nil for every tenant (`"tenants": ["*"]`).
    public var tenants: Set<TenantID>?

    /// Creates an operator's server.
    public init(definition: MCPServerDefinition, tenants: Set<TenantID>?) {
        self.definition = definition
        self.tenants = tenants
    }

    /// Whether `tenant` gets the server.
    public func serves(_ tenant: TenantID) -> Bool { tenants?.contains(tenant) ?? true }
}
