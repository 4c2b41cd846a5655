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

    @Test("approval policy, approval tools, approver roles and spend caps decode; mistakes in them are located")
    func governanceFields() throws {
        let (tenant, diagnostics) = decode(
            """
            {"id": "acme", "name": "Acme", "approvals": "listed", "approval_tools": ["slack.post_message"],
             "approver_roles": ["tenant_admin", "tenant_user"],
             "limits": {"max_cost_usd": 2, "max_cost_usd_per_day": 10, "max_cost_usd_per_month": 200}}
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.formatted))")
        let acme = try #require(tenant)
        #expect(acme.approvals == .listed)
        #expect(acme.approvalTools == ["slack.post_message"])
        #expect(acme.approverRoles == [.tenantAdmin, .tenantUser])
        #expect(acme.spendCaps == SpendCaps(perDayUSD: 10, perMonthUSD: 200))
        #expect(acme.limits?.maxCostUSD == 2)
        #expect(acme.mayApprove([.tenantUser]) && acme.mayApprove([.platformAdmin]))

        let defaults = try #require(decode(#"{"id": "acme", "name": "Acme"}"#).0)
        #expect(defaults.approvals == .writes && defaults.approverRoles == [.tenantAdmin])
        #expect(!defaults.mayApprove([.tenantUser]) && defaults.mayApprove([.tenantAdmin]))
        #expect(defaults.spendCaps == SpendCaps())

        let (wrong, found) = decode(
            """
            {"id": "acme", "name": "Acme", "approvals": "write", "approver_roles": ["tenant_admn"],
             "limits": {"max_cost_usd_per_day": -1, "max_cost_per_month": 5}}
            """)
        #expect(wrong == nil)
        let messages = found.map(\.formatted)
        #expect(
            messages.contains {
                $0.hasPrefix(
                    #"tenants/acme.json:1:45: error: approvals "write" is not a policy; did you mean "writes"?"#)
            }, "\(messages)")
        #expect(
            messages.contains {
                $0.contains(#"unknown role "tenant_admn"; did you mean "tenant_admin"?"#)
                    && $0.hasSuffix("[/approver_roles/0]")
            })
        #expect(
            messages.contains { $0.contains("max_cost_usd_per_day") && $0.hasPrefix("tenants/acme.json:2:37") },
            "\(messages)")
        #expect(messages.filter { $0.contains(#"unknown field "max_cost_per_month""#) }.count == 1, "\(messages)")
    }

    @Test("every tenant file in tenants/ is valid", arguments: ["local", "acme", "globex"])
    func repositoryTenants(id: String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let connectors = ConnectorCatalog.load(
            root.appendingPathComponent("connectors"), reservedIDs: ToolRegistry.builtinConnectorIDs)
        let catalog = TenantCatalog.load(
            root.appendingPathComponent("tenants"), knownTools: ToolRegistry.ids(with: connectors.definitions),
            settingsCheck: Connectors.settingProblem,
            definitions: ToolRegistry.effectiveDefinitions(connectors.definitions))
        #expect(catalog.diagnostics.isEmpty, "\(catalog.diagnostics.map(\.formatted))")
        #expect(catalog.tenants[TenantID(id)] != nil)
    }
}
