import AgentRuntime
import Agents
import Foundation
import Testing
import Tools

/// `mcp_servers` in tenant files, and MCP tool names in agent files.
@Suite("MCP servers in tenant files")
struct MCPTenantFileTests {
    static func decode(_ text: String) -> (TenantDefinition?, [Diagnostic]) {
        TenantCatalog.decode(
            Array(text.utf8), displayPath: "tenants/acme.json", stem: "acme", knownTools: ToolRegistry.standardIDs)
    }

    @Test("a server with a secret header, an allow list and access overrides")
    func parses() throws {
        let (tenant, diagnostics) = Self.decode(
            #"""
            {"id": "acme", "name": "Acme", "approvals": "listed", "tool_deny": ["mcp.crm.delete_account"],
             "mcp_servers": {"crm": {"url": "https://mcp.crm.example/mcp",
               "headers": {"Authorization": "secret:crm/token", "X-Workspace": "acme"},
               "tools": {"allow": ["search_accounts", "update-account"], "access": {"update-account": "admin"}},
               "timeout_seconds": 5, "max_result_bytes": 65536}}}
            """#)
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics.map(\.formatted))")
        let server = try #require(tenant?.mcpServers["crm"])
        #expect(server.url.absoluteString == "https://mcp.crm.example/mcp")
        #expect(server.headers == ["Authorization": .secret("crm/token"), "X-Workspace": .literal("acme")])
        #expect(server.allows(tool: "update-account") && server.allows(tool: "update_account"))
        #expect(!server.allows(tool: "delete_account"))
        #expect(server.access(of: "update-account", readOnlyHint: true) == .admin)
        #expect(server.access(of: "search_accounts", readOnlyHint: true) == .read)
        #expect(server.access(of: "anything", readOnlyHint: nil) == .write)
        #expect(server.timeout == .seconds(5))
        #expect(server.maxResultBytes == 65536)
        #expect(tenant?.toolDeny == ["mcp.crm.delete_account"])
        #expect(ToolID.mcp(server: "crm", tool: "update-Account.v2") == "mcp.crm.update_account_v2")
    }

    @Test("stdio servers, literal credentials and bad URLs are errors that never echo a value")
    func refusals() {
        let (tenant, diagnostics) = Self.decode(
            #"""
            {"id": "acme", "name": "Acme", "mcp_servers": {
              "local": {"command": "/usr/bin/evil", "args": []},
              "leaky": {"url": "https://x.example/mcp", "headers": {"Authorization": "Bearer abc123-literal"}},
              "ftp": {"url": "ftp://x.example/mcp"},
              "Bad-Name": {"url": "https://x.example/mcp"}}}
            """#)
        #expect(tenant == nil)
        let messages = diagnostics.filter { $0.severity == .error }.map(\.message)
        #expect(messages.contains { $0.contains("starts a local process, which a tenant file may not do") })
        #expect(messages.contains { $0.contains("header \"Authorization\" carries a credential") })
        #expect(messages.contains { $0.contains("url must be an http(s) URL") })
        #expect(messages.contains { $0.contains("MCP server name \"Bad-Name\"") })
        #expect(!diagnostics.map(\.formatted).joined().contains("abc123-literal"))
    }

    @Test("an agent naming MCP tools gets a warning, not an error")
    func agentWarning() throws {
        let agent = #"""
            {"id": "clerk", "name": "Clerk", "category": "ops", "role": "r", "goal": "g", "backstory": "b",
             "tools": ["mcp.crm.*", "mcp.crm.search_accounts", "calculator.evaluate"]}
            """#
        let catalog = CatalogValidator(knownTools: ToolRegistry.standardIDs, knowledgeCollections: nil).validate([
            DefinitionSource(
                displayPath: "agents/ops/clerk.json", stem: "clerk", kind: .agent(category: "ops"),
                bytes: Array(agent.utf8))
        ])
        #expect(catalog.diagnostics.filter { $0.severity == .error }.isEmpty, "\(catalog.diagnostics.map(\.formatted))")
        let warnings = catalog.diagnostics.filter { $0.severity == .warning }.map(\.message)
        #expect(warnings.count == 2)
        #expect(warnings.allSatisfy { $0.contains("cannot be checked until the server is reached") })
        #expect(catalog.agent("clerk")?.tools == ["mcp.crm.*", "mcp.crm.search_accounts", "calculator.evaluate"])
    }
}
