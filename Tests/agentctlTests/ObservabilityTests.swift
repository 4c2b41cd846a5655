import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `agentctl serve`'s signals over real processes: spans exported over OTLP to a receiver built on the
/// `opentelemetry-proto` package from PyPI, and the JSON log lines it writes on standard error.
@Suite("Observability of serve", .serialized)
struct ObservabilityTests {
    static let token = "obs-service-token-PLANTED-77aa"
    static let openAIKey = "sk-planted-openai-key-0123456789abcdef"
    static let promptSecret = "PLANTED-PROMPT-SECRET-42"
    static let argumentSecret = "PLANTED-TOOL-ARG-SECRET-7"

    /// Plays the models of a hierarchical crew: the manager delegates once to the researcher, then sums up; the
    /// researcher first calls a tool it does not have (denied, its arguments carrying a planted secret), then the
    /// calculator, then answers. The first `failures` requests are answered 500, then 429 (retried by the runtime).
    final class Model: @unchecked Sendable {
        private let lock = NSLock()
        private var failures: Int
        private(set) var traceparents: [String?] = []

        init(failures: Int = 0) { self.failures = failures }

        var received: [String?] { lock.withLock { traceparents } }

        func respond(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
            let failing: Int = lock.withLock {
                traceparents.append(request.headers["traceparent"])
                defer { failures -= 1 }
                return failures
            }
            if failing > 0 {
                return .init(
                    status: failing % 2 == 0 ? 500 : 429,
                    headers: ["Content-Type": "application/json", "Retry-After": "0"],
                    body:
                        #"{"error":{"message":"overloaded, key \#(ObservabilityTests.openAIKey)","type":"server_error"}}"#
                )
            }
            guard let body = try? JSONParser.value(request.body), case .array(let messages)? = body["messages"] else {
                return .init(status: 400, body: #"{"error":{"message":"bad request"}}"#)
            }
            let tools = (body["tools"]?.arrayValue ?? []).compactMap { $0["function"]?["name"]?.stringValue }
            let results = messages.filter { $0["role"] == "tool" }.count
            if tools.contains("delegate_work") {
                guard results == 0 else { return FakeModelServer.reply(.init(text: "Summary: 4."), to: body) }
                return FakeModelServer.reply(
                    .init(
                        call: (
                            name: "delegate_work",
                            arguments: #"{"task": "Work out 2+2", "context": "A sum", "coworker": "researcher"}"#
                        )), to: body)
            }
            switch results {
            case 0:
                return FakeModelServer.reply(
                    .init(
                        call: (name: "shell-exec", arguments: #"{"command": "\#(ObservabilityTests.argumentSecret)"}"#)),
                    to: body)
            case 1:
                let calculator = tools.first { $0.hasPrefix("calculator") } ?? "calculator-evaluate"
                return FakeModelServer.reply(
                    .init(call: (name: calculator, arguments: #"{"expression": "2+2"}"#)), to: body)
            default:
                return FakeModelServer.reply(.init(text: "It is 4."), to: body)
            }
        }
    }

    /// `agentctl serve` on the test's workspace (SQLite store, the test's token, a 5 s shutdown grace).
    final class Serve: ServeProcess {
        init(workspace: URL, environment: [String: String]) async throws {
            try await super.init(
                workspace: workspace,
                arguments: [
                    "--agents-dir", "agents", "--tenants-dir", "tenants", "--knowledge-dir", "knowledge", "--store",
                    "runs.sqlite", "--token-ref", "env:OBS_TOKEN", "--shutdown-grace", "5",
                ], environment: environment)
        }
    }

    static func workspace(extraConfig: String = "") throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.makeDirectory("knowledge")
        try directory.write(
            "agents/research/researcher.json",
            #"""
            {"id": "researcher", "name": "Researcher", "category": "research", "role": "Researcher", "goal": "Find answers",
             "backstory": "Careful.", "model": "openai/gpt-4o-mini", "temperature": 0.2, "max_tokens": 500,
             "tools": ["calculator.evaluate"]}
            """#)
        try directory.write(
            "agents/research/lead.json",
            #"""
            {"id": "lead", "name": "Lead", "category": "research", "role": "Lead", "goal": "Coordinate",
             "backstory": "Delegates.", "model": "openai/gpt-4o-mini"}
            """#)
        try directory.write(
            "agents/crews/observed.json",
            #"""
            {"id": "observed", "name": "Observed", "process": "hierarchical", "agents": ["researcher"], "manager": "lead",
             "inputs": {"topic": {"description": "The topic"}},
             "tasks": [{"id": "brief", "description": "Answer about {topic}", "expected_output": "An answer"}]}
            """#)
        try directory.write("tenants/acme.json", #"{"id": "acme", "name": "Acme"}"#)
        try directory.write("agentruntime.json", "{\"limits\": {\"max_wall_time_seconds\": 60}\(extraConfig)}")
        return directory
    }

    static func environment(model: LoopbackHTTPServer) -> [String: String] {
        [
            "OPENAI_API_KEY": openAIKey, "OPENAI_BASE_URL": model.baseURL.appendingPathComponent("v1").absoluteString,
            "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GROQ_API_KEY": "", "AGENTRUNTIME_DEFAULT_MODEL": "",
            "OBS_TOKEN": token, "OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "",
        ]
    }

    static func request(
        _ method: String, _ path: String, port: Int, body: String? = nil, extra: HTTPHeaders = HTTPHeaders()
    ) async throws -> JSONValue {
        var headers: HTTPHeaders = [
            "Authorization": "Bearer \(token)", "X-Tenant-ID": "acme", "X-User-ID": "ops-lead",
            "X-User-Roles": "tenant_admin", "Content-Type": "application/json",
        ]
        for field in extra { headers.set(field.name, field.value) }
        let response = try await URLSessionTransport().send(
            HTTPRequest(
                method: method, url: URL(string: "http://127.0.0.1:\(port)\(path)")!, headers: headers,
                body: body.map { Array($0.utf8) }, deadline: .now + .seconds(60)))
        return try JSONParser.value(response.body)
    }

    /// Runs the crew to its end (`wait: true`) and returns the run.
    static func run(port: Int, traceparent: String? = nil) async throws -> JSONValue {
        try await request(
            "POST", "/v1/crews/observed/runs", port: port,
            body: #"{"inputs": {"topic": "\#(promptSecret)"}, "wait": true}"#,
            extra: traceparent.map { ["traceparent": $0] } ?? HTTPHeaders())
    }

    @Test(
        "spans reach a real OTLP receiver: run, task, delegation, chat and tool spans in one tree under the caller's traceparent, GenAI attributes, no content by default"
    )
    func spansOverOTLP() async throws {
        let receiver = try await OTLPReceiver.start()
        defer { receiver.stop() }
        let model = Model()
        let server = try LoopbackHTTPServer { model.respond($0) }
        defer { server.stop() }
        let directory = try Self.workspace()
        var environment = Self.environment(model: server)
        environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint.absoluteString
        environment["OTEL_BSP_SCHEDULE_DELAY"] = "100"
        environment["OTEL_SERVICE_NAME"] = "agentruntime-test"
        let serve = try await Serve(workspace: directory.url, environment: environment)
        let caller = TraceContext.random()
        let run = try await Self.run(port: serve.port, traceparent: caller.traceparent)
        #expect(run["data"]?["status"] == "succeeded", "\(run)")
        let spans = try await receiver.spans { spans in
            spans.contains { $0["name"]?.stringValue == "invoke_agent observed" }
        }
        #expect(await serve.terminate())

        let byID = Dictionary(spans.map { ($0["span_id"]?.stringValue ?? "", $0) }, uniquingKeysWith: { $1 })
        func named(_ name: String) -> [JSONValue] { spans.filter { $0["name"]?.stringValue == name } }
        func parent(of span: JSONValue) -> JSONValue? { byID[span["parent_span_id"]?.stringValue ?? ""] }
        // One trace, the caller's; the run's span is the child of the caller's span.
        #expect(Set(spans.compactMap { $0["trace_id"]?.stringValue }) == [caller.traceID])
        let root = try #require(named("invoke_agent observed").first, "\(spans.map { $0["name"] ?? "" })")
        #expect(root["parent_span_id"]?.stringValue == caller.spanID)
        #expect(root["resource"]?["service.name"] == "agentruntime-test")
        #expect(root["attributes"]?["gen_ai.operation.name"] == "invoke_agent")
        #expect(root["attributes"]?["agentruntime.tenant"] == "acme")
        #expect(root["attributes"]?["agentruntime.run.status"] == "succeeded")
        #expect(root["attributes"]?["agentruntime.run.id"] == run["data"]?["run_id"])
        // The task, run by the manager.
        let task = try #require(named("invoke_agent lead").first)
        #expect(parent(of: task)?["span_id"] == root["span_id"])
        #expect(task["attributes"]?["agentruntime.task"] == "brief")
        // The manager's model calls, and its delegation as a tool call holding the coworker's work.
        let managerChats = named("chat gpt-4o-mini").filter { parent(of: $0)?["span_id"] == task["span_id"] }
        #expect(managerChats.count == 2)
        let delegation = try #require(named("execute_tool delegate_work").first)
        #expect(parent(of: delegation)?["span_id"] == task["span_id"])
        #expect(delegation["attributes"]?["gen_ai.tool.name"] == "delegate_work")
        #expect(delegation["attributes"]?["gen_ai.tool.call.id"] == "call_1")
        let coworker = try #require(named("invoke_agent researcher").first)
        #expect(parent(of: coworker)?["span_id"] == delegation["span_id"])
        let coworkerChats = named("chat gpt-4o-mini").filter { parent(of: $0)?["span_id"] == coworker["span_id"] }
        #expect(coworkerChats.count == 3)
        let tool = try #require(named("execute_tool calculator.evaluate").first)
        #expect(parent(of: tool)?["span_id"] == coworker["span_id"])
        #expect(tool["attributes"]?["gen_ai.operation.name"] == "execute_tool")
        #expect(tool["attributes"]?["agentruntime.tool.outcome"] == "success")
        // A model call's GenAI attributes (a client span).
        let chat = try #require(coworkerChats.first)
        #expect(chat["kind"] == 3)
        let attributes = try #require(chat["attributes"])
        #expect(attributes["gen_ai.operation.name"] == "chat")
        #expect(attributes["gen_ai.provider.name"] == "openai")
        #expect(attributes["gen_ai.request.model"] == "gpt-4o-mini")
        #expect(attributes["gen_ai.response.model"] == "gpt-4o-mini")
        #expect(attributes["gen_ai.request.temperature"] == .double(0.2))
        #expect(attributes["gen_ai.request.max_tokens"] == 500)
        #expect(attributes["gen_ai.usage.input_tokens"]?.intValue ?? 0 > 0)
        #expect(attributes["gen_ai.usage.output_tokens"]?.intValue ?? 0 > 0)
        #expect(attributes["gen_ai.response.finish_reasons"] == ["tool_calls"])
        // No prompt, completion or argument content without trace_include_content.
        let everything = spans.map { $0.serialized() }.joined()
        #expect(!everything.contains(Self.promptSecret))
        #expect(!everything.contains(Self.argumentSecret))
        #expect(!everything.contains("gen_ai.input.messages"))
        // Every provider request carried the traceparent of the model call's span.
        let chatSpans = Set(named("chat gpt-4o-mini").compactMap { $0["span_id"]?.stringValue })
        let sent = model.received.compactMap { $0.flatMap(TraceContext.init(traceparent:)) }
        #expect(sent.count == model.received.count && sent.count == 5)
        #expect(sent.allSatisfy { $0.traceID == caller.traceID && chatSpans.contains($0.spanID) })
    }

    @Test("with trace_include_content, chat spans carry the prompts and completions, tool spans the arguments")
    func spansWithContent() async throws {
        let receiver = try await OTLPReceiver.start()
        defer { receiver.stop() }
        let model = Model()
        let server = try LoopbackHTTPServer { model.respond($0) }
        defer { server.stop() }
        let directory = try Self.workspace(extraConfig: #", "trace_include_content": true"#)
        var environment = Self.environment(model: server)
        environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] =
            receiver.endpoint.appendingPathComponent("v1/traces")
            .absoluteString
        environment["OTEL_BSP_SCHEDULE_DELAY"] = "100"
        let serve = try await Serve(workspace: directory.url, environment: environment)
        let run = try await Self.run(port: serve.port)
        #expect(run["data"]?["status"] == "succeeded", "\(run)")
        let spans = try await receiver.spans { spans in
            spans.contains { $0["name"]?.stringValue == "invoke_agent observed" }
        }
        #expect(await serve.terminate())
        let manager = spans.first { $0["name"]?.stringValue == "chat gpt-4o-mini" }
        #expect(manager?["attributes"]?["gen_ai.input.messages"]?.stringValue?.contains(Self.promptSecret) == true)
        #expect(manager?["attributes"]?["gen_ai.output.messages"] != nil)
        let tool = spans.first { $0["name"]?.stringValue == "execute_tool calculator.evaluate" }
        #expect(tool?["attributes"]?["gen_ai.tool.call.arguments"]?.stringValue?.contains("2+2") == true)
        // Without a caller's traceparent the run starts a trace of its own.
        let root = spans.first { $0["name"]?.stringValue == "invoke_agent observed" }
        #expect(root?["parent_span_id"] == "")
    }

    @Test(
        "every line serve writes over a run, a denial, provider retries and a SIGTERM shutdown is a JSON object; no planted secret, prompt or tool argument appears"
    )
    func jsonLogs() async throws {
        let model = Model(failures: 2)
        let server = try LoopbackHTTPServer { model.respond($0) }
        defer { server.stop() }
        let directory = try Self.workspace()
        let serve = try await Serve(workspace: directory.url, environment: Self.environment(model: server))
        let run = try await Self.run(port: serve.port)
        #expect(run["data"]?["status"] == "succeeded", "\(run)")
        let metrics = try await URLSessionTransport().send(
            HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(serve.port)/metrics")!))
        Self.checkDashboardMetrics(String(decoding: metrics.body, as: UTF8.self))
        #expect(await serve.terminate())

        let lines = serve.lines
        #expect(lines.count > 5)
        var records: [JSONValue] = []
        for line in lines {
            let record = try? JSONParser.value(Array(line.utf8))
            #expect(
                record?["timestamp"]?.stringValue?.hasSuffix("Z") == true && record?["level"]?.stringValue != nil
                    && record?["message"]?.stringValue != nil, "not a JSON log record: \(line)")
            if let record { records.append(record) }
        }
        func has(_ message: String, _ check: (JSONValue) -> Bool = { _ in true }) -> Bool {
            records.contains { $0["message"]?.stringValue == message && check($0) }
        }
        let runID = try #require(run["data"]?["run_id"])
        #expect(
            has("request") {
                $0["route"] == "/v1/crews/{crew_id}/runs" && $0["status"] == 200 && $0["tenant"] == "acme"
                    && $0["user"] == "ops-lead" && $0["request_id"]?.stringValue != nil && $0["duration_ms"] != nil
            })
        #expect(has("run started") { $0["run_id"] == runID && $0["crew"] == "observed" && $0["tenant"] == "acme" })
        #expect(has("provider call failed; retrying") { $0["status"] == 500 && $0["provider"] == "openai" })
        #expect(has("provider call failed; retrying") { $0["status"] == 429 && $0["code"] == "rate_limited" })
        #expect(has("tool call denied") { $0["tool"] == "shell-exec" && $0["run_id"] == runID })
        #expect(has("run finished") { $0["status"] == "succeeded" && $0["cost_usd"] != nil && $0["run_id"] == runID })
        #expect(has("shutdown: draining runs"))
        #expect(has("shutdown: complete"))
        let text = lines.joined(separator: "\n")
        for planted in [Self.token, Self.openAIKey, Self.promptSecret, Self.argumentSecret, "2+2"] {
            #expect(!text.contains(planted), "\(planted) appears in the logs")
        }
    }

    /// Every metric the Grafana dashboard and the alert rules under `deploy/` query has samples in `/metrics` after a
    /// run with a tool call, a denial and provider retries; per-tenant series carry the tenant.
    static func checkDashboardMetrics(_ text: String) {
        let samples = Set(
            text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
                String(line.prefix { $0 != "{" && $0 != " " })
            })
        let files = ["deploy/grafana/agentruntime-dashboard.json", "deploy/prometheus/agentruntime-alerts.yml"]
        var queried: Set<String> = []
        for file in files {
            let content = (try? String(contentsOf: AgentCtl.root.appendingPathComponent(file), encoding: .utf8)) ?? ""
            #expect(!content.isEmpty, "\(file) is missing")
            for match in content.matches(of: /agentruntime_[a-z_]+/) { queried.insert(String(match.output)) }
        }
        #expect(queried.count >= 13)
        for name in queried.sorted() { #expect(samples.contains(name), "\(name) is queried but not in /metrics") }
        #expect(
            text.contains(
                #"agentruntime_tenant_cost_usd_total{tenant="acme",provider="openai",model="openai/gpt-4o-mini"}"#))
        #expect(text.contains(#"agentruntime_tool_outcomes_total{connector="calculator",outcome="success"} 1"#))
        #expect(text.contains(#"agentruntime_provider_retries_total{provider="openai",code="rate_limited"} 1"#))
        #expect(text.contains(#"agentruntime_leases{state="live"}"#))
        // No run ids or user ids as labels.
        #expect(!text.contains("ops-lead"))
    }
}
