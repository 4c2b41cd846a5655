import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import MCPTools
import Testing
import Tools

/// MCP servers the operator runs over standard I/O (`mcp_servers` in agentruntime.json), against the official
/// Python SDK's server started as a process per tenant session.
@Suite("MCP servers the operator runs over stdio", .serialized)
struct MCPOperatorServerTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Resources/peer_server.py")

    /// agentruntime.json with the peer as `files`, for acme only, with `PEER_LOG` passed in `env`.
    static func config(python: URL, log: URL) throws -> RuntimeConfig {
        let text = """
            {"mcp_servers": {"files": {"command": "\(python.path)", "args": ["\(script.path)", "stdio"],
              "env": {"PEER_LOG": "\(log.path)"}, "tenants": ["acme"], "timeout_seconds": 30,
              "tools": {"allow": ["lookup_order", "delete_order"]}}}}
            """
        let (config, diagnostics) = RuntimeConfigLoader.decode(
            Array(text.utf8), displayPath: "agentruntime.json", base: RuntimeConfig.fromEnvironment([:]))
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.formatted))")
        return config
    }

    @Test("the operator's stdio server serves the tenants it names, a process per tenant, its env passed in")
    func servesNamedTenants() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = directory.url.appendingPathComponent("peer.log")
        let config = try Self.config(python: try await PythonMCPEnvironment.python(), log: log)
        let server = try #require(config.mcpServers["files"])
        #expect(server.tenants == ["acme"])
        #expect(server.definition.command?.suffix(2) == [Self.script.path, "stdio"])

        var acme = TenantDefinition(id: "acme", name: "Acme")
        acme.approvals = ApprovalPolicy.none
        let catalog = TenantCatalog(
            tenants: ["acme": acme, "globex": TenantDefinition(id: "globex", name: "Globex")], diagnostics: []
        ).adding(operatorServers: config.mcpServers)
        #expect(catalog.tenants["acme"]?.mcpServers["files"]?.command != nil)
        #expect(catalog.tenants["globex"]?.mcpServers.isEmpty == true)

        let pool = MCPSessionPool(http: URLSessionTransport(), secrets: nil)
        defer { Task { await pool.shutdown() } }
        let source = MCPToolSource(base: ToolRegistry([]), tenants: catalog.tenants, pool: pool)
        let acmeTools = await source.tools(
            for: "mcp.files.*", principal: Principal(tenant: "acme", user: "u", roles: [.tenantAdmin]))
        #expect(Set(acmeTools.map(\.spec.id)) == ["mcp.files.lookup_order", "mcp.files.delete_order"])
        #expect(
            await source.tools(
                for: "mcp.files.*", principal: Principal(tenant: "globex", user: "u", roles: [.tenantAdmin])
            )
            .isEmpty)

        let agent = AgentDefinition(
            id: "clerk", name: "Clerk", category: "ops", role: "Clerk", goal: "g", backstory: "b",
            tools: ["mcp.files.*"])
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.calls([
                ("mcp-files-lookup_order", #"{"order_id":"7"}"#), ("mcp-files-delete_order", #"{"order_id":"7"}"#),
            ]),
            ScriptedChatModel.text("done"),
        ])
        var environment = EngineEnvironment(
            models: ScriptedModelResolver(model), tools: source, policy: TenantToolPolicy(tenants: catalog.tenants),
            streaming: false)
        environment.limits.maxToolMistakesPerTask = 10
        let crew = CrewDefinition(
            id: "c", name: "C", process: .sequential, agents: ["clerk"],
            tasks: [CrewTask(id: "t", description: "d", expectedOutput: "e", agent: "clerk")])
        let result = try await CrewRunner(environment: environment).run(
            crew, inputs: [:], principal: Principal(tenant: "acme", user: "u", roles: [.tenantAdmin]),
            agents: { $0 == agent.id ? agent : nil }, runID: "r1", sink: RecordingEventSink())
        #expect(result.status == .succeeded)
        let results = model.requests.last?.messages.compactMap { message -> String? in
            if case .tool(_, _, let content, _) = message { return content }
            return nil
        }
        #expect(results == ["order 7: 2 items, shipped", "order 7 deleted"])
        #expect(try String(contentsOf: log, encoding: .utf8) == "7\n", "the server got PEER_LOG from env")
    }

    @Test("ending the sessions stops their processes; a later call starts the server again")
    func restartsAfterExit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try Self.config(
            python: try await PythonMCPEnvironment.python(), log: directory.url.appendingPathComponent("peer.log"))
        let server = try #require(config.mcpServers["files"]?.definition)
        let pool = MCPSessionPool(http: URLSessionTransport(), secrets: nil)
        defer { Task { await pool.shutdown() } }
        let first = try await pool.call(
            tenant: "acme", server: server, name: "lookup_order", arguments: ["order_id": "1"])
        #expect(first.isError != true)
        await pool.shutdown()
        let second = try await pool.call(
            tenant: "acme", server: server, name: "lookup_order", arguments: ["order_id": "2"])
        #expect(second.isError != true)
    }

    @Test("an operator's server names its tenants and its program; mistakes are located")
    func diagnostics() {
        let text = """
            {"mcp_servers": {"files": {"command": "mcp-files"}, "Bad Name": {"command": "x", "tenants": ["*"]},
              "all": {"command": "mcp-all", "tenants": ["*"], "url": "https://x.example/mcp"}}}
            """
        let (config, diagnostics) = RuntimeConfigLoader.decode(
            Array(text.utf8), displayPath: "agentruntime.json", base: RuntimeConfig.fromEnvironment([:]))
        #expect(
            Set(diagnostics.map(\.pointer)) == [
                "/mcp_servers/files/tenants", "/mcp_servers/Bad Name", "/mcp_servers/all/url",
            ])
        #expect(diagnostics.allSatisfy { $0.severity == .error })
        #expect(config.mcpServers.isEmpty)
    }
}
