import AgentRuntime
import Foundation
import MCP

/// One tool of a tenant's MCP server as a runtime ``AgentRuntime/Tool``: `mcp.<server>.<tool>`, with the server's
/// input schema and the access level its annotations give (`readOnlyHint` → read, anything else → write), unless
/// the tenant file says otherwise. An explicitly destructive tool (`destructiveHint`) asks for approval.
public struct MCPTool: AgentRuntime.Tool {
    /// Name, schema, access and approval.
    public let spec: ToolSpec
    /// The tenant whose server this is.
    public let tenant: TenantID
    /// The server.
    public let server: MCPServerDefinition
    /// The tool's name as the server gives it (what `tools/call` sends).
    public let remoteName: String
    private let pool: MCPSessionPool

    /// The runtime's view of `tool` from `server`, reached through `pool`.
    public init(_ tool: MCP.Tool, server: MCPServerDefinition, tenant: TenantID, pool: MCPSessionPool) {
        let overridden = server.access[tool.name] != nil || server.access[MCPNaming.normalized(tool.name)] != nil
        let readOnly = tool.annotations.readOnlyHint
        var parameters = JSONValueBridge.json(tool.inputSchema) ?? .object(JSONObject())
        if case .object(var schema) = parameters, schema["type"] == nil {
            schema["type"] = .string("object")
            parameters = .object(schema)
        }
        let description = [tool.description ?? tool.title ?? tool.name, "(MCP server \(server.name))"]
            .joined(separator: " ")
        self.spec = ToolSpec(
            id: .mcp(server: server.name, tool: tool.name), description: description,
            parameters: JSONSchema(parameters), access: server.access(of: tool.name, readOnlyHint: readOnly),
            requiresApproval: !overridden && readOnly != true && tool.annotations.destructiveHint == true)
        self.tenant = tenant
        self.server = server
        self.remoteName = tool.name
        self.pool = pool
    }

    /// Calls the tool on the server; its content reaches the model as text, its structured content as data.
    public func call(_ arguments: JSONValue, context: ToolContext) async throws -> ToolResult {
        guard context.principal.tenant == tenant else {
            throw ToolError("\(spec.id) belongs to another tenant's MCP server")
        }
        // The header secrets are the run's secrets too: whatever the server echoes is masked before anyone reads it.
        for case .secret(let path) in server.headers.values {
            _ = try? await context.secrets?.secret(path, scope: .tenant(tenant))
        }
        var object: [String: Value] = [:]
        if case .object(let members) = arguments {
            for (key, value) in members { object[key] = JSONValueBridge.value(value) }
        }
        let result: CallTool.Result
        do {
            result = try await pool.call(tenant: tenant, server: server, name: remoteName, arguments: object)
        } catch let failure as MCPToolFailure {
            throw ToolError(failure.description, isTransient: failure.isTransient)
        }
        let converted = MCPResultText.toolResult(result)
        if result.isError == true { throw ToolError("MCP server \(server.name): \(converted.content)") }
        return converted
    }
}

/// MCP tool results as the text a model reads.
enum MCPResultText {
    /// Text parts as they are, resource links and embedded resources described, binary parts named; the structured
    /// content kept as data (and shown as JSON when no text came with it).
    static func toolResult(_ result: CallTool.Result) -> ToolResult {
        var parts: [String] = []
        for item in result.content {
            switch item {
            case .text(let text, _, _): parts.append(text)
            case .image(let data, let mimeType, _, _):
                parts.append("[image \(mimeType), \(data.count * 3 / 4) bytes, not shown]")
            case .audio(let data, let mimeType, _, _):
                parts.append("[audio \(mimeType), \(data.count * 3 / 4) bytes, not shown]")
            case .resource(let resource, _, _):
                parts.append(resource.text.map { "Resource \(resource.uri):\n\($0)" } ?? "[resource \(resource.uri)]")
            case .resourceLink(let uri, let name, let title, let description, let mimeType, _):
                var line = "Resource link: \(title ?? name) <\(uri)>"
                if let mimeType { line += " (\(mimeType))" }
                if let description { line += " — \(description)" }
                parts.append(line)
            }
        }
        let data = result.structuredContent.flatMap(JSONValueBridge.json)
        if parts.isEmpty, let data { parts.append(data.serialized()) }
        return ToolResult(content: parts.joined(separator: "\n"), data: data)
    }
}

/// Between the SDK's `Value` and the runtime's ``JSONValue`` (through their JSON text, so both keep integers).
enum JSONValueBridge {
    static func json(_ value: Value) -> JSONValue? {
        guard let data = try? JSONEncoder().encode(value) else { return nil }
        return try? JSONParser.value([UInt8](data))
    }

    static func value(_ json: JSONValue) -> Value {
        (try? JSONDecoder().decode(Value.self, from: Data(json.serialized().utf8))) ?? .null
    }
}
