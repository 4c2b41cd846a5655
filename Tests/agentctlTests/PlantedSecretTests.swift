import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// A tenant's connector secret, echoed back by the service in a result and in an error,
/// must never reach output, logs, events, run records, the audit log or the database files.
@Suite("Planted secret")
struct PlantedSecretTests {
    static let secret = "PLANTED-SECRET-7f3a9c1e"

    @Test("a planted secret appears nowhere")
    func planted() async throws {
        let wordpress = try LoopbackHTTPServer { request in
            if request.path.contains("page=2") {
                return .init(
                    status: 401,
                    body:
                        #"{"code":"incorrect_password","message":"Password \#(Self.secret) is invalid","data":{"status":401}}"#
                )
            }
            return .init(
                headers: ["Content-Type": "application/json", "X-WP-TotalPages": "2"],
                body:
                    #"[{"id":7,"status":"publish","title":{"rendered":"Hello"},"excerpt":{"rendered":"debug: auth was editor:\#(Self.secret)"}}]"#
            )
        }
        defer { wordpress.stop() }
        // A model that lists posts (page 1, then page 2), then repeats everything it saw in its answer.
        let model = try LoopbackHTTPServer { request in
            let body = (try? JSONParser.value(request.body)) ?? .null
            guard case .array(let messages)? = body["messages"] else { return .init(status: 400, body: "{}") }
            let results = messages.filter { $0["role"] == "tool" }.compactMap { $0["content"]?.stringValue }
            let message: JSONValue
            switch results.count {
            case 0:
                message = [
                    "role": "assistant", "content": nil,
                    "tool_calls": [
                        [
                            "id": "c1", "type": "function",
                            "function": ["name": "wordpress-list_posts", "arguments": "{}"],
                        ]
                    ],
                ]
            case 1:
                message = [
                    "role": "assistant", "content": nil,
                    "tool_calls": [
                        [
                            "id": "c2", "type": "function",
                            "function": ["name": "wordpress-list_posts", "arguments": #"{"cursor": "2"}"#],
                        ]
                    ],
                ]
            default: message = ["role": "assistant", "content": .string("I saw: " + results.joined(separator: " | "))]
            }
            let json: JSONValue = [
                "id": "x", "object": "chat.completion", "model": "m",
                "choices": [["index": 0, "message": message, "finish_reason": "stop"]],
                "usage": ["prompt_tokens": 10, "completion_tokens": 5],
            ]
            return .init(body: json.serialized())
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
        let store = directory.url.appendingPathComponent("runs.sqlite").path
        let environment = [
            "OPENAI_API_KEY": "sk-model-key-000000000",
            "OPENAI_BASE_URL": model.baseURL.appendingPathComponent("v1").absoluteString,
            "AGENTRUNTIME_TENANT_ACME_SECRET_WORDPRESS_2FAPP__PASSWORD": Self.secret,
            "AGENTRUNTIME_TENANTS_DIR": directory.url.appendingPathComponent("tenants").path,
            "AGENTRUNTIME_STORE": store, "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GROQ_API_KEY": "",
        ]
        let run = try await AgentCtl.run(
            [
                "invoke", "seo-specialist", "List our blog posts", "--tenant", "acme", "--role", "tenant_admin",
                "--model", "openai/gpt-4o-mini", "--verbose",
            ],
            environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(wordpress.requestCount == 2, "the connector really called the service twice")
        #expect(run.stdout.contains("[REDACTED]"))
        var outputs = [run.stdout, run.stderr]
        let listed = try await AgentCtl.run(["runs", "list", "--tenant", "acme", "--json"], environment: environment)
        outputs.append(listed.stdout)
        let runID = try #require(
            (try JSONParser.value(listed.stdout))[0]?["run_id"]?.stringValue
                ?? {
                    if case .array(let items) = try JSONParser.value(listed.stdout) {
                        return items.first?["run_id"]?.stringValue
                    } else {
                        return nil
                    }
                }())
        for command in [["runs", "show", runID, "--json"], ["runs", "events", runID, "--json"], ["audit", "--json"]] {
            let result = try await AgentCtl.run(command + ["--tenant", "acme"], environment: environment)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            outputs.append(result.stdout)
            outputs.append(result.stderr)
        }
        #expect(outputs[outputs.count - 2].contains("wordpress.list_posts"), "the audit log has the calls")
        for (index, text) in outputs.enumerated() {
            #expect(!text.contains(Self.secret), "output \(index) contains the planted secret")
        }
        for suffix in ["", "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: store + suffix))) ?? Data()
            #expect(bytes.range(of: Data(Self.secret.utf8)) == nil, "runs.sqlite\(suffix) contains the planted secret")
        }
    }
}

extension JSONValue {
    fileprivate subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, index < items.count { return items[index] }
        return nil
    }
}
