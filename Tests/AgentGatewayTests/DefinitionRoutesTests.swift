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
                // A defined connector's tool the tenant has not connected is listed as unavailable too.
                #expect(byID["google_search_console.query_search_analytics"]?["available"] == false)
                #expect(tools.count == 6)
            }
            // Whether a call waits for approval is the tenant's policy (acme: the default, every write), not the spec's.
            try await client.execute(uri: "/v1/tools", method: .get, headers: F.headers(roles: "tenant_admin")) {
                response in
                guard case .array(let tools)? = try F.json(response)["data"] else {
                    Issue.record("no tools")
                    return
                }
                let approval = Dictionary(
                    uniqueKeysWithValues: tools.compactMap { tool in
                        tool["id"]?.stringValue.map { ($0, tool["requires_approval"]) }
                    })
                #expect(approval["slack.post_message"] == true && approval["hubspot.update_contact"] == true)
                #expect(approval["wordpress.list_posts"] == false && approval["calculator.evaluate"] == false)
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
            // Agents are every tenant's: the change is the platform's, with the diff from the file as it was.
            let audit = try await fixture.services.store.audit(tenant: AuditEntry.platformTenant, since: nil, limit: 10)
            #expect(
                audit.contains {
                    $0.tool == "config.agent_update" && $0.user == "ada" && $0.kind == "agent"
                        && $0.diff.contains(#"-  "role": "Senior SEO Specialist","#)
                })
            #expect(try await fixture.services.store.audit(tenant: "acme", since: nil, limit: 10).isEmpty)
        }
    }

    /// An agent file of the fixture's catalog as a JSON object, `change` applied.
    static func agent(
        _ fixture: F, _ path: String, _ change: (inout JSONObject) -> Void
    ) throws -> (file: URL, original: String, changed: JSONValue) {
        let file = fixture.directory.url.appendingPathComponent("agents/\(path).json")
        let original = try String(contentsOf: file, encoding: .utf8)
        guard case .object(var definition) = try JSONParser.value(Array(original.utf8)) else {
            throw GatewayError(.validation, "not an object")
        }
        change(&definition)
        return (file, original, .object(definition))
    }

    @Test(
        "PUT an agent that would make crews invalid: 422 naming the crews and their errors; nothing written, the crews still load"
    )
    func updateBreakingCrews() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let admin = F.headers(roles: "platform_admin")
        // A manager with tools of its own: the hierarchical crews it manages no longer validate.
        let manager = try Self.agent(fixture, "orchestration/agent-coordinator") { $0["tools"] = ["knowledge.search"] }
        // A placeholder the crews that use the writer do not declare.
        let writer = try Self.agent(fixture, "content/blog-writer") {
            $0["goal"] = "Write in the voice of {brand_voice_owner}."
        }
        try await fixture.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/agents/agent-coordinator", method: .put, headers: admin, body: F.body(manager.changed)
            ) { response in
                #expect(response.status == .unprocessableContent)
                let error = try F.json(response)["error"]
                #expect(error?["code"] == "UNPROCESSABLE")
                let message = error?["message"]?.stringValue ?? ""
                #expect(
                    message.contains("crews campaign-strategy, digital-presence-audit invalid"), "\(message)")
                let details = error?["details"]?.arrayValue ?? []
                #expect(
                    Set(details.compactMap { $0["crew"]?.stringValue }) == [
                        "campaign-strategy", "digital-presence-audit",
                    ])
                #expect(details.allSatisfy { $0["field"] == "/manager" && $0["line"]?.doubleValue != nil })
            }
            try await client.execute(
                uri: "/v1/agents/blog-writer", method: .put, headers: admin, body: F.body(writer.changed)
            ) { response in
                #expect(response.status == .unprocessableContent)
                let error = try F.json(response)["error"]
                #expect(error?["message"]?.stringValue?.contains("crew content-approval invalid") == true)
                #expect(
                    error?["details"]?[0]?["message"]?.stringValue?.contains("{brand_voice_owner}") == true)
            }
            #expect(try String(contentsOf: manager.file, encoding: .utf8) == manager.original)
            #expect(try String(contentsOf: writer.file, encoding: .utf8) == writer.original)
            try await client.execute(uri: "/v1/crews/campaign-strategy", method: .get, headers: F.headers()) {
                #expect($0.status == .ok)
            }
            #expect(try await fixture.services.store.agentVersions("agent-coordinator").isEmpty)
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test(
        "PUT an agent naming a model the runtime cannot serve (unknown provider, no credential): 422 on /model, nothing stored, readiness stays 200"
    )
    func updateUnservableModel() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        // The providers as `serve` configures them: the catalog's have their keys, groq has none.
        let environment = ["OPENAI_API_KEY": "sk-o", "ANTHROPIC_API_KEY": "sk-a", "GEMINI_API_KEY": "g"]
        let registry = ProviderRegistry(
            config: RuntimeConfig.fromEnvironment(environment), transport: ReplayTransport([]),
            environment: environment)
        var services = fixture.services
        services.providersReady = { await registry.readiness(of: Set($0.agents.compactMap(\.model))) }
        services.modelProblem = { await registry.servingProblem($0) }
        let app = Application(router: Gateway.router(services))
        let admin = F.headers(roles: "platform_admin")
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok) }
            for (model, expected) in [
                ("nosuch/model", "provider \"nosuch\", which is not configured"),
                ("groq/llama-3.3-70b-versatile", "GROQ_API_KEY"),
            ] {
                let changed = try Self.agent(fixture, "marketing/seo-specialist") { $0["model"] = .string(model) }
                try await client.execute(
                    uri: "/v1/agents/seo-specialist", method: .put, headers: admin, body: F.body(changed.changed)
                ) { response in
                    #expect(response.status == .unprocessableContent, "\(model)")
                    let error = try F.json(response)["error"]
                    #expect(error?["code"] == "UNPROCESSABLE")
                    #expect(error?["details"]?[0]?["field"] == "/model")
                    #expect(error?["message"]?.stringValue?.contains(expected) == true, "\(error?["message"] ?? nil)")
                }
                #expect(try String(contentsOf: changed.file, encoding: .utf8) == changed.original)
                try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok, "\(model)") }
            }
            #expect(try await fixture.services.store.agentVersions("seo-specialist").isEmpty)
            let served = try Self.agent(fixture, "marketing/seo-specialist") { $0["model"] = "gemini/gemini-2.5-pro" }
            try await client.execute(
                uri: "/v1/agents/seo-specialist", method: .put, headers: admin, body: F.body(served.changed)
            ) { #expect($0.status == .ok) }
        }
    }

    @Test("PUT an agent with a body that is not JSON: VALIDATION_ERROR with the line and column; tenant roles get 403")
    func updateSyntaxAndRoles() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/agents/seo-specialist", method: .put, headers: F.headers(roles: "super_admin"),
                body: ByteBuffer(string: "{\n  \"id\": \"seo-specialist\",\n  \"role\": }")
            ) { response in
                #expect(response.status == .badRequest)
                let error = try F.json(response)["error"]
                #expect(error?["code"] == "VALIDATION_ERROR")
                #expect(error?["message"]?.stringValue?.hasPrefix("invalid JSON at line 3, column 11: ") == true)
                #expect(error?["details"]?[0]?["line"] == 3)
                #expect(error?["details"]?[0]?["column"] == 11)
            }
            for roles in ["tenant_user", "tenant_admin"] {
                try await client.execute(
                    uri: "/v1/agents/seo-specialist", method: .put, headers: F.headers(roles: roles),
                    body: ByteBuffer(string: "{}")
                ) { #expect($0.status == .forbidden, "\(roles)") }
            }
        }
    }
}
