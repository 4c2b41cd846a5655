import AgentRuntime
import Testing
import Tools

@Suite("Tool catalog")
struct ToolCatalogTests {
    @Test("every tool id is connector.operation, unique, with an object argument schema", arguments: ToolCatalog.standard.specs)
    func spec(_ spec: ToolSpec) {
        #expect(spec.id.isWellFormed)
        #expect(!spec.description.isEmpty)
        #expect(spec.parameters.document["type"] == "object")
        guard case .object(let properties)? = spec.parameters.document["properties"] else {
            Issue.record("no properties")
            return
        }
        if case .array(let required)? = spec.parameters.document["required"] {
            for name in required { #expect(properties[name.stringValue ?? ""] != nil, "required \(name) is not a property") }
        }
    }

    @Test("the catalog covers every connector the platform needs")
    func connectors() {
        #expect(
            Set(ToolCatalog.standard.connectors).isSuperset(of: [
                "wordpress", "hubspot", "zoho_crm", "shopify", "google_analytics", "stripe", "slack", "mailchimp",
                "trello", "knowledge", "calculator",
            ]))
        #expect(ToolCatalog.standard.ids.count == ToolCatalog.standard.specs.count)
    }

    @Test("writes are never classified as reads")
    func accessLevels() {
        for spec in ToolCatalog.standard.specs where ["create", "update", "add", "post"].contains(where: spec.id.operation.hasPrefix) {
            #expect(spec.access >= .write, "\(spec.id)")
        }
    }
}

@Suite("Tool registry")
struct ToolRegistryTests {
    @Test("every tool in the catalog has an implementation in the standard registry")
    func complete() {
        let registry = ToolRegistry.standard(
            client: ConnectorClient(transport: URLSessionTransport(), settings: StaticConnectorSettings([:])),
            knowledge: ScriptedKnowledge())
        #expect(registry.ids == ToolCatalog.standard.ids)
        for id in ToolCatalog.standard.ids { #expect(registry.tool(id)?.spec == ToolCatalog.standard.spec(id)) }
    }
}

struct ScriptedKnowledge: KnowledgeRetriever {
    func search(_ query: String, collections: [String], tenant: TenantID?, limit: Int) async -> [KnowledgeSnippet] { [] }
}
