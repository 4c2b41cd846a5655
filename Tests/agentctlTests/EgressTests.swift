import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// A tenant whose connector points inside the platform's network (here: the loopback interface) reaches nothing
/// unless the operator's `egress.allow_hosts` says so; the model is told why.
@Suite("Egress through agentctl")
struct EgressTests {
    @Test("a tenant's WordPress base_url on 127.0.0.1 is refused by default and reached once allow-listed")
    func loopbackConnector() async throws {
        let wordpress = try LoopbackHTTPServer { _ in
            .init(
                headers: ["Content-Type": "application/json", "X-WP-TotalPages": "1"],
                body: #"[{"id":7,"status":"publish","title":{"rendered":"Hello"}}]"#)
        }
        defer { wordpress.stop() }
        // A model that lists posts once, then repeats what the tool said.
        let model = try LoopbackHTTPServer { request in
            let body = (try? JSONParser.value(request.body)) ?? .null
            guard case .array(let messages)? = body["messages"] else { return .init(status: 400, body: "{}") }
            let results = messages.filter { $0["role"] == "tool" }.compactMap { $0["content"]?.stringValue }
            return FakeModelServer.reply(
                results.isEmpty
                    ? .init(call: ("wordpress-list_posts", "{}"))
                    : .init(text: "The tool said: " + results.joined(separator: " | ")),
                to: body)
        }
        defer { model.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "tenants/acme.json",
            """
            {"id": "acme", "name": "Acme", "connectors": {"wordpress": {"settings": {"site_url": "https://blog.acme.test", "username": "editor", "base_url": "\(wordpress.baseURL.absoluteString)"},
             "secrets": {"app_password": "wordpress/app_password"}}}}
            """)
        // Development mode (plain http allowed) with nothing on the allow-list.
        try directory.write("development.json", #"{"egress": {"require_https": false}}"#)
        try directory.write(
            "allowed.json", #"{"egress": {"allow_hosts": ["127.0.0.1"], "require_https": false}}"#)
        func invoke(config: String) async throws -> AgentCtl.Result {
            try await AgentCtl.run(
                [
                    "invoke", "seo-specialist", "List our blog posts", "--tenant", "acme", "--role", "tenant_admin",
                    "--model", "openai/gpt-4o-mini",
                ],
                environment: [
                    "OPENAI_API_KEY": "sk-model-key-000000000",
                    "OPENAI_BASE_URL": model.baseURL.appendingPathComponent("v1").absoluteString,
                    "AGENTRUNTIME_TENANT_ACME_SECRET_WORDPRESS_2FAPP__PASSWORD": "app-password-0000",
                    "AGENTRUNTIME_TENANTS_DIR": directory.url.appendingPathComponent("tenants").path,
                    "AGENTRUNTIME_CONFIG": directory.url.appendingPathComponent(config).path,
                    "AGENTRUNTIME_STORE": directory.url.appendingPathComponent("runs.sqlite").path,
                    "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GROQ_API_KEY": "",
                ])
        }

        let refused = try await invoke(config: "development.json")
        #expect(refused.status == 0, "\(refused.stderr)")
        #expect(wordpress.requestCount == 0, "the loopback service was reached")
        #expect(
            refused.stdout.contains("wordpress may not connect there: 127.0.0.1 is a loopback address"),
            "\(refused.stdout)")

        let allowed = try await invoke(config: "allowed.json")
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(wordpress.requestCount == 1)
        #expect(allowed.stdout.contains("Hello"), "\(allowed.stdout)")
    }
}
