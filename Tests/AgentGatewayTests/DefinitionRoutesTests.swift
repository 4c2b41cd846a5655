import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Tools

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `DefinitionRoutes`: agents, crews and tools as a tenant sees them; agent updates and versions.
@Suite("Gateway: definitions")
struct DefinitionRoutesTests {
    typealias F = GatewayFixture

    @Test("agents, crews and tools, as the caller may see them")
    func definitions() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/agents?limit=10&page=2", method: .get, headers: F.headers()) {
                response in
                let json = try F.json(response)
                #expect(json["meta"] == ["page": 2, "limit": 10, "total": 105])
                if case .array(let items)? = json["data"] {
                    #expect(items.count == 10)
                } else {
                    Issue.record("no data")
                }
            }
            try await client.execute(uri: "/v1/agents/seo-specialist", method: .get, headers: F.headers()) { response in
                try #expect(F.json(response)["data"]?["role"] == "Senior SEO Specialist")
            }
            try await client.execute(uri: "/v1/agents/nobody", method: .get, headers: F.headers()) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/crews", method: .get, headers: F.headers()) { response in
                try #expect(F.json(response)["meta"]?["total"] == 12)
            }
            try await client.execute(uri: "/v1/crews/content-approval", method: .get, headers: F.headers()) {
                response in
                try #expect(F.json(response)["data"]?["process"] == "sequential")
            }
            try await client.execute(
                uri: "/v1/tools?agent=seo-specialist", method: .get, headers: F.headers(roles: "tenant_user")
            ) { response in
                guard case .array(let tools)? = try F.json(response)["data"] else {
                    Issue.record("no tools")
                    return
                }
                let byID = Dictionary(
                    uniqueKeysWithValues: tools.compactMap { tool in tool["id"]?.stringValue.map { ($0, tool) } })
                #expect(
                    byID["wordpress.update_post"]?["reason"]
                        == "wordpress.update_post needs write access; role tenant_user allows read only")
                #expect(byID["google_analytics.run_report"]?["available"] == false)
                #expect(tools.count == 4)
            }
        }
    }

    @Test("PUT an agent: validated, written atomically, reloaded for new runs, versioned and audited; admins only")
    func updateAgent() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let file = fixture.directory.url.appendingPathComponent("agents/marketing/seo-specialist.json")
        let original = try String(contentsOf: file, encoding: .utf8)
        guard case .object(var definition) = try JSONParser.value(Array(original.utf8)) else {
            Issue.record("not an object")
            return
        }
        definition["role"] = "Principal SEO Strategist"
        let updated = JSONValue.object(definition)
        definition["temperature"] = 7
        definition["tols"] = []
        let invalid = JSONValue.object(definition)
        try await fixture.app.test(.router) { client in
            let admin = F.headers(roles: "tenant_user,platform_admin")
            try await client.execute(
                uri: "/v1/agents/seo-specialist", method: .put, headers: F.headers(), body: F.body(updated)
            ) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/agents/seo-specialist/versions", method: .get, headers: F.headers()) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: "/v1/agents/seo-specialist", method: .put, headers: admin, body: F.body(invalid)
            ) { response in
                #expect(response.status == .badRequest)
                let fields = (try F.json(response)["error"]?["details"]?.arrayValue ?? []).compactMap {
                    $0["field"]?.stringValue
                }
                #expect(fields.contains("/temperature") && fields.contains("/tols"))
            }
            #expect(try String(contentsOf: file, encoding: .utf8) == original)
            try await client.execute(
                uri: "/v1/agents/seo-specialist", method: .put, headers: admin, body: F.body(updated)
            ) { response in
                #expect(response.status == .ok)
                try #expect(F.json(response)["data"]?["version"] == 2)
            }
            #expect(try String(contentsOf: file, encoding: .utf8).contains("Principal SEO Strategist"))
            try await client.execute(uri: "/v1/agents/seo-specialist", method: .get, headers: F.headers()) { response in
                try #expect(F.json(response)["data"]?["role"] == "Principal SEO Strategist")
            }
            try await client.execute(uri: "/v1/agents/seo-specialist/versions", method: .get, headers: admin) {
                response in
                guard let items = try F.json(response)["data"]?.arrayValue else {
                    Issue.record("no versions")
                    return
                }
                #expect(items.count == 2)
                // Newest first.
                #expect(items.last?["content"]?.stringValue == original)
                #expect(items.last?["user"] == "file")
                #expect(items.first?["user"] == "ada")
                #expect(items.first?["version"] == 2)
            }
            try await client.execute(
                uri: "/v1/agents/seo-specialist/invoke", method: .post, headers: F.headers(),
                body: F.body(["prompt": "Who are you?"])
            ) { #expect($0.status == .ok) }
            let system =
                await fixture.model.requests.last.flatMap { request in
                    request.messages.first.flatMap { if case .system(let text) = $0 { text } else { nil } }
                } ?? ""
            #expect(system.contains("Principal SEO Strategist"))
            // Simultaneous updates are applied one after the other.
            let versions = try await withThrowingTaskGroup(of: JSONValue?.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await client.execute(
                            uri: "/v1/agents/seo-specialist", method: .put, headers: admin, body: F.body(updated)
                        ) { try F.json($0)["data"]?["version"] }
                    }
                }
                return try await group.reduce(into: [JSONValue?]()) { $0.append($1) }
            }
            #expect(Set(versions) == [3, 4, 5, 6])
            try await client.execute(uri: "/v1/agents/../etc", method: .put, headers: admin, body: F.body(updated)) {
                #expect($0.status != .ok)
            }
            let audit = try await fixture.services.store.audit(tenant: "acme", since: nil, limit: 10)
            #expect(
                audit.contains {
                    $0.tool == "config.agent_update" && $0.user == "ada" && $0.detail.contains("Senior SEO Specialist")
                })
        }
    }
}
