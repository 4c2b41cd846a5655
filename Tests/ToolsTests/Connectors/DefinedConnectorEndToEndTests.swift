import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import NIOTransport
import Testing
import Tools

/// A connector added by writing a file (no Swift): loaded with the catalog, enabled by a tenant file, listed by an
/// agent, and called by that agent's model against a loopback server playing the service.
@Suite("Connector definitions end to end")
struct DefinedConnectorEndToEndTests {
    static let connector = #"""
        {
          "id": "stockroom",
          "name": "Stockroom",
          "description": "A warehouse's stock API.",
          "base_url": "https://{account}.stockroom.example/api/v2",
          "settings": {"account": {"description": "Account subdomain", "pattern": "^[a-z0-9-]+$"}},
          "allowed_hosts": ["*.stockroom.example"],
          "secrets": {"api_key": {"description": "API key"}},
          "auth": {"type": "header", "name": "X-Api-Key", "value": "{secrets.api_key}"},
          "operations": [
            {
              "id": "get_item",
              "description": "Stock level of one item by SKU.",
              "access": "read",
              "method": "GET",
              "path": "/items/{sku}",
              "parameters": {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]},
              "response": {"select": "item", "fields": ["sku", "on_hand"]}
            }
          ]
        }
        """#

    static let agent = #"""
        {"id": "stock-checker", "name": "Stock checker", "category": "operations", "role": "Stock clerk",
         "goal": "Answer stock questions", "backstory": "Knows the warehouse.", "tools": ["stockroom.get_item"]}
        """#

    /// A catalog directory with the connector, the agent, and the tenants `acme` (connected to `server`) and
    /// `globex` (not connected).
    static func catalog(server: URL, in root: URL) throws {
        let files = FileManager.default
        for folder in ["connectors", "agents/operations", "tenants"] {
            try files.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try connector.write(
            to: root.appendingPathComponent("connectors/stockroom.json"), atomically: true, encoding: .utf8)
        try agent.write(
            to: root.appendingPathComponent("agents/operations/stock-checker.json"), atomically: true, encoding: .utf8)
        try #"""
        {"id": "acme", "name": "Acme", "connectors": {"stockroom": {"settings": {"account": "acme", "base_url": "\#(server.absoluteString)"}, "secrets": {"api_key": "stockroom/api_key"}}}}
        """#.write(to: root.appendingPathComponent("tenants/acme.json"), atomically: true, encoding: .utf8)
        try #"{"id": "globex", "name": "Globex"}"#.write(
            to: root.appendingPathComponent("tenants/globex.json"), atomically: true, encoding: .utf8)
    }

    /// Runs the agent for `tenant` with a model that calls the tool once; the model's requests and the run result.
    static func run(
        _ tenant: TenantID, root: URL
    ) async throws -> (model: ScriptedChatModel, status: RunStatus) {
        let catalog = try CatalogLoader(
            agentsDirectory: root.appendingPathComponent("agents"), knowledgeDirectory: nil,
            knownTools: ToolRegistry.standardIDs, builtinConnectors: ToolRegistry.builtinConnectorIDs
        ).load()
        #expect(catalog.isValid, "\(catalog.diagnostics.map(\.formatted))")
        let definitions = catalog.connectors.definitions
        let tenants = TenantCatalog.load(
            root.appendingPathComponent("tenants"), knownTools: ToolRegistry.ids(with: definitions),
            settingsCheck: Connectors.settingProblem, definitions: ToolRegistry.effectiveDefinitions(definitions))
        #expect(tenants.diagnostics.isEmpty, "\(tenants.diagnostics.map(\.formatted))")
        let client = ConnectorClient(
            transport: RedirectingTransport.guarded(
                try AsyncHTTPClientTransport(environment: [:]), egress: ConnectorHarness.loopback),
            settings: TenantConnectorSettings(tenants: tenants.tenants))
        let tools = ConnectorToolSource(
            base: ToolRegistry.standard(client: client), client: client, definitions: definitions)
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.calls([("stockroom-get_item", #"{"sku": "A/1"}"#)]), ScriptedChatModel.text("42 on hand"),
        ])
        let environment = EngineEnvironment(
            models: ScriptedModelResolver(model), tools: tools, policy: TenantToolPolicy(tenants: tenants.tenants),
            secrets: InMemorySecretStore([.tenant("acme"): ["stockroom/api_key": "sr-key-0123456789"]]),
            streaming: false)
        let agent = try #require(catalog.agent("stock-checker"))
        let crew = CrewDefinition(
            id: "c", name: "C", process: .sequential, agents: [agent.id],
            tasks: [CrewTask(id: "t", description: "How many A/1?", expectedOutput: "a number", agent: agent.id)])
        let result = try await CrewRunner(environment: environment).run(
            crew, inputs: [:], principal: Principal(tenant: tenant, user: "u", roles: [.tenantUser]),
            agents: { $0 == agent.id ? agent : nil }, runID: RunID("run-\(tenant)"), sink: RecordingEventSink())
        return (model, result.status)
    }

    @Test("a connector written as a file is called by an agent; its result comes back into the conversation")
    func endToEnd() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try LoopbackHTTPServer { request in
            .init(body: #"{"item": {"sku": "A/1", "on_hand": 42, "cost": 3.5}}"#)
        }
        defer { server.stop() }
        try Self.catalog(server: server.baseURL, in: directory.url)

        let (model, status) = try await Self.run("acme", root: directory.url)
        #expect(status == .succeeded)
        #expect(model.requests.first?.tools.map(\.name) == ["stockroom-get_item"])
        let request = try #require(server.receivedRequests.first)
        #expect(request.method == "GET")
        #expect(request.path == "/api/v2/items/A%2F1", "the argument is one percent-encoded path segment")
        #expect(request.headers["x-api-key"] == "sr-key-0123456789")
        let toolMessages = (model.requests.last?.messages ?? []).compactMap { message -> String? in
            if case .tool(_, let name, let content, let isError) = message, name == "stockroom-get_item", !isError {
                return content
            }
            return nil
        }
        #expect(toolMessages == [#"{"sku":"A/1","on_hand":42}"#])
    }

    @Test("a tenant that has not enabled the connector is never offered it, and its model's call is refused")
    func gated() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try LoopbackHTTPServer { _ in .init(body: #"{"item": {}}"#) }
        defer { server.stop() }
        try Self.catalog(server: server.baseURL, in: directory.url)

        let (model, _) = try await Self.run("globex", root: directory.url)
        #expect(model.requests.first?.tools.isEmpty == true)
        let refusals = (model.requests.dropFirst().first?.messages ?? []).compactMap { message -> String? in
            if case .tool(_, _, let content, true) = message { return content }
            return nil
        }
        #expect(refusals.count == 1)
        #expect(server.requestCount == 0, "the service was never called")
    }

    @Test("the tenant file is checked against the definition: settings, patterns, hosts and secret names")
    func tenantChecks() throws {
        let definition = try #require(
            ConnectorFileDecoder.decode(
                Array(Self.connector.utf8), displayPath: "connectors/stockroom.json", stem: "stockroom"
            ).0)
        let file = #"""
            {"id": "acme", "name": "Acme", "connectors": {"stockroom": {"settings": {"acount": "x", "account": "Not Valid!"}, "secrets": {"api_kee": "stockroom/api_key"}}}}
            """#
        let (_, diagnostics) = TenantCatalog.decode(
            Array(file.utf8), displayPath: "tenants/acme.json", stem: "acme", knownTools: ToolRegistry.standardIDs,
            definitions: [definition])
        let messages = diagnostics.map(\.formatted)
        #expect(
            messages.contains { $0.contains(#"stockroom has no setting "acount"; did you mean "account"?"#) },
            "\(messages)")
        #expect(
            messages.contains { $0.contains(#"stockroom setting "account" must match ^[a-z0-9-]+$"#) }, "\(messages)")
        #expect(
            messages.contains { $0.contains(#"stockroom has no secret "api_kee"; did you mean "api_key"?"#) },
            "\(messages)")
        #expect(diagnostics.allSatisfy { $0.line == 1 && $0.column > 1 })

        let missing =
            #"{"id": "acme", "name": "Acme", "connectors": {"stockroom": {"settings": {"account": "evil.com/x"}}}}"#
        let (_, found) = TenantCatalog.decode(
            Array(missing.utf8), displayPath: "tenants/acme.json", stem: "acme", knownTools: [],
            definitions: [definition])
        #expect(found.map(\.message).contains(#"stockroom setting "account" must match ^[a-z0-9-]+$"#))
    }

    @Test("a catalog reload replaces the defined connectors' tools; the built-in and shipped ones stay")
    func reload() throws {
        let definition = try #require(
            ConnectorFileDecoder.decode(
                Array(Self.connector.utf8), displayPath: "connectors/stockroom.json", stem: "stockroom"
            ).0)
        let client = ConnectorClient(transport: ReplayTransport([]), settings: StaticConnectorSettings([:]))
        let source = ConnectorToolSource(
            base: ToolRegistry.standard(client: client), client: client, definitions: [definition])
        #expect(source.tool("stockroom.get_item")?.spec.access == .read)
        source.update([])
        #expect(source.tool("stockroom.get_item") == nil)
        #expect(source.tool("slack.post_message") != nil && source.tool("wordpress.list_posts") != nil)
        source.update([definition])
        #expect(source.definedSpecs.map(\.id) == ["stockroom.get_item"])
    }
}
