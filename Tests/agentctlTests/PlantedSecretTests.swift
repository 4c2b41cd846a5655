import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

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
        // The loopback server playing WordPress is an internal, plain-http address: the operator allows it.
        try directory.write(
            "agentruntime.json", #"{"egress": {"allow_hosts": ["127.0.0.1"], "require_https": false}}"#)
        let store = directory.url.appendingPathComponent("runs.sqlite").path
        let environment = [
            "AGENTRUNTIME_CONFIG": directory.url.appendingPathComponent("agentruntime.json").path,
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

/// Services that echo the credential they were sent (HTTP Basic), in every form a secret travels in: it reaches no
/// output, event (stored or streamed over SSE), audit entry, recorded exchange, database file, or prompt.
@Suite("Echoed credentials")
struct EchoedCredentialTests {
    /// A WordPress application password (spaces, `/`, `+`, a quote, non-ASCII) and a Mailchimp key.
    static let password = "abcd EFGH/1234+ijkl é\"x"
    static let mailchimpKey = "0f1e2d3c4b5a69788796a5b4c3d2e1f0-us21"

    /// Answers the model's turns: list posts, list campaigns, page 2 of posts (a 401), then a final answer that
    /// repeats every tool result it read.
    static func model(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        let body = (try? JSONParser.value(request.body)) ?? .null
        guard case .array(let messages)? = body["messages"] else { return .init(status: 400, body: "{}") }
        let results = messages.filter { $0["role"] == "tool" }.compactMap { $0["content"]?.stringValue }
        let calls: [(String, String)] = [
            ("wordpress-list_posts", "{}"), ("mailchimp-list_campaigns", "{}"),
            ("wordpress-list_posts", #"{"cursor": "2"}"#),
        ]
        let message: JSONValue
        if results.count < calls.count {
            let (name, arguments) = calls[results.count]
            message = [
                "role": "assistant", "content": nil,
                "tool_calls": [
                    [
                        "id": .string("c\(results.count)"), "type": "function",
                        "function": ["name": .string(name), "arguments": .string(arguments)],
                    ]
                ],
            ]
        } else {
            message = ["role": "assistant", "content": .string("I saw: " + results.joined(separator: " | "))]
        }
        let json: JSONValue = [
            "id": "x", "object": "chat.completion", "model": "m",
            "choices": [["index": 0, "message": message, "finish_reason": "stop"]],
            "usage": ["prompt_tokens": 10, "completion_tokens": 5],
        ]
        return .init(body: json.serialized())
    }

    @Test("WordPress and Mailchimp echo the Basic header and the secret in every form: it appears nowhere")
    func echoed() async throws {
        let wordpress = try LoopbackHTTPServer(handler: SecretEcho.wordpress)
        defer { wordpress.stop() }
        let mailchimp = try LoopbackHTTPServer { request in
            let echo = SecretEcho.echo(authorization: request.headers["authorization"] ?? "")
            let campaigns: JSONValue = [
                "campaigns": [
                    [
                        "id": "c1", "status": "sent",
                        "settings": ["title": .string(echo), "subject_line": .string(echo)],
                    ]
                ],
                "total_items": 1,
            ]
            return .init(body: campaigns.serialized())
        }
        defer { mailchimp.stop() }
        let model = try LoopbackHTTPServer(handler: Self.model)
        defer { model.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "tenants/acme.json",
            """
            {"id": "acme", "name": "Acme", "connectors": {
              "wordpress": {"settings": {"site_url": "https://blog.acme.test", "username": "editor", "base_url": "\(wordpress.baseURL.absoluteString)"},
                            "secrets": {"app_password": "wordpress/app_password"}},
              "mailchimp": {"settings": {"base_url": "\(mailchimp.baseURL.absoluteString)"}, "secrets": {"api_key": "mailchimp/api_key"}}}}
            """)
        let store = directory.url.appendingPathComponent("runs.sqlite").path
        try directory.write(
            "agentruntime.json", #"{"egress": {"allow_hosts": ["127.0.0.1"], "require_https": false}}"#)
        let environment = [
            "AGENTRUNTIME_CONFIG": directory.url.appendingPathComponent("agentruntime.json").path,
            "OPENAI_API_KEY": "sk-model-key-000000000",
            "OPENAI_BASE_URL": model.baseURL.appendingPathComponent("v1").absoluteString,
            "AGENTRUNTIME_TENANT_ACME_SECRET_WORDPRESS_2FAPP__PASSWORD": Self.password,
            "AGENTRUNTIME_TENANT_ACME_SECRET_MAILCHIMP_2FAPI__KEY": Self.mailchimpKey,
            "AGENTRUNTIME_TENANTS_DIR": directory.url.appendingPathComponent("tenants").path,
            "AGENTRUNTIME_STORE": store, "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GROQ_API_KEY": "",
        ]
        let run = try await AgentCtl.run(
            [
                "invoke", "newsletter-writer", "Draft this month's newsletter", "--tenant", "acme", "--role",
                "tenant_admin", "--model", "openai/gpt-4o-mini", "--verbose",
            ],
            environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(wordpress.requestCount == 2 && mailchimp.requestCount == 1, "the connectors really called the services")
        #expect(run.stdout.contains("[REDACTED]"), "the model repeated masked results")
        var outputs = ["stdout": run.stdout, "stderr": run.stderr]
        let listed = try await AgentCtl.run(["runs", "list", "--tenant", "acme", "--json"], environment: environment)
        guard case .array(let runs) = try JSONParser.value(listed.stdout),
            let runID = runs.first?["run_id"]?.stringValue
        else {
            Issue.record("no run listed: \(listed.stdout) \(listed.stderr)")
            return
        }
        for command in [["runs", "show", runID, "--json"], ["runs", "events", runID, "--json"], ["audit", "--json"]] {
            let result = try await AgentCtl.run(command + ["--tenant", "acme"], environment: environment)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            outputs[command.joined(separator: " ")] = result.stdout + result.stderr
        }
        outputs["sse"] = try await Self.streamedEvents(runID, store: directory.url, environment: environment)
        #expect(outputs["sse"]?.contains("run_finished") == true, "the stream replayed the run")
        for (index, request) in model.receivedRequests.enumerated() { outputs["prompt \(index + 1)"] = request.text }
        let files = ["", "-wal"].map { suffix in
            (
                "runs.sqlite\(suffix)",
                String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: store + suffix))) ?? Data(), as: UTF8.self)
            )
        }
        for (name, text) in files { outputs[name] = text }
        let forms =
            SecretEcho.forms(of: Self.password, user: "editor")
            + SecretEcho.forms(of: Self.mailchimpKey, user: "anystring")
        for (name, text) in outputs.sorted(by: { $0.key < $1.key }) {
            for form in forms { #expect(!text.contains(form), "\(name) contains \(form)") }
        }
    }

    /// The run's events as `serve` streams them over SSE (from the same store).
    static func streamedEvents(_ runID: String, store: URL, environment: [String: String]) async throws -> String {
        for folder in ["agents", "knowledge", "connectors"] {
            try FileManager.default.copyItem(
                at: AgentCtl.root.appendingPathComponent(folder), to: store.appendingPathComponent(folder))
        }
        let serve = try await DurabilityTests.Serve(
            workspace: store, environment: environment.merging(["DURABILITY_TOKEN": DurabilityTests.token]) { $1 })
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let response = try await URLSessionTransport().send(
            HTTPRequest(
                method: "GET", url: URL(string: "http://127.0.0.1:\(serve.port)/v1/runs/\(runID)/events")!,
                headers: [
                    "Authorization": "Bearer \(DurabilityTests.token)", "X-Tenant-ID": "acme", "X-User-ID": "ops-lead",
                    "X-User-Roles": "tenant_admin", "Accept": "text/event-stream",
                ], deadline: .now + .seconds(20)))
        return String(decoding: response.body, as: UTF8.self)
    }
}

extension JSONValue {
    fileprivate subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, index < items.count { return items[index] }
        return nil
    }
}
