import AgentRuntime
import Testing
import Tools

@Suite("Standard tools")
struct StandardToolsTests {
    /// Each connector's operations, by the connector part their ids must have.
    static let connectors: [(connector: String, operations: [ConnectorOperation])] = [
        ("wordpress", WordPressConnector.operations), ("hubspot", HubSpotConnector.operations),
        ("zoho_crm", ZohoCRMConnector.operations),
        ("shopify", ShopifyConnector.operations), ("google_analytics", GoogleAnalyticsConnector.operations),
        ("stripe", StripeConnector.operations), ("slack", SlackConnector.operations),
        ("mailchimp", MailchimpConnector.operations),
        ("trello", TrelloConnector.operations),
    ]

    @Test(
        "every tool id is connector.operation, unique, with an object argument schema",
        arguments: ToolRegistry.standardSpecs)
    func spec(_ spec: ToolSpec) {
        #expect(spec.id.isWellFormed)
        #expect(!spec.description.isEmpty)
        #expect(spec.parameters.document["type"] == "object")
        guard case .object(let properties)? = spec.parameters.document["properties"] else {
            Issue.record("no properties")
            return
        }
        if case .array(let required)? = spec.parameters.document["required"] {
            for name in required {
                #expect(properties[name.stringValue ?? ""] != nil, "required \(name) is not a property")
            }
        }
    }

    @Test("every shipped id is <connector>.<operation> of the connector that declares it, and no id is shipped twice")
    func ids() {
        var shipped: [ToolID] = [CalculatorTool.spec.id, KnowledgeSearchTool.spec.id]
        #expect(CalculatorTool.spec.id == "calculator.evaluate")
        #expect(KnowledgeSearchTool.spec.id == "knowledge.search")
        for (connector, operations) in Self.connectors {
            #expect(!operations.isEmpty, "\(connector) has no operations")
            for operation in operations {
                #expect(operation.spec.id.isWellFormed, "\(operation.spec.id)")
                #expect(operation.spec.id.connector == connector, "\(operation.spec.id) is declared by \(connector)")
                #expect(operation.spec.id.rawValue == "\(connector).\(operation.spec.id.operation)")
            }
            shipped += operations.map(\.spec.id)
        }
        #expect(
            Set(shipped).count == shipped.count,
            "duplicates: \(Dictionary(grouping: shipped, by: { $0 }).filter { $0.value.count > 1 }.keys)")
        #expect(Set(shipped) == ToolRegistry.standardIDs)
        #expect(ToolRegistry.standardIDs.count == ToolRegistry.standardSpecs.count)
        #expect(ToolRegistry.standardSpecs.map(\.id) == ToolRegistry.standardSpecs.map(\.id).sorted())
        #expect(
            Connectors.operations.map(\.spec.id).sorted()
                == Self.connectors.flatMap { $0.operations.map(\.spec.id) }.sorted())
    }

    @Test("the standard tools cover every connector the platform needs")
    func connectors() {
        let registry = ToolRegistry.standard(
            client: ConnectorClient(transport: URLSessionTransport(), settings: StaticConnectorSettings([:])),
            knowledge: ScriptedKnowledge())
        #expect(
            Set(registry.connectors).isSuperset(of: [
                "wordpress", "hubspot", "zoho_crm", "shopify", "google_analytics", "stripe", "slack", "mailchimp",
                "trello", "knowledge", "calculator",
            ]))
    }

    @Test("writes are never classified as reads")
    func accessLevels() {
        for spec in ToolRegistry.standardSpecs
        where ["create", "update", "add", "post"].contains(where: spec.id.operation.hasPrefix) {
            #expect(spec.access >= .write, "\(spec.id)")
        }
    }

    @Test("every shipped spec has an implementation in the standard registry")
    func complete() {
        let registry = ToolRegistry.standard(
            client: ConnectorClient(transport: URLSessionTransport(), settings: StaticConnectorSettings([:])),
            knowledge: ScriptedKnowledge())
        #expect(registry.ids == ToolRegistry.standardIDs)
        #expect(registry.specs == ToolRegistry.standardSpecs)
        for spec in ToolRegistry.standardSpecs { #expect(registry.tool(spec.id)?.spec == spec) }
    }

    @Test("the built-ins registry has the calculator, and knowledge search only with a retriever")
    func builtins() {
        #expect(ToolRegistry.builtins().ids == ["calculator.evaluate"])
        #expect(
            ToolRegistry.builtins(knowledge: ScriptedKnowledge()).ids == ["calculator.evaluate", "knowledge.search"])
    }
}

struct ScriptedKnowledge: KnowledgeRetriever {
    func search(_ query: String, collections: [String], tenant: TenantID?, limit: Int) async -> [KnowledgeSnippet] {
        []
    }
}
