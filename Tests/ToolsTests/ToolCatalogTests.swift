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
