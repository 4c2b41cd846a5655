import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import Testing
import Tools

@Suite("Tenant files")
struct TenantCatalogTests {
    private func decode(_ text: String, stem: String = "acme") -> (TenantDefinition?, [Diagnostic]) {
        TenantCatalog.decode(
            Array(text.utf8), displayPath: "tenants/\(stem).json", stem: stem, knownTools: ToolRegistry.standardIDs)
    }

    @Test(
        "a tenant decodes: connectors with settings and secret references, deny list, allowed agents, limits, rate limit"
    )
    func decodes() throws {
        let (tenant, diagnostics) = decode(
            """
            {"id": "acme", "name": "Acme", "connectors": {"wordpress": {"settings": {"site_url": "https://a.test", "username": "ed"}, "secrets": {"app_password": "wordpress/app_password"}}},
             "tool_deny": ["wordpress.update_post"], "allowed_categories": ["marketing"], "limits": {"max_cost_usd": 2}, "rate_limit": {"requests_per_minute": 30}}
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.formatted))")
        let acme = try #require(tenant)
        #expect(acme.connectors["wordpress"]?.secrets == ["app_password": "wordpress/app_password"])
        #expect(acme.toolDeny == ["wordpress.update_post"])
        #expect(acme.limits?.maxCostUSD == 2)
        #expect(acme.rateLimit == RateLimit(requestsPerMinute: 30))
        #expect(
            acme.allows(
                AgentDefinition(id: "x", name: "x", category: "marketing", role: "r", goal: "g", backstory: "b")))
        #expect(
            !acme.allows(AgentDefinition(id: "y", name: "y", category: "finance", role: "r", goal: "g", backstory: "b"))
        )
    }

    @Test("mistakes are located; a pasted secret is refused without being echoed")
    func mistakes() {
        let (tenant, diagnostics) = decode(
            """
            {"id": "acme", "name": "Acme",
             "connectors": {"wordpres": {}, "shopify": {"secrets": {"access_token": "shpat_0123456789abcdef0123"}}},
             "tool_deny": ["shopify.delete_everything"]}
            """)
        #expect(tenant == nil)
        #expect(
            diagnostics.map(\.formatted) == [
                #"tenants/acme.json:2:17: error: unknown connector "wordpres"; did you mean "wordpress"? (connectors: google_analytics, hubspot, mailchimp, shopify, slack, stripe, trello, wordpress, zoho_crm) [/connectors/wordpres]"#,
                #"tenants/acme.json:2:56: error: secret "access_token" must be a reference path in the tenant's secret store (like shopify/access_token), never the secret itself [/connectors/shopify/secrets/access_token]"#,
                #"tenants/acme.json:3:16: error: unknown tool "shopify.delete_everything" (run `agentctl tools list` for the registry) [/tool_deny/0]"#,
            ])
        #expect(!diagnostics.map(\.formatted).joined().contains("shpat_0123"))
        #expect(decode(#"{"id": "globex", "name": "G"}"#).1.map(\.code) == [.idMismatch])
    }

    @Test("every tenant file in tenants/ is valid", arguments: ["local", "acme", "globex"])
    func repositoryTenants(id: String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let catalog = TenantCatalog.load(root.appendingPathComponent("tenants"), knownTools: ToolRegistry.standardIDs)
        #expect(catalog.diagnostics.isEmpty, "\(catalog.diagnostics.map(\.formatted))")
        #expect(catalog.tenants[TenantID(id)] != nil)
    }
}
