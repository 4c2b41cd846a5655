import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// `agentctl tools list --tenant` with an MCP server the operator runs over stdio (agentruntime.json), started by
/// the command itself: the official Python SDK's server.
@Suite("agentctl tools list: MCP servers")
struct MCPToolsListTests {
    static let peer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MCPToolsTests/Resources/peer_server.py")

    @Test("the tenant's MCP tools are listed with their server, effective access and approval; another tenant has none")
    func listsOperatorServer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let python = try await PythonMCPEnvironment.python()
        try FileManager.default.createDirectory(
            at: directory.url.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        try Data(#"{"id": "acme", "name": "Acme", "approvals": "writes"}"#.utf8).write(
            to: directory.url.appendingPathComponent("tenants/acme.json"))
        try Data(#"{"id": "globex", "name": "Globex"}"#.utf8).write(
            to: directory.url.appendingPathComponent("tenants/globex.json"))
        try Data(
            """
            {"mcp_servers": {"files": {"command": "\(python.path)", "args": ["\(Self.peer.path)", "stdio"],
              "tenants": ["acme"], "tools": {"allow": ["lookup_order", "delete_order"]}}}}
            """.utf8
        ).write(to: directory.url.appendingPathComponent("agentruntime.json"))

        let list = try await AgentCtl.run(["tools", "list", "--tenant", "acme", "--json"], in: directory.url)
        #expect(list.status == 0, "\(list.stderr)")
        let items = try JSONParser.value(list.stdout).arrayValue ?? []
        let mcp = items.filter { $0["server"] == "files" }
        #expect(
            Set(
                mcp.compactMap { item in
                    item["id"]?.stringValue.map {
                        "\($0) \(item["access"]?.stringValue ?? "") \(item["requires_approval"] == true)"
                    }
                }) == ["mcp.files.lookup_order read false", "mcp.files.delete_order write true"])

        let other = try await AgentCtl.run(["tools", "list", "--tenant", "globex", "--json"], in: directory.url)
        #expect(other.status == 0, "\(other.stderr)")
        #expect(try JSONParser.value(other.stdout).arrayValue?.contains { $0["server"] != .null } == false)
    }
}
