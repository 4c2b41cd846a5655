import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Durability over real processes: `agentctl serve` is killed with SIGKILL in the middle of a run and started
/// again on the same store; the run is carried on from its journal.
@Suite("Durable runs across kill -9", .serialized)
struct DurabilityTests {
    /// A model that counts requests per task, calls the Slack tool in task one, and (once) hangs in task two.
    final class Model: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        private var hang = true
        private var hanging = false
        private var released = false

        func count(_ task: String) -> Int { lock.withLock { counts[task, default: 0] } }
        var isHanging: Bool { lock.withLock { hanging } }
        func release() { lock.withLock { released = true } }

        func respond(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
            guard let body = try? JSONParser.value(request.body), case .array(let messages)? = body["messages"] else {
                return .init(status: 400, body: #"{"error":{"message":"bad request"}}"#)
            }
            let user = messages.last { $0["role"] == "user" }?["content"]?.stringValue ?? ""
            let task = ["one", "two", "three"].first { user.contains("Step \($0):") } ?? "other"
            let shouldHang: Bool = lock.withLock {
                counts[task, default: 0] += 1
                guard task == "two", hang else { return false }
                hang = false
                hanging = true
                return true
            }
            if shouldHang {
                // The serving process is killed while it waits here; this answer never arrives.
                let end = Date().addingTimeInterval(60)
                while Date() < end, !lock.withLock({ released }) { Thread.sleep(forTimeInterval: 0.02) }
            }
            let hasResult = messages.contains { $0["role"] == "tool" }
            if task == "one", !hasResult {
                return FakeModelServer.reply(
                    .init(call: (name: "slack-post_message", arguments: #"{"channel": "C1", "text": "We launched"}"#)),
                    to: body)
            }
            return FakeModelServer.reply(.init(text: "Step \(task) done"), to: body)
        }
    }

    /// `agentctl serve` as a child process.
    final class Serve: ServeProcess {
        init(workspace: URL, environment: [String: String]) async throws {
            try await super.init(
                workspace: workspace,
                arguments: [
                    "--agents-dir", "agents", "--tenants-dir", "tenants", "--knowledge-dir", "knowledge",
                    "--store", "runs.sqlite", "--token-ref", "env:DURABILITY_TOKEN",
                ], environment: environment)
        }
    }

    static let token = "durability-token"

    static func workspace() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let root = directory.url
        for folder in ["agents/ops", "agents/crews", "tenants", "knowledge"] {
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try writeAgent(tool: "slack.post_message", in: root)
        try #"""
        {"id": "announce", "name": "Announce", "process": "sequential", "agents": ["announcer"], "tasks": [
          {"id": "one", "description": "Step one: post the launch note to Slack", "expected_output": "Confirmation", "agent": "announcer"},
          {"id": "two", "description": "Step two: draft the follow-up", "expected_output": "A draft", "agent": "announcer"},
          {"id": "three", "description": "Step three: summarise", "expected_output": "A summary", "agent": "announcer"}]}
        """#.write(to: root.appendingPathComponent("agents/crews/announce.json"), atomically: true, encoding: .utf8)
        try config().write(to: root.appendingPathComponent("agentruntime.json"), atomically: true, encoding: .utf8)
        return directory
    }

    /// The runtime config: the loopback servers playing Slack and Stripe are internal, plain-http addresses the
    /// operator allows; `extra` fields are added.
    static func config(_ extra: String = "") -> String {
        #"{"egress": {"allow_hosts": ["127.0.0.1"], "require_https": false}\#(extra)}"#
    }

    static func tenant(slack: URL, stripe: URL? = nil, in root: URL) throws {
        let stripeEntry =
            stripe.map {
                #", "stripe": {"settings": {"base_url": "\#($0.absoluteString)"}, "secrets": {"secret_key": "stripe/secret_key"}}"#
            } ?? ""
        try """
        {"id": "acme", "name": "Acme", "approvals": "listed", "connectors": {"slack": {"settings": {"base_url": "\(slack.absoluteString)"}, "secrets": {"bot_token": "slack/bot_token"}}\(stripeEntry)}}
        """.write(to: root.appendingPathComponent("tenants/acme.json"), atomically: true, encoding: .utf8)
    }

    /// The crew's one agent, with one tool.
    static func writeAgent(tool: String, in root: URL) throws {
        try """
        {"id": "announcer", "name": "Announcer", "category": "ops", "role": "Launch announcer", "goal": "Tell the team about launches",
         "backstory": "Keeps everyone informed.", "model": "openai/gpt-4o-mini", "tools": ["\(tool)"]}
        """.write(to: root.appendingPathComponent("agents/ops/announcer.json"), atomically: true, encoding: .utf8)
    }

    /// The run as the API shows it once it has ended (or after 30 s).
    static func finished(_ runID: String, port: Int) async throws -> JSONValue {
        var run: JSONValue = .null
        let end = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < end {
            run = try await request("GET", "/v1/runs/\(runID)", port: port)
            if let status = run["data"]?["status"]?.stringValue, RunStatus(rawValue: status)?.isFinal == true { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return run
    }

    /// The environment serve and the CLI run with: the model server as OpenAI, the tenant's secrets, the token.
    static func environment(model: LoopbackHTTPServer, secrets: [String: String]) -> [String: String] {
        [
            "OPENAI_API_KEY": "sk-durability-000000000000",
            "OPENAI_BASE_URL": model.baseURL.appendingPathComponent("v1").absoluteString,
            "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GROQ_API_KEY": "", "AGENTRUNTIME_DEFAULT_MODEL": "",
            "DURABILITY_TOKEN": token,
        ].merging(secrets) { $1 }
    }

    /// Starts serve and a run of the crew (not waiting for it).
    static func startRun(in workspace: URL, environment: [String: String]) async throws -> (Serve, String) {
        let serve = try await Serve(workspace: workspace, environment: environment)
        let started = try await request(
            "POST", "/v1/crews/announce/runs", port: serve.port, body: #"{"inputs": {}, "wait": false}"#)
        return (serve, try #require(started["data"]?["run_id"]?.stringValue, "\(started)"))
    }

    static func request(_ method: String, _ path: String, port: Int, body: String? = nil) async throws -> JSONValue {
        let headers: HTTPHeaders = [
            "Authorization": "Bearer \(token)", "X-Tenant-ID": "acme", "X-User-ID": "ops-lead",
            "X-User-Roles": "tenant_admin",
            "Content-Type": "application/json",
        ]
        let response = try await URLSessionTransport().send(
            HTTPRequest(
                method: method, url: URL(string: "http://127.0.0.1:\(port)\(path)")!, headers: headers,
                body: body.map { Array($0.utf8) },
                deadline: .now + .seconds(10)))
        return try JSONParser.value(response.body)
    }

    @Test("kill -9 during task two's model call; the next serve carries the run on: nothing paid or posted twice")
    func killDuringModelCall() async throws {
        let model = Model()
        let modelServer = try LoopbackHTTPServer { model.respond($0) }
        defer {
            model.release()
            modelServer.stop()
        }
        let slack = try LoopbackHTTPServer { request in
            request.path.hasSuffix("chat.postMessage")
                ? .init(body: #"{"ok": true, "channel": "C1", "ts": "1700000000.000100"}"#)
                : .init(status: 404, body: #"{"ok": false, "error": "unknown_method"}"#)
        }
        defer { slack.stop() }
        let directory = try Self.workspace()
        defer { directory.remove() }
        try Self.tenant(slack: slack.baseURL, in: directory.url)
        let environment = Self.environment(
            model: modelServer, secrets: ["AGENTRUNTIME_TENANT_ACME_SECRET_SLACK_2FBOT__TOKEN": "xoxb-durability-token"]
        )
        let (first, runID) = try await Self.startRun(in: directory.url, environment: environment)
        let deadline = ContinuousClock.now + .seconds(30)
        while !model.isHanging, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(model.isHanging, "task two's model call never arrived")
        await first.kill9()
        #expect(slack.requestCount == 1)

        let second = try await Serve(workspace: directory.url, environment: environment)
        defer { kill(second.process.processIdentifier, SIGKILL) }
        let run = try await Self.finished(runID, port: second.port)
        let data = try #require(run["data"], "\(run)")
        #expect(data["status"] == "succeeded", "\(data)")
        #expect(
            model.count("one") == 1 + 1,
            "task one (a tool call, then the answer) was asked once, not again after the restart")
        #expect(model.count("two") == 2, "the call cut off by the kill was made again, once")
        #expect(model.count("three") == 1)
        #expect(slack.requestCount == 1, "the Slack message was posted exactly once")
        #expect(data["attempts"] == 2)
        #expect(data["attempt_errors"]?.arrayValue?.count == 1)
        // Four answered calls of 10 + 5 tokens each: the first attempt's are counted too.
        #expect(data["usage"]?["input_tokens"] == 40)
        #expect(data["usage"]?["output_tokens"] == 20)
        #expect(data["output"] == "Step three done")
    }

    @Test(
        "a run waiting for approval survives kill -9: approved from another process, the next serve carries it on and the write happens once"
    )
    func approvalAcrossRestart() async throws {
        let model = try LoopbackHTTPServer { request in
            guard let body = try? JSONParser.value(request.body), case .array(let messages)? = body["messages"] else {
                return .init(status: 400, body: "{}")
            }
            let user = messages.last { $0["role"] == "user" }?["content"]?.stringValue ?? ""
            if user.contains("Step one:"), !messages.contains(where: { $0["role"] == "tool" }) {
                return FakeModelServer.reply(
                    .init(
                        call: (
                            name: "stripe-create_customer", arguments: #"{"email": "ada@example.com", "name": "Ada"}"#
                        )), to: body)
            }
            return FakeModelServer.reply(.init(text: "done: \(user.prefix(12))"), to: body)
        }
        defer { model.stop() }
        let stripe = try LoopbackHTTPServer { request in
            request.path == "/v1/customers" || request.path == "/customers"
                ? .init(body: #"{"id": "cus_1", "object": "customer", "email": "ada@example.com", "name": "Ada"}"#)
                : .init(status: 404, body: #"{"error": {"type": "invalid_request_error", "message": "no such route"}}"#)
        }
        defer { stripe.stop() }
        let slack = try LoopbackHTTPServer { _ in .init(body: #"{"ok": true}"#) }
        defer { slack.stop() }
        let directory = try Self.workspace()
        defer { directory.remove() }
        try Self.tenant(slack: slack.baseURL, stripe: stripe.baseURL, in: directory.url)
        try Self.writeAgent(tool: "stripe.create_customer", in: directory.url)
        let environment = Self.environment(
            model: model, secrets: ["AGENTRUNTIME_TENANT_ACME_SECRET_STRIPE_2FSECRET__KEY": "sk_test_durability"])
        let (first, runID) = try await Self.startRun(in: directory.url, environment: environment)
        var approvalID = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while approvalID.isEmpty, ContinuousClock.now < deadline {
            let run = try await Self.request("GET", "/v1/runs/\(runID)", port: first.port)
            if run["data"]?["status"] == "awaiting_approval" {
                approvalID =
                    try await Self.request("GET", "/v1/runs/\(runID)/approvals", port: first.port)["data"]?[0]?[
                        "approval_id"]?.stringValue ?? ""
            }
            if approvalID.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        try #require(!approvalID.isEmpty, "the run never asked for approval")
        await first.kill9()
        #expect(stripe.requestCount == 0)

        let second = try await Serve(workspace: directory.url, environment: environment)
        defer { kill(second.process.processIdentifier, SIGKILL) }
        #expect(
            try await Self.request("GET", "/v1/runs/\(runID)", port: second.port)["data"]?["status"]
                == "awaiting_approval", "a waiting run stays waiting")
        let approved = try await AgentCtl.run(
            ["approvals", "approve", approvalID, "--tenant", "acme", "--store", "runs.sqlite"], in: directory.url,
            environment: environment)
        #expect(approved.status == 0, "\(approved.stderr)")
        let run = try await Self.finished(runID, port: second.port)
        #expect(run["data"]?["status"] == "succeeded", "\(run)")
        #expect(stripe.requestCount == 1, "the approved write happened exactly once")
        #expect(stripe.receivedRequests.first?.headers["idempotency-key"] != nil)
        #expect(run["data"]?["attempts"] == 2)
        let again = try await AgentCtl.run(
            ["approvals", "approve", approvalID, "--tenant", "acme", "--store", "runs.sqlite"], in: directory.url,
            environment: environment)
        #expect(again.status != 0, "an approval of an ended run changes nothing")
    }

    @Test(
        "an approval nobody decides expires under serve: the run is carried on, the model is told, and nothing is written"
    )
    func approvalExpires() async throws {
        let model = try LoopbackHTTPServer { request in
            guard let body = try? JSONParser.value(request.body), case .array(let messages)? = body["messages"] else {
                return .init(status: 400, body: "{}")
            }
            let user = messages.last { $0["role"] == "user" }?["content"]?.stringValue ?? ""
            if let result = messages.last(where: { $0["role"] == "tool" })?["content"]?.stringValue {
                return FakeModelServer.reply(.init(text: "told: \(result.prefix(60))"), to: body)
            }
            if user.contains("Step one:") {
                return FakeModelServer.reply(
                    .init(call: (name: "stripe-create_customer", arguments: #"{"email": "ada@example.com"}"#)), to: body
                )
            }
            return FakeModelServer.reply(.init(text: "done"), to: body)
        }
        defer { model.stop() }
        let stripe = try LoopbackHTTPServer { _ in .init(body: #"{"id": "cus_1", "object": "customer"}"#) }
        defer { stripe.stop() }
        let directory = try Self.workspace()
        defer { directory.remove() }
        try Self.tenant(slack: stripe.baseURL, stripe: stripe.baseURL, in: directory.url)
        try Self.writeAgent(tool: "stripe.create_customer", in: directory.url)
        try Self.config(#", "approval_expiry_seconds": 1"#).write(
            to: directory.url.appendingPathComponent("agentruntime.json"), atomically: true, encoding: .utf8)
        let environment = Self.environment(
            model: model, secrets: ["AGENTRUNTIME_TENANT_ACME_SECRET_STRIPE_2FSECRET__KEY": "sk_test_durability"])
        let (serve, runID) = try await Self.startRun(in: directory.url, environment: environment)
        defer { kill(serve.process.processIdentifier, SIGKILL) }
        let run = try await Self.finished(runID, port: serve.port)
        #expect(run["data"]?["status"] == "succeeded", "\(run)")
        #expect(stripe.requestCount == 0, "an expired approval sends nothing")
        #expect(run["data"]?["attempts"] == 2)
        let approvals = try await Self.request("GET", "/v1/runs/\(runID)/approvals", port: serve.port)
        #expect(approvals["data"]?[0]?["status"] == "expired")
        #expect(run["data"]?["output"]?.stringValue?.isEmpty == false)
    }
}
