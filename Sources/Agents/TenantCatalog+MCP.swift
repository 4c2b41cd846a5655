import AgentRuntime
import Foundation

extension TenantCatalog {
    /// Fields of one `mcp_servers` entry.
    public static let mcpServerAllowed = ["url", "headers", "tools", "timeout_seconds", "max_result_bytes"]
    /// Fields that start a stdio server: the operator's alone (agentruntime.json), refused in a tenant file.
    static let stdioFields = ["command", "args", "env", "cwd", "transport"]
    /// Header names whose value is a credential: only a `secret:` reference is accepted for them.
    static let credentialHeaders: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token",
    ]
}

extension TenantCatalog {
    /// The catalog with the operator's MCP servers (`mcp_servers` in agentruntime.json) added to the tenants they
    /// serve; a server of a tenant's own file keeps its name (the operator's of that name is not added to it).
    public func adding(operatorServers servers: [String: OperatorMCPServer]) -> TenantCatalog {
        guard !servers.isEmpty else { return self }
        var tenants = self.tenants
        for (id, tenant) in tenants {
            for (name, server) in servers where server.serves(id) && tenant.mcpServers[name] == nil {
                tenants[id]?.mcpServers[name] = server.definition
            }
        }
        return TenantCatalog(tenants: tenants, diagnostics: diagnostics)
    }
}

extension DefinitionReader {
    /// The tenant file's `mcp_servers`: each server's URL (http or https), its headers (credentials as `secret:`
    /// references only), the tools it allows and the access levels that override the tools' annotations.
    /// A stdio server (`command`) is refused: only the operator starts processes.
    mutating func mcpServers(_ fields: Fields) -> [String: MCPServerDefinition] {
        guard let member = fields["mcp_servers"] else { return [:] }
        let pointer = JSONPointer.root.appending("mcp_servers")
        var servers: [String: MCPServerDefinition] = [:]
        for entry in mcpServerEntries(member.value, at: pointer) {
            let entryPointer = pointer.appending(entry.key)
            if case .object(let given) = entry.value.content,
                let stdio = given.first(where: { TenantCatalog.stdioFields.contains($0.key) })
            {
                error(
                    .invalidValue,
                    "MCP server \"\(entry.key)\": \"\(stdio.key)\" starts a local process, which a tenant file may not do; connect a Streamable HTTP server with \"url\" (stdio servers are configured by the operator in agentruntime.json)",
                    at: stdio.keyOffset, entryPointer.appending(stdio.key))
                continue
            }
            guard
                let server = object(
                    entry.value, at: entryPointer, what: "MCP server \"\(entry.key)\"",
                    allowed: TenantCatalog.mcpServerAllowed, required: ["url"])
            else { continue }
            if let parsed = mcpServer(entry.key, server, at: entryPointer) { servers[entry.key] = parsed }
        }
        return servers
    }

    private mutating func mcpServer(_ name: String, _ server: Fields, at pointer: JSONPointer) -> MCPServerDefinition? {
        guard let text = string(server, "url"), let urlMember = server["url"] else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            url.host?.isEmpty == false
        else {
            error(
                .invalidFormat, "MCP server \"\(name)\": url must be an http(s) URL like https://example.com/mcp",
                at: urlMember.value.offset, pointer.appending("url"))
            return nil
        }
        var headers: [String: MCPServerDefinition.HeaderValue] = [:]
        for (header, value) in stringMap(server, "headers") {
            let at = server["headers"]?.value.offset ?? server.offset
            let headerPointer = pointer.appending("headers").appending(header)
            if value.hasPrefix("secret:") {
                let path = String(value.dropFirst("secret:".count))
                guard TenantCatalog.isSecretReference(path) else {
                    error(
                        .invalidFormat,
                        "MCP server \"\(name)\" header \"\(header)\": a secret reference is secret:<path> in the tenant's secret store (like \(name)/token)",
                        at: at, headerPointer)
                    continue
                }
                headers[header] = .secret(path)
            } else if TenantCatalog.credentialHeaders.contains(header.lowercased()) || Redactor().redact(value) != value
            {
                // Never echo the value: it may be a real credential pasted by mistake.
                error(
                    .invalidFormat,
                    "MCP server \"\(name)\" header \"\(header)\" carries a credential: write secret:<path> (a reference into the tenant's secret store), never the value",
                    at: at, headerPointer)
            } else {
                headers[header] = .literal(value)
            }
        }
        var definition = MCPServerDefinition(name: name, url: url, headers: headers)
        mcpServerOptions(&definition, server, at: pointer)
        return definition
    }

    /// What every MCP server entry may set, the tenant's and the operator's: `timeout_seconds`, `max_result_bytes`,
    /// and `tools` (`allow`, `access` overriding the annotations).
    mutating func mcpServerOptions(_ definition: inout MCPServerDefinition, _ server: Fields, at pointer: JSONPointer) {
        let name = definition.name
        if let seconds = number(server, "timeout_seconds", range: 0.1...600) {
            definition.timeout = .milliseconds(Int(seconds * 1000))
        }
        if let bytes = integer(server, "max_result_bytes", range: 1024...(64 << 20)) {
            definition.maxResultBytes = bytes
        }
        if let member = server["tools"],
            let tools = object(
                member.value, at: pointer.appending("tools"), what: "tools of MCP server \"\(name)\"",
                allowed: ["allow", "access"], required: [])
        {
            definition.allow = stringArray(tools, "allow").map { Set($0.map(\.value)) }
            for (tool, level) in stringMap(tools, "access") {
                guard let access = ToolAccess(rawValue: level) else {
                    error(
                        .invalidValue,
                        "MCP server \"\(name)\" tool \"\(tool)\": access \"\(level)\" must be read, write or admin",
                        at: tools["access"]?.value.offset ?? tools.offset,
                        pointer.appending("tools").appending("access").appending(tool))
                    continue
                }
                definition.access[tool] = access
            }
        }
    }

    /// The operator's `mcp_servers` (agentruntime.json): servers run over standard I/O for the tenants named.
    /// `command` (the program), `args`, `env`, `tenants` (ids, or `"*"` for all) and the options every server has.
    mutating func operatorMCPServers(_ node: JSONNode, at pointer: JSONPointer) -> [String: OperatorMCPServer] {
        var servers: [String: OperatorMCPServer] = [:]
        for entry in mcpServerEntries(node, at: pointer) {
            let entryPointer = pointer.appending(entry.key)
            guard
                let server = object(
                    entry.value, at: entryPointer, what: "MCP server \"\(entry.key)\"",
                    allowed: ["command", "args", "env", "tenants", "tools", "timeout_seconds", "max_result_bytes"],
                    required: ["command", "tenants"]),
                let command = string(server, "command"), let tenantList = stringArray(server, "tenants")
            else { continue }
            let names = tenantList.map(\.value)
            var tenants: Set<TenantID>? = Set(names.map { TenantID($0) })
            if names.contains("*") { tenants = nil }
            var definition = MCPServerDefinition.standardIO(
                name: entry.key, command: [command] + (stringArray(server, "args")?.map(\.value) ?? []),
                environment: stringMap(server, "env"))
            mcpServerOptions(&definition, server, at: entryPointer)
            guard !hasErrors(at: entryPointer) else { continue }
            servers[entry.key] = OperatorMCPServer(definition: definition, tenants: tenants)
        }
        return servers
    }

    /// The entries of an `mcp_servers` object whose names are well formed (`mcp.<name>.<tool>` must be a tool id);
    /// the others are reported.
    private mutating func mcpServerEntries(_ node: JSONNode, at pointer: JSONPointer) -> [JSONMember] {
        guard case .object(let entries) = node.content else {
            typeMismatch(node, expected: "an object of MCP servers", at: pointer, what: "\"mcp_servers\"")
            return []
        }
        return entries.filter { entry in
            guard ToolID("mcp.\(entry.key).x").isWellFormed else {
                error(
                    .invalidFormat,
                    "MCP server name \"\(entry.key)\" must be lower-case letters, digits and '_', starting with a letter (its tools are mcp.<name>.<tool>)",
                    at: entry.keyOffset, pointer.appending(entry.key))
                return false
            }
            return true
        }
    }
}
