import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Tools

/// A gateway over a copy of the repository's agents, two tenants, a temporary store and a scripted model.
struct GatewayFixture {
    static let token = "service-token-for-tests"
    let directory: TemporaryDirectory
    let services: GatewayServices
    let model: ScriptedChatModel

    init(configuration: GatewayConfiguration = GatewayConfiguration(serviceToken: GatewayFixture.token, eventPollInterval: .milliseconds(20)),
         tools: [any Tool] = [], streaming: Bool = false, respond: (@Sendable (ChatRequest) async throws -> ChatResponse)? = nil) throws {
        directory = try TemporaryDirectory()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        try FileManager.default.copyItem(at: root.appendingPathComponent("agents"), to: directory.url.appendingPathComponent("agents"))
        let loader = CatalogLoader(agentsDirectory: directory.url.appendingPathComponent("agents"), knowledgeDirectory: root.appendingPathComponent("knowledge"), knownTools: ToolCatalog.standard.ids)
        let catalog = try loader.load()
        let tenants: [TenantID: TenantDefinition] = [
            "acme": TenantDefinition(id: "acme", name: "Acme", connectors: ["wordpress": .init()]),
            "globex": TenantDefinition(id: "globex", name: "Globex"),
        ]
        model = ScriptedChatModel(respond ?? GatewayFixture.answer)
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        let environment = EngineEnvironment(
            models: ScriptedModelResolver(model), tools: ToolSet(tools), policy: TenantToolPolicy(tenants: tenants), streaming: streaming,
            approvals: StoreApprovalGate(store: store, pollInterval: .milliseconds(20)))
        services = GatewayServices(
            configuration: configuration, catalog: CatalogHolder(catalog: catalog, loader: loader), tenants: tenants,
            environment: { _ in environment }, store: store, secrets: InMemorySecretStore())
    }

    /// Answers every task: JSON matching the schema when one is asked for, else the first line of the prompt.
    @Sendable static func answer(_ request: ChatRequest) async throws -> ChatResponse {
        let last = request.messages.last { if case .user = $0 { true } else { false } }
        guard case .user(let text)? = last else { return ScriptedChatModel.text("ok") }
        if case .jsonSchema(_, let schema) = request.responseFormat {
            return ScriptedChatModel.text(FakeModelServer.example(schema.document, root: schema.document).serialized())
        }
        return ScriptedChatModel.text("done: " + (text.components(separatedBy: "\n").first ?? ""))
    }

    var app: some ApplicationProtocol { Application(router: Gateway.router(services)) }

    static func headers(tenant: String = "acme", roles: String = "tenant_admin", token: String? = GatewayFixture.token, extra: HTTPFields = [:]) -> HTTPFields {
        var fields = extra
        if let token { fields[.authorization] = "Bearer \(token)" }
        fields[HTTPField.Name("X-Tenant-ID")!] = tenant
        fields[HTTPField.Name("X-User-ID")!] = "ada"
        fields[HTTPField.Name("X-User-Roles")!] = roles
        return fields
    }

    static func json(_ response: TestResponse) throws -> JSONValue { try JSONParser.value(Array(response.body.readableBytesView)) }
    static func body(_ value: JSONValue) -> ByteBuffer { ByteBuffer(string: value.serialized()) }

    static let contentApproval: JSONValue = ["inputs": ["topic": "pricing", "target_keyword": "pricing guide"], "wait": true]
}

@Suite("Gateway HTTP API")
struct GatewayTests {
    typealias F = GatewayFixture

    @Test("health, readiness with each check, and Prometheus metrics")
    func health() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                let json = try F.json(response)
                #expect(json["data"]?["checks"]?["catalog"]?["ok"] == true)
                #expect(json["data"]?["checks"]?["store"]?["ok"] == true)
                #expect(json["data"]?["checks"]?["secret_store"]?["ok"] == true)
                #expect(json["data"]?["checks"]?["providers"]?["ok"] == true)
            }
            try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: F.body(F.contentApproval)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"agentruntime_runs_total{crew="content-approval",status="succeeded"} 1"#))
                #expect(text.contains("agentruntime_llm_calls_total{provider=\"scripted\""))
                #expect(text.contains(#"agentruntime_http_requests_total{route="/v1/crews/{crew_id}/runs",status="200"} 1"#))
                #expect(text.contains("agentruntime_run_duration_seconds_count 1"))
                #expect(text.contains("agentruntime_runs_in_flight 0"))
            }
        }
    }

    @Test("readiness fails with 503 and names the failing check")
    func notReady() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        var services = fixture.services
        services.providersReady = { catalog in (false, "openai: env:OPENAI_API_KEY is not set (\(catalog.agents.count) agents)") }
        try await Application(router: Gateway.router(services)).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let checks = try F.json(response)["error"]?["details"]?["checks"]
                #expect(checks?["providers"] == ["ok": false, "detail": "openai: env:OPENAI_API_KEY is not set (105 agents)"])
                #expect(checks?["store"]?["ok"] == true)
            }
        }
    }

    @Test("authentication and identity: 401 without a valid token or identity, 403 for unknown roles or tenants; request ids")
    func authentication() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let cases: [(HTTPFields, HTTPResponse.Status, String)] = [
                (F.headers(token: nil), .unauthorized, "UNAUTHORIZED"),
                (F.headers(token: "wrong"), .unauthorized, "UNAUTHORIZED"),
                ([.authorization: "Bearer \(F.token)"], .unauthorized, "UNAUTHORIZED"),
                (F.headers(roles: "tenant_user,janitor"), .forbidden, "FORBIDDEN"),
                (F.headers(tenant: "initech"), .forbidden, "FORBIDDEN"),
            ]
            for (headers, status, code) in cases {
                try await client.execute(uri: "/v1/agents", method: .get, headers: headers) { response in
                    #expect(response.status == status)
                    try #expect(F.json(response)["error"]?["code"] == .string(code))
                    #expect(response.headers[HTTPField.Name("X-Request-ID")!]?.isEmpty == false)
                }
            }
            try await client.execute(uri: "/v1/agents", method: .get, headers: F.headers(extra: [HTTPField.Name("X-Request-ID")!: "req-123"])) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("X-Request-ID")!] == "req-123")
            }
            try await client.execute(uri: "/v1/nowhere", method: .get, headers: F.headers()) { response in
                #expect(response.status == .notFound)
                try #expect(F.json(response)["error"]?["code"] == "NOT_FOUND")
            }
        }
    }

    @Test("agents, crews and tools, as the caller may see them")
    func definitions() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/agents?limit=10&page=2", method: .get, headers: F.headers()) { response in
                let json = try F.json(response)
                #expect(json["meta"] == ["page": 2, "limit": 10, "total": 105])
                if case .array(let items)? = json["data"] { #expect(items.count == 10) } else { Issue.record("no data") }
            }
            try await client.execute(uri: "/v1/agents/seo-specialist", method: .get, headers: F.headers()) { response in
                try #expect(F.json(response)["data"]?["role"] == "Senior SEO Specialist")
            }
            try await client.execute(uri: "/v1/agents/nobody", method: .get, headers: F.headers()) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/crews", method: .get, headers: F.headers()) { response in
                try #expect(F.json(response)["meta"]?["total"] == 12)
            }
            try await client.execute(uri: "/v1/crews/content-approval", method: .get, headers: F.headers()) { response in
                try #expect(F.json(response)["data"]?["process"] == "sequential")
            }
            try await client.execute(uri: "/v1/tools?agent=seo-specialist", method: .get, headers: F.headers(roles: "tenant_user")) { response in
                guard case .array(let tools)? = try F.json(response)["data"] else { Issue.record("no tools"); return }
                let byID = Dictionary(uniqueKeysWithValues: tools.compactMap { tool in tool["id"]?.stringValue.map { ($0, tool) } })
                #expect(byID["wordpress.update_post"]?["reason"] == "wordpress.update_post needs write access; role tenant_user allows read only")
                #expect(byID["google_analytics.run_report"]?["available"] == false)
                #expect(tools.count == 4)
            }
        }
    }

    @Test("runs: wait for a result, or start and poll; tenants see only their own; validation errors list fields")
    func runs() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let finished = try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: F.body(F.contentApproval)) { response in
                #expect(response.status == .ok)
                let data = try F.json(response)["data"]
                #expect(data?["status"] == "succeeded")
                if case .array(let tasks)? = data?["tasks"] { #expect(tasks.count == 4) }
                return data?["run_id"]?.stringValue ?? ""
            }
            let started = try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                                                   body: F.body(["inputs": ["topic": "a", "target_keyword": "b"]])) { response in
                #expect(response.status == .accepted)
                return try F.json(response)["data"]?["run_id"]?.stringValue ?? ""
            }
            var status = ""
            for _ in 0..<200 where status != "succeeded" {
                status = try await client.execute(uri: "/v1/runs/\(started)", method: .get, headers: F.headers()) { try F.json($0)["data"]?["status"]?.stringValue ?? "" }
                if status != "succeeded" { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(status == "succeeded")
            try await client.execute(uri: "/v1/runs?status=succeeded&crew=content-approval", method: .get, headers: F.headers()) { response in
                try #expect(F.json(response)["meta"]?["total"] == 2)
            }
            try await client.execute(uri: "/v1/runs/\(finished)", method: .get, headers: F.headers(tenant: "globex")) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/runs", method: .get, headers: F.headers(tenant: "globex")) { try #expect(F.json($0)["meta"]?["total"] == 0) }
            try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: F.body(["inputs": ["topic": "x", "tpoic": "y"]])) { response in
                #expect(response.status == .badRequest)
                let error = try F.json(response)["error"]
                #expect(error?["code"] == "VALIDATION_ERROR")
                #expect(error?["details"] == [["field": "inputs.tpoic", "message": "the crew does not declare this input"]])
            }
            try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: F.body(["inputs": ["topic": "x"]])) { response in
                try #expect(F.json(response)["error"]?["details"] == [["field": "inputs.target_keyword", "message": "required input is missing"]])
            }
            try await client.execute(uri: "/v1/crews/nope/runs", method: .post, headers: F.headers(), body: F.body([:])) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/runs?page=9223372036854775807&limit=200", method: .get, headers: F.headers()) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: ByteBuffer(string: "{\"inputs\": ")) { response in
                #expect(response.status == .badRequest)
                try #expect(F.json(response)["error"]?["code"] == "VALIDATION_ERROR")
            }
            try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: ByteBuffer(string: "{\"x\": \"" + String(repeating: "a", count: 1 << 20) + "\"}")) { response in
                #expect(response.status == .contentTooLarge)
                try #expect(F.json(response)["error"]?["code"] == "PAYLOAD_TOO_LARGE")
            }
        }
    }

    @Test("an Idempotency-Key returns the same run for the same key and tenant")
    func idempotency() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            var ids: [String] = []
            for tenant in ["acme", "acme", "globex"] {
                let id = try await client.execute(uri: "/v1/crews/seo-audit/runs", method: .post,
                                                  headers: F.headers(tenant: tenant, extra: [HTTPField.Name("Idempotency-Key")!: "key-1"]),
                                                  body: F.body(["inputs": ["website_url": "https://acme.test", "competitors": "globex.test"]])) { response in
                    try F.json(response)["data"]?["run_id"]?.stringValue ?? "?"
                }
                ids.append(id)
            }
            #expect(ids[0] == ids[1])
            #expect(ids[0] != ids[2])
            // A first attempt that fails does not use up its key.
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "key-2"]
            try await client.execute(uri: "/v1/crews/seo-audit/runs", method: .post, headers: F.headers(extra: key), body: F.body(["inputs": [:]])) { #expect($0.status == .badRequest) }
            let retried = try await client.execute(uri: "/v1/crews/seo-audit/runs", method: .post, headers: F.headers(extra: key),
                                                   body: F.body(["inputs": ["website_url": "https://acme.test", "competitors": "globex.test"], "wait": true])) { response in
                #expect(response.status == .ok)
                return try F.json(response)["data"]?["run_id"]?.stringValue ?? "?"
            }
            // Waiting on a key whose run exists answers with the finished run.
            try await client.execute(uri: "/v1/crews/seo-audit/runs", method: .post, headers: F.headers(extra: key), body: F.body(["wait": true])) { response in
                #expect(response.status == .ok)
                try #expect(F.json(response)["data"]?["run_id"]?.stringValue == retried)
                try #expect(F.json(response)["data"]?["status"] == "succeeded")
            }
        }
    }

    @Test("events stream as Server-Sent Events with ids, and resume after Last-Event-ID")
    func events() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let id = try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: F.body(F.contentApproval)) {
                try F.json($0)["data"]?["run_id"]?.stringValue ?? ""
            }
            let all = try await client.execute(uri: "/v1/runs/\(id)/events", method: .get, headers: F.headers()) { response in
                #expect(response.headers[.contentType] == "text/event-stream")
                return String(buffer: response.body)
            }
            let ids = all.components(separatedBy: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) }
            #expect(ids.first == 1 && ids.count > 10)
            #expect(all.contains("event: run_started") && all.contains("event: run_finished"))
            let resumed = try await client.execute(uri: "/v1/runs/\(id)/events", method: .get, headers: F.headers(extra: [HTTPField.Name("Last-Event-ID")!: String(ids[5])])) {
                String(buffer: $0.body)
            }
            let resumedIDs = resumed.components(separatedBy: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) }
            #expect(resumedIDs == Array(ids.dropFirst(6)))
            try await client.execute(uri: "/v1/runs/\(id)/events", method: .get, headers: F.headers(tenant: "globex")) { #expect($0.status == .notFound) }
        }
    }

    @Test("cancelling a running run; cancelling a finished one is a conflict")
    func cancel() async throws {
        let fixture = try F { _ in
            try await Task.sleep(for: .seconds(30))
            return ScriptedChatModel.text("late")
        }
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let id = try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: F.body(["inputs": ["topic": "a", "target_keyword": "b"]])) {
                try F.json($0)["data"]?["run_id"]?.stringValue ?? ""
            }
            try await client.execute(uri: "/v1/runs/\(id)/cancel", method: .post, headers: F.headers(tenant: "globex")) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/runs/\(id)/cancel", method: .post, headers: F.headers()) { #expect($0.status == .accepted) }
            var status = ""
            for _ in 0..<300 where status != "cancelled" {
                status = try await client.execute(uri: "/v1/runs/\(id)", method: .get, headers: F.headers()) { try F.json($0)["data"]?["status"]?.stringValue ?? "" }
                if status != "cancelled" { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(status == "cancelled")
            try await client.execute(uri: "/v1/runs/\(id)/cancel", method: .post, headers: F.headers()) { response in
                #expect(response.status == .conflict)
                try #expect(F.json(response)["error"]?["code"] == "CONFLICT")
            }
        }
    }

    @Test("approvals over HTTP: listed for the run, decided by tenant_admin or above only")
    func approvals() async throws {
        let publish = ClosureTool(ToolCatalog.standard.spec("wordpress.create_post")!) { _ in ToolResult(content: "published") }
        let fixture = try F(tools: [publish]) { request in
            let answered = request.messages.contains { if case .tool = $0 { true } else { false } }
            if !answered, request.tools.contains(where: { $0.name == "wordpress-create_post" }) {
                return ScriptedChatModel.calls([("wordpress-create_post", #"{"title": "Launch", "content": "<p>Hi</p>"}"#)])
            }
            return ScriptedChatModel.text("finished")
        }
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            async let invoked = client.execute(uri: "/v1/agents/content-creator/invoke", method: .post, headers: F.headers(), body: F.body(["prompt": "Publish the launch post"])) { response in
                (response.status, try F.json(response)["data"])
            }
            var runID = ""
            var approvalID = ""
            for _ in 0..<500 where approvalID.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
                if runID.isEmpty {
                    // Running, or already waiting for the approval.
                    runID = try await client.execute(uri: "/v1/runs", method: .get, headers: F.headers()) { try F.json($0)["data"]?[0]?["run_id"]?.stringValue ?? "" }
                    continue
                }
                approvalID = try await client.execute(uri: "/v1/runs/\(runID)/approvals", method: .get, headers: F.headers(roles: "tenant_user")) { response in
                    guard let first = try F.json(response)["data"]?[0] else { return "" }
                    #expect(first["tool"] == "wordpress.create_post")
                    #expect(first["status"] == "pending")
                    return first["approval_id"]?.stringValue ?? ""
                }
            }
            try #require(!approvalID.isEmpty)
            let decision = F.body(["approve": true, "comment": "looks good"])
            try await client.execute(uri: "/v1/runs/\(runID)/approvals/\(approvalID)", method: .post, headers: F.headers(roles: "tenant_user"), body: decision) { response in
                #expect(response.status == .forbidden)
                try #expect(F.json(response)["error"]?["code"] == "FORBIDDEN")
            }
            try await client.execute(uri: "/v1/runs/\(runID)/approvals", method: .get, headers: F.headers(tenant: "globex")) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/runs/\(runID)/approvals/\(approvalID)", method: .post, headers: F.headers(tenant: "globex"), body: decision) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/runs/\(runID)/approvals/\(approvalID)", method: .post, headers: F.headers(), body: F.body(["approve": "yes"])) { response in
                #expect(response.status == .badRequest)
                try #expect(F.json(response)["error"]?["details"]?[0]?["field"] == "approve")
            }
            try await client.execute(uri: "/v1/runs/\(runID)/approvals/nope", method: .post, headers: F.headers(), body: decision) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/runs/\(runID)/approvals/\(approvalID)", method: .post, headers: F.headers(), body: decision) { response in
                #expect(response.status == .ok)
                try #expect(F.json(response)["data"]?["status"] == "approved")
                try #expect(F.json(response)["data"]?["decided_by"] == "ada")
            }
            try await client.execute(uri: "/v1/runs/\(runID)/approvals/\(approvalID)", method: .post, headers: F.headers(), body: decision) { #expect($0.status == .conflict) }
            let (status, data) = try await invoked
            #expect(status == .ok)
            #expect(data?["status"] == "succeeded")
            #expect(data?["run_id"]?.stringValue == runID)
            #expect(publish.callCount == 1)
        }
    }

    @Test("invoke: one agent, one task; a prompt is required and the agent must exist")
    func invoke() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/agents/seo-specialist/invoke", method: .post, headers: F.headers(roles: "tenant_user"), body: F.body(["prompt": "Audit the homepage"])) { response in
                #expect(response.status == .ok)
                let data = try F.json(response)["data"]
                #expect(data?["status"] == "succeeded")
                #expect(data?["output"]?.stringValue?.contains("Audit the homepage") == true)
            }
            try await client.execute(uri: "/v1/agents/seo-specialist/invoke", method: .post, headers: F.headers(), body: F.body(["prompt": " "])) { response in
                #expect(response.status == .badRequest)
                try #expect(F.json(response)["error"]?["details"]?[0]?["field"] == "prompt")
            }
            try await client.execute(uri: "/v1/agents/ghost/invoke", method: .post, headers: F.headers(), body: F.body(["prompt": "hi"])) { #expect($0.status == .notFound) }
        }
    }

    @Test("PUT an agent: validated, written atomically, reloaded for new runs, versioned and audited; admins only")
    func updateAgent() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let file = fixture.directory.url.appendingPathComponent("agents/marketing/seo-specialist.json")
        let original = try String(contentsOf: file, encoding: .utf8)
        guard case .object(var definition) = try JSONParser.value(Array(original.utf8)) else { Issue.record("not an object"); return }
        definition["role"] = "Principal SEO Strategist"
        let updated = JSONValue.object(definition)
        definition["temperature"] = 7
        definition["tols"] = []
        let invalid = JSONValue.object(definition)
        try await fixture.app.test(.router) { client in
            let admin = F.headers(roles: "tenant_user,platform_admin")
            try await client.execute(uri: "/v1/agents/seo-specialist", method: .put, headers: F.headers(), body: F.body(updated)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/agents/seo-specialist/versions", method: .get, headers: F.headers()) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/agents/seo-specialist", method: .put, headers: admin, body: F.body(invalid)) { response in
                #expect(response.status == .badRequest)
                let fields = (try F.json(response)["error"]?["details"]?.arrayValue ?? []).compactMap { $0["field"]?.stringValue }
                #expect(fields.contains("/temperature") && fields.contains("/tols"))
            }
            #expect(try String(contentsOf: file, encoding: .utf8) == original)
            try await client.execute(uri: "/v1/agents/seo-specialist", method: .put, headers: admin, body: F.body(updated)) { response in
                #expect(response.status == .ok)
                try #expect(F.json(response)["data"]?["version"] == 2)
            }
            #expect(try String(contentsOf: file, encoding: .utf8).contains("Principal SEO Strategist"))
            try await client.execute(uri: "/v1/agents/seo-specialist", method: .get, headers: F.headers()) { response in
                try #expect(F.json(response)["data"]?["role"] == "Principal SEO Strategist")
            }
            try await client.execute(uri: "/v1/agents/seo-specialist/versions", method: .get, headers: admin) { response in
                guard let items = try F.json(response)["data"]?.arrayValue else { Issue.record("no versions"); return }
                #expect(items.count == 2)
                // Newest first.
                #expect(items.last?["content"]?.stringValue == original)
                #expect(items.last?["user"] == "file")
                #expect(items.first?["user"] == "ada")
                #expect(items.first?["version"] == 2)
            }
            try await client.execute(uri: "/v1/agents/seo-specialist/invoke", method: .post, headers: F.headers(), body: F.body(["prompt": "Who are you?"])) { #expect($0.status == .ok) }
            let system = await fixture.model.requests.last.flatMap { request in request.messages.first.flatMap { if case .system(let text) = $0 { text } else { nil } } } ?? ""
            #expect(system.contains("Principal SEO Strategist"))
            // Simultaneous updates are applied one after the other.
            let versions = try await withThrowingTaskGroup(of: JSONValue?.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await client.execute(uri: "/v1/agents/seo-specialist", method: .put, headers: admin, body: F.body(updated)) { try F.json($0)["data"]?["version"] } }
                }
                return try await group.reduce(into: [JSONValue?]()) { $0.append($1) }
            }
            #expect(Set(versions) == [3, 4, 5, 6])
            try await client.execute(uri: "/v1/agents/../etc", method: .put, headers: admin, body: F.body(updated)) { #expect($0.status != .ok) }
            let audit = try await fixture.services.store.audit(tenant: "acme", since: nil, limit: 10)
            #expect(audit.contains { $0.tool == "config.agent_update" && $0.user == "ada" && $0.detail.contains("Senior SEO Specialist") })
        }
    }

    @Test("an unexpected failure is a 500 INTERNAL_ERROR naming the request id, without internals")
    func internalError() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let original = try String(contentsOf: fixture.directory.url.appendingPathComponent("agents/marketing/seo-specialist.json"), encoding: .utf8)
        guard case .object(var definition) = try JSONParser.value(Array(original.utf8)) else { Issue.record("not an object"); return }
        definition["id"] = "seo-junior"
        let body = F.body(.object(definition))
        // Something in the way of the file: the write fails even for root.
        let blocked = fixture.directory.url.appendingPathComponent("agents/marketing/seo-junior.json")
        try FileManager.default.createDirectory(at: blocked.appendingPathComponent("occupied"), withIntermediateDirectories: true)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/agents/seo-junior", method: .put, headers: F.headers(roles: "super_admin", extra: [HTTPField.Name("X-Request-ID")!: "req-500"]),
                                     body: body) { response in
                #expect(response.status == .internalServerError)
                let error = try F.json(response)["error"]
                #expect(error?["code"] == "INTERNAL_ERROR")
                #expect(error?["message"] == "internal error (request req-500)")
            }
            try await client.execute(uri: "/v1/agents/seo-junior", method: .get, headers: F.headers()) { #expect($0.status == .notFound) }
        }
    }

    @Test("per-tenant request limits and concurrent-run limits answer 429 with Retry-After")
    func limits() async throws {
        let configuration = GatewayConfiguration(serviceToken: F.token, requestsPerMinutePerTenant: 3, concurrentRunsPerTenant: 1, eventPollInterval: .milliseconds(20))
        let fixture = try F(configuration: configuration) { _ in
            try await Task.sleep(for: .seconds(30))
            return ScriptedChatModel.text("late")
        }
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let inputs = F.body(["inputs": ["topic": "a", "target_keyword": "b"]])
            try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: inputs) { #expect($0.status == .accepted) }
            try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: inputs) { response in
                #expect(response.status == .tooManyRequests)
                try #expect(F.json(response)["error"]?["code"] == "RATE_LIMITED")
                #expect(response.headers[.retryAfter] != nil)
            }
            try await client.execute(uri: "/v1/agents", method: .get, headers: F.headers()) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/agents", method: .get, headers: F.headers()) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
            }
            // Another tenant has its own budget.
            try await client.execute(uri: "/v1/agents", method: .get, headers: F.headers(tenant: "globex")) { #expect($0.status == .ok) }
        }
        await fixture.services.runs.drain(grace: .zero)
    }

    @Test("simultaneous starts cannot pass the concurrent-run limit together")
    func simultaneousStarts() async throws {
        let configuration = GatewayConfiguration(serviceToken: F.token, concurrentRunsPerTenant: 2, eventPollInterval: .milliseconds(20))
        let fixture = try F(configuration: configuration) { _ in
            try await Task.sleep(for: .seconds(30))
            return ScriptedChatModel.text("late")
        }
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                                                 body: F.body(["inputs": ["topic": "a", "target_keyword": "b"]])) { $0.status }
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .accepted }.count == 2)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 10)
        }
        await fixture.services.runs.drain(grace: .zero)
    }

    @Test("draining cancels runs still going after the grace period and records them as interrupted; a crash's leftovers are interrupted on start")
    func drain() async throws {
        let fixture = try F { _ in
            try await Task.sleep(for: .seconds(30))
            return ScriptedChatModel.text("late")
        }
        defer { fixture.directory.remove() }
        let id = try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: F.body(["inputs": ["topic": "a", "target_keyword": "b"]])) {
                try F.json($0)["data"]?["run_id"]?.stringValue ?? ""
            }
        }
        let started = ContinuousClock.now
        await fixture.services.runs.drain(grace: .milliseconds(100))
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(try await fixture.services.store.run(RunID(id), tenant: nil)?.status == .interrupted)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: F.body(["inputs": ["topic": "a", "target_keyword": "b"]])) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
        let leftover = RunRecord(id: "crashed", tenant: "acme", user: "ada", crew: "seo-audit", status: .running, inputs: [:])
        try await fixture.services.store.insert(leftover)
        _ = try await Gateway.application(fixture.services, host: "127.0.0.1", port: 0)
        #expect(try await fixture.services.store.run("crashed", tenant: nil)?.status == .interrupted)
    }

    /// Serves `fixture` on a free loopback port, posts one run over a real socket, then shuts down gracefully.
    static func shutDownAfterOneRun(_ fixture: F) async throws -> (runID: String, shutdown: Duration) {
        let port = PortBox()
        let group = try await Gateway.serviceGroup(fixture.services, host: "127.0.0.1", port: 0) { port.set($0) }
        let serving = Task { try await group.run() }
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(try await port.wait())/v1/crews/content-approval/runs")!)
        request.httpMethod = "POST"
        for field in F.headers() { request.setValue(field.value, forHTTPHeaderField: field.name.rawName) }
        request.httpBody = Data(#"{"inputs": {"topic": "a", "target_keyword": "b"}}"#.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 202)
        let id = try JSONParser.value(Array(data))["data"]?["run_id"]?.stringValue ?? ""
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await serving.value
        return (id, ContinuousClock.now - started)
    }

    @Test("graceful shutdown over a live socket: a run in flight finishes within the grace period, then the server stops")
    func gracefulShutdown() async throws {
        let configuration = GatewayConfiguration(serviceToken: F.token, eventPollInterval: .milliseconds(20), shutdownGracePeriod: .seconds(20))
        let fixture = try F(configuration: configuration) { request in
            try await Task.sleep(for: .milliseconds(150))
            return try await F.answer(request)
        }
        defer { fixture.directory.remove() }
        let (id, _) = try await Self.shutDownAfterOneRun(fixture)
        let status = try await fixture.services.store.run(RunID(id), tenant: nil)?.status
        #expect(status == .succeeded)
    }

    @Test("graceful shutdown: a run still going when the grace period ends is cancelled and recorded as interrupted")
    func shutdownDeadline() async throws {
        let configuration = GatewayConfiguration(serviceToken: F.token, eventPollInterval: .milliseconds(20), shutdownGracePeriod: .milliseconds(300))
        let fixture = try F(configuration: configuration) { _ in
            try await Task.sleep(for: .seconds(60))
            return ScriptedChatModel.text("late")
        }
        defer { fixture.directory.remove() }
        let (id, shutdown) = try await Self.shutDownAfterOneRun(fixture)
        #expect(shutdown < .seconds(15))
        #expect(try await fixture.services.store.run(RunID(id), tenant: nil)?.status == .interrupted)
    }

    @Test("openapi.json describes exactly the routes the gateway serves")
    func openAPI() throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let document = try JSONParser.value(Array(try Data(contentsOf: root.appendingPathComponent("openapi.json"))))
        guard case .object(let paths)? = document["paths"] else { Issue.record("no paths"); return }
        var documented: Set<String> = []
        for path in paths {
            guard case .object(let operations) = path.value else { continue }
            for operation in operations where ["get", "post", "put", "delete", "patch"].contains(operation.key) {
                documented.insert("\(operation.key.uppercased()) \(path.key)")
                #expect(operation.value["responses"] != nil, "\(operation.key) \(path.key) has no responses")
            }
        }
        #expect(documented == Set(Gateway.router(fixture.services).routes.map { "\($0.method.rawValue) \($0.path)" }))
        #expect(document["openapi"]?.stringValue?.hasPrefix("3.") == true)
    }
}


@Suite("Gateway: resuming runs")
struct GatewayResumeTests {
    typealias F = GatewayFixture

    @Test("POST /v1/runs/{id}/resume carries an interrupted run on from its journal; finished, foreign or unknown runs are refused")
    func resume() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let store = fixture.services.store
        let catalog = await fixture.services.catalog.catalog
        let crew = try #require(catalog.crew("content-approval"))
        let principal = Principal(tenant: "acme", user: "ada", roles: [.tenantAdmin])
        // A run a shutdown interrupted: stored with its definition, then marked interrupted.
        let (record, _) = try await RunLifecycle(store: store).submit(
            crew, inputs: ["topic": "pricing", "target_keyword": "pricing guide"], principal: principal, agents: { catalog.agent($0) })
        try await store.setStatus(record.id, .interrupted, from: .running)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/runs/\(record.id)/resume", method: .post, headers: F.headers(roles: "tenant_user")) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/runs/\(record.id)/resume", method: .post, headers: F.headers(tenant: "globex")) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/runs/nope/resume", method: .post, headers: F.headers()) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/runs/\(record.id)/resume", method: .post, headers: F.headers()) { response in
                #expect(response.status == .accepted)
                let data = try F.json(response)["data"]
                #expect(data?["status"] == "running")
                #expect(data?["attempt"] == 2)
            }
            var status = ""
            for _ in 0..<500 where status != "succeeded" {
                try await Task.sleep(for: .milliseconds(10))
                status = try await client.execute(uri: "/v1/runs/\(record.id)", method: .get, headers: F.headers()) { try F.json($0)["data"]?["status"]?.stringValue ?? "" }
            }
            #expect(status == "succeeded")
            try await client.execute(uri: "/v1/runs/\(record.id)", method: .get, headers: F.headers()) { response in
                let data = try F.json(response)["data"]
                #expect(data?["attempts"] == 2)
                #expect(data?["attempt_errors"]?[0]?.stringValue?.hasPrefix("attempt 1: interrupted") == true)
            }
            try await client.execute(uri: "/v1/runs/\(record.id)/resume", method: .post, headers: F.headers()) { response in
                #expect(response.status == .conflict)
                try #expect(F.json(response)["error"]?["code"] == "CONFLICT")
            }
        }
    }
}

@Suite("Gateway: live events")
struct GatewayLiveEventsTests {
    typealias F = GatewayFixture

    @Test("SSE opened while the run is in flight: events arrive live with the streamed text, numbered 1..N like the stored ones; a reconnect gets exactly the rest")
    func live() async throws {
        let fixture = try F(streaming: true) { request in
            try await Task.sleep(for: .milliseconds(150))
            return try await F.answer(request)
        }
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let id = try await client.execute(uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: F.body(["inputs": ["topic": "pricing", "target_keyword": "guide"]])) {
                try F.json($0)["data"]?["run_id"]?.stringValue ?? ""
            }
            let stream = try await client.execute(uri: "/v1/runs/\(id)/events", method: .get, headers: F.headers()) { String(buffer: $0.body) }
            #expect(stream.contains("event: text_delta"), "the streamed text arrives live")
            #expect(stream.contains("event: run_finished"))
            let ids = stream.components(separatedBy: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) }
            #expect(ids == Array(1...ids.count), "numbered without gaps, in order")
            let stored = try await fixture.services.store.events(of: RunID(id), after: 0).map(\.sequence)
            #expect(stored == ids)
            let resumed = try await client.execute(uri: "/v1/runs/\(id)/events", method: .get, headers: F.headers(extra: [HTTPField.Name("Last-Event-ID")!: String(ids[3])])) {
                String(buffer: $0.body)
            }
            #expect(resumed.components(separatedBy: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) } == Array(ids.dropFirst(4)))
        }
    }
}
