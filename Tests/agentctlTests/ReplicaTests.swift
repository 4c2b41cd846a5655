import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several `agentctl serve` replicas on one PostgreSQL database (a real server started by the tests), as real
/// processes: runs submitted to any replica are queued in the database and each executed once; status and events
/// from every replica; a replica killed with SIGKILL has its runs carried on by the others once their leases
/// expire; cancel and approvals through a replica other than the one executing; the tenant's in-flight limit
/// holds across replicas.
@Suite("Replicas on one PostgreSQL database", .serialized)
struct ReplicaTests {
    static let token = "replica-token"
    /// Leases in these tests: long enough that a replica slowed down by the rest of the suite running beside it on
    /// two cores still renews in time (a renewal every third of it), short enough to wait out after a kill.
    static let leaseSeconds = 6

    /// A model server that counts requests per run and step (`Step one for run 7`), can hold requests until told
    /// to answer, asks for the write tool in step one, and otherwise answers with text.
    final class Model: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        private var holding: (String) -> Bool = { _ in false }
        private var held: Set<String> = []
        private var released = false
        /// The tool step one asks for (nil: none).
        let tool: (name: String, arguments: String)?

        init(tool: (name: String, arguments: String)? = nil) { self.tool = tool }

        /// Requests for a step of a run (`one:7`).
        func count(_ key: String) -> Int { lock.withLock { counts[key, default: 0] } }
        /// Requests in all.
        var total: Int { lock.withLock { counts.values.reduce(0, +) } }
        /// Every key's count.
        var all: [String: Int] { lock.withLock { counts } }
        /// Requests being held now.
        var heldCount: Int { lock.withLock { held.count } }

        /// Holds the first request of every step `key` the predicate names, until ``release()``.
        func hold(_ predicate: @escaping (String) -> Bool) { lock.withLock { holding = predicate } }
        /// Answers every held request (and holds no more).
        func release() {
            lock.withLock {
                released = true
                holding = { _ in false }
            }
        }

        func respond(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
            guard let body = try? JSONParser.value(request.body), case .array(let messages)? = body["messages"] else {
                return .init(status: 400, body: #"{"error":{"message":"bad request"}}"#)
            }
            let user = messages.last { $0["role"] == "user" }?["content"]?.stringValue ?? ""
            var key = "other"
            if let range = user.range(of: #"Step (one|two|three) for run \d+"#, options: .regularExpression) {
                let words = user[range].split(separator: " ")
                key = "\(words[1]):\(words[4])"
            }
            let hasResult = messages.contains { $0["role"] == "tool" }
            let hold: Bool = lock.withLock {
                counts[key, default: 0] += 1
                guard !released, holding(key), !held.contains(key) else { return false }
                held.insert(key)
                return true
            }
            if hold {
                let end = Date().addingTimeInterval(60)
                while Date() < end, !lock.withLock({ released }) { Thread.sleep(forTimeInterval: 0.01) }
            }
            if key.hasPrefix("one:"), !hasResult, let tool {
                return FakeModelServer.reply(.init(call: tool), to: body)
            }
            return FakeModelServer.reply(.init(text: "\(key) done"), to: body)
        }
    }

    /// `agentctl serve` on the shared database, as a child process.
    final class Replica: ServeProcess {
        init(workspace: URL, store: String, environment: [String: String], arguments: [String] = []) async throws {
            try await super.init(
                workspace: workspace,
                arguments: [
                    "--agents-dir", "agents", "--tenants-dir", "tenants", "--knowledge-dir", "knowledge", "--store",
                    store, "--platform-token-ref", "env:REPLICA_TOKEN", "--lease-seconds",
                    String(ReplicaTests.leaseSeconds), "--requests-per-minute", "100000",
                ] + arguments, environment: environment)
        }
    }

    struct ReplicaError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A workspace with one agent (with `tool`, if any), a three-step crew, and the tenant `acme`.
    static func workspace(tool: String?, slack: URL, stripe: URL) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let root = directory.url
        for folder in ["agents/ops", "agents/crews", "tenants", "knowledge"] {
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try """
        {"id": "worker", "name": "Worker", "category": "ops", "role": "Operations worker", "goal": "Do each step",
         "backstory": "Careful.", "model": "openai/gpt-4o-mini", "tools": [\(tool.map { "\"\($0)\"" } ?? "")]}
        """.write(to: root.appendingPathComponent("agents/ops/worker.json"), atomically: true, encoding: .utf8)
        try #"""
        {"id": "steps", "name": "Steps", "process": "sequential", "agents": ["worker"],
         "inputs": {"n": {"description": "The run number"}}, "tasks": [
          {"id": "one", "description": "Step one for run {n}", "expected_output": "Done", "agent": "worker"},
          {"id": "two", "description": "Step two for run {n}", "expected_output": "Done", "agent": "worker"},
          {"id": "three", "description": "Step three for run {n}", "expected_output": "Done", "agent": "worker"}]}
        """#.write(to: root.appendingPathComponent("agents/crews/steps.json"), atomically: true, encoding: .utf8)
        try """
        {"id": "acme", "name": "Acme", "approvals": "listed", "connectors": {
          "slack": {"settings": {"base_url": "\(slack.absoluteString)"}, "secrets": {"bot_token": "slack/bot_token"}},
          "stripe": {"settings": {"base_url": "\(stripe.absoluteString)"}, "secrets": {"secret_key": "stripe/secret_key"}}}}
        """.write(to: root.appendingPathComponent("tenants/acme.json"), atomically: true, encoding: .utf8)
        // The loopback servers playing Slack and Stripe are internal, plain-http addresses the operator allows.
        try #"{"egress": {"allow_hosts": ["127.0.0.1"], "require_https": false}}"#.write(
            to: root.appendingPathComponent("agentruntime.json"), atomically: true, encoding: .utf8)
        return directory
    }

    static func environment(model: LoopbackHTTPServer) -> [String: String] {
        [
            "OPENAI_API_KEY": "sk-replica-000000000000",
            "OPENAI_BASE_URL": model.baseURL.appendingPathComponent("v1").absoluteString,
            "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GROQ_API_KEY": "", "AGENTRUNTIME_DEFAULT_MODEL": "",
            "REPLICA_TOKEN": token,
            "AGENTRUNTIME_TENANT_ACME_SECRET_SLACK_2FBOT__TOKEN": "xoxb-replica-0000",
            "AGENTRUNTIME_TENANT_ACME_SECRET_STRIPE_2FSECRET__KEY": "sk_test_replica",
        ]
    }

    /// A request to a replica; returns the status and the JSON body.
    static func call(
        _ method: String, _ path: String, port: Int, body: String? = nil, role: String = "tenant_admin"
    ) async throws -> (status: Int, json: JSONValue) {
        let headers: HTTPHeaders = [
            "Authorization": "Bearer \(token)", "X-Tenant-ID": "acme", "X-User-ID": "ops-lead", "X-User-Roles": role,
            "Content-Type": "application/json",
        ]
        let response = try await URLSessionTransport().send(
            HTTPRequest(
                method: method, url: URL(string: "http://127.0.0.1:\(port)\(path)")!, headers: headers,
                body: body.map { Array($0.utf8) }, deadline: .now + .seconds(30)))
        return (response.status, (try? JSONParser.value(response.body)) ?? .null)
    }

    /// Submits run `n` of the crew to `port` (not waiting); returns its id.
    static func submit(_ n: Int, port: Int) async throws -> String {
        let (status, json) = try await call(
            "POST", "/v1/crews/steps/runs", port: port, body: #"{"inputs": {"n": "\#(n)"}, "wait": false}"#)
        guard status == 202, let id = json["data"]?["run_id"]?.stringValue else {
            throw ReplicaError("submit \(n): \(status) \(json)")
        }
        return id
    }

    /// Waits until `check` holds (or `seconds` pass); returns whether it did.
    static func eventually(seconds: Double = 30, _ check: () async throws -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < end {
            if try await check() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await check()
    }

    /// How many of the tenant's runs have `status` (as `port` lists them).
    static func count(_ status: String, port: Int) async throws -> Int {
        try await call("GET", "/v1/runs?status=\(status)&limit=1", port: port).json["meta"]?["total"]?.doubleValue.map {
            Int($0)
        } ?? -1
    }

    /// A fresh database on the tests' PostgreSQL server.
    static func database() async throws -> String {
        try await PostgresTestServer.shared().makeDatabase()
    }

    /// What one test talks to: the model server, Slack and Stripe stand-ins, and a workspace; stopped and removed
    /// when the test drops it.
    final class Peers {
        let server: LoopbackHTTPServer
        let slack: LoopbackHTTPServer
        let stripe: LoopbackHTTPServer
        let directory: TemporaryDirectory

        init(model: Model, tool: String?) throws {
            server = try LoopbackHTTPServer { model.respond($0) }
            (slack, stripe) = try ReplicaTests.servers()
            directory = try ReplicaTests.workspace(tool: tool, slack: slack.baseURL, stripe: stripe.baseURL)
        }

        deinit {
            server.stop()
            slack.stop()
            stripe.stop()
            directory.remove()
        }
    }

    static func servers() throws -> (slack: LoopbackHTTPServer, stripe: LoopbackHTTPServer) {
        (
            try LoopbackHTTPServer { _ in .init(body: #"{"ok": true, "channel": "C1", "ts": "1.0"}"#) },
            try LoopbackHTTPServer { _ in .init(body: #"{"id": "cus_1", "object": "customer"}"#) }
        )
    }

    @Test("three replicas: 300 runs submitted round-robin all succeed, each executed once; every replica shows each")
    func threeHundredRuns() async throws {
        let model = Model()
        let peers = try Peers(model: model, tool: nil)
        defer { withExtendedLifetime(peers) {} }
        let (server, directory) = (peers.server, peers.directory)
        let store = try await Self.database()
        var replicas: [Replica] = []
        for _ in 0..<3 {
            replicas.append(
                try await Replica(
                    workspace: directory.url, store: store, environment: Self.environment(model: server),
                    arguments: ["--concurrent-runs", "1000"]))
        }
        let ports = replicas.map(\.port)
        let runs = 300
        var ids: [Int: String] = [:]
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for n in 0..<runs {
                if n >= 30 { if let (n, id) = try await group.next() { ids[n] = id } }
                group.addTask { (n, try await Self.submit(n, port: ports[n % 3])) }
            }
            for try await (n, id) in group { ids[n] = id }
        }
        #expect(ids.count == runs)
        let done = try await Self.eventually(seconds: 120) { try await Self.count("succeeded", port: ports[0]) == runs }
        let succeeded = try await Self.count("succeeded", port: ports[0])
        #expect(done, "succeeded: \(succeeded) of \(runs)")
        // Executed exactly once: three model calls per run, one per step, and nothing more.
        #expect(model.total == runs * 3, "\(model.total) model requests for \(runs) runs of three steps")
        for n in 0..<runs {
            for step in ["one", "two", "three"] where model.count("\(step):\(n)") != 1 {
                let run = try await Self.call("GET", "/v1/runs/\(ids[n] ?? "")", port: ports[0]).json["data"]
                Issue.record(
                    "step \(step) of run \(n) was asked \(model.count("\(step):\(n)")) times; attempts \(run?["attempts"] ?? .null) \(run?["attempt_errors"] ?? .null)"
                )
            }
        }
        // Every replica answers status for every run, and serves its events.
        for port in ports {
            for (_, id) in ids {
                let (status, json) = try await Self.call("GET", "/v1/runs/\(id)", port: port)
                #expect(status == 200 && json["data"]?["status"] == "succeeded", "\(port) \(id): \(json)")
            }
            for id in ids.values.prefix(10) {
                let events = try await URLSessionTransport().send(
                    HTTPRequest(
                        method: "GET", url: URL(string: "http://127.0.0.1:\(port)/v1/runs/\(id)/events")!,
                        headers: [
                            "Authorization": "Bearer \(Self.token)", "X-Tenant-ID": "acme", "X-User-ID": "ops-lead",
                            "X-User-Roles": "tenant_admin",
                        ], body: nil, deadline: .now + .seconds(10)))
                let text = String(decoding: events.body, as: UTF8.self)
                #expect(text.contains("event: run_started") && text.contains("event: run_finished"), "\(text)")
            }
        }
    }

    @Test("an event stream on one replica follows a run another replica executes, as it happens")
    func liveEventsAcrossReplicas() async throws {
        let model = Model()
        model.hold { $0.hasPrefix("two:") }
        let peers = try Peers(model: model, tool: nil)
        defer { withExtendedLifetime(peers) {} }
        let (server, directory) = (peers.server, peers.directory)
        let store = try await Self.database()
        let api = try await Replica(
            workspace: directory.url, store: store, environment: Self.environment(model: server),
            arguments: ["--role", "api"])
        let worker = try await Replica(
            workspace: directory.url, store: store, environment: Self.environment(model: server),
            arguments: ["--role", "worker"])
        _ = worker
        let id = try await Self.submit(1, port: api.port)
        #expect(try await Self.eventually { model.heldCount == 1 }, "the worker never reached step two")
        // The API replica executes nothing; its stream is fed by the database's notifications.
        let stream = Task {
            try await URLSessionTransport().send(
                HTTPRequest(
                    method: "GET", url: URL(string: "http://127.0.0.1:\(api.port)/v1/runs/\(id)/events")!,
                    headers: [
                        "Authorization": "Bearer \(Self.token)", "X-Tenant-ID": "acme", "X-User-ID": "ops-lead",
                        "X-User-Roles": "tenant_admin",
                    ], body: nil, deadline: .now + .seconds(20)))
        }
        try await Task.sleep(for: .milliseconds(300))
        let released = ContinuousClock.now
        model.release()
        let response = try await stream.value
        let elapsed = ContinuousClock.now - released
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("event: run_finished"), "\(text)")
        #expect(text.components(separatedBy: "event: task_finished").count - 1 == 3, "\(text)")
        // Pushed, not found by a slow poll (the fallback re-read is every 5 s).
        #expect(elapsed < .seconds(3), "the stream ended \(elapsed) after the run could finish")
        #expect(model.total == 3)
    }

    @Test(
        "kill -9 a replica holding runs: the others carry them on after the lease; no journaled call or write repeated")
    func killReplica() async throws {
        let model = Model(tool: (name: "slack-post_message", arguments: #"{"channel": "C1", "text": "Launched"}"#))
        model.hold { $0.hasPrefix("two:") }
        let peers = try Peers(model: model, tool: "slack.post_message")
        defer { withExtendedLifetime(peers) {} }
        let (server, slack, directory) = (peers.server, peers.slack, peers.directory)
        let store = try await Self.database()
        var replicas: [Replica] = []
        for _ in 0..<3 {
            replicas.append(
                try await Replica(workspace: directory.url, store: store, environment: Self.environment(model: server)))
        }
        let runs = 30
        var ids: [String] = []
        for n in 0..<runs { ids.append(try await Self.submit(n, port: replicas[n % 3].port)) }
        #expect(try await Self.eventually { model.heldCount == runs }, "held: \(model.heldCount)")
        #expect(slack.requestCount == runs)
        let victim = replicas.removeFirst()
        await victim.kill9()
        let killed = ContinuousClock.now
        model.release()
        let port = replicas[0].port
        let done = try await Self.eventually(seconds: Double(Self.leaseSeconds) + 20) {
            try await Self.count("succeeded", port: port) == runs
        }
        let took = ContinuousClock.now - killed
        let succeeded = try await Self.count("succeeded", port: port)
        #expect(done, "succeeded: \(succeeded) of \(runs)")
        #expect(took < .seconds(Self.leaseSeconds + 10), "took \(took)")
        // Carried on from the journal: step one (a model call, the write, the model's answer to it) never again.
        #expect(slack.requestCount == runs, "the write tool was called \(slack.requestCount) times for \(runs) runs")
        var resumed = 0
        for (n, id) in ids.enumerated() {
            #expect(model.count("one:\(n)") == 2, "step one of run \(n): \(model.count("one:\(n)")) model calls")
            #expect(model.count("three:\(n)") == 1)
            let run = try await Self.call("GET", "/v1/runs/\(id)", port: port).json
            if run["data"]?["attempts"] == 2 {
                resumed += 1
                // Its step-two call never got an answer (the process died waiting): asked again, once.
                #expect(model.count("two:\(n)") == 2)
            } else {
                #expect(model.count("two:\(n)") == 1)
            }
        }
        #expect(resumed > 0 && resumed < runs, "\(resumed) runs were carried on after the kill")
    }

    @Test("cancel through a replica other than the one executing the run")
    func cancelElsewhere() async throws {
        let model = Model()
        model.hold { $0.hasPrefix("two:") }
        let peers = try Peers(model: model, tool: nil)
        defer { withExtendedLifetime(peers) {} }
        let (server, directory) = (peers.server, peers.directory)
        let store = try await Self.database()
        let a = try await Replica(workspace: directory.url, store: store, environment: Self.environment(model: server))
        let b = try await Replica(
            workspace: directory.url, store: store, environment: Self.environment(model: server),
            arguments: ["--role", "api"])
        let id = try await Self.submit(1, port: a.port)
        #expect(try await Self.eventually { model.heldCount == 1 })
        let asked = ContinuousClock.now
        let (status, json) = try await Self.call("POST", "/v1/runs/\(id)/cancel", port: b.port)
        #expect(status == 202 && json["data"]?["status"] == "cancelling", "\(json)")
        // The executing replica hears of it through the database's notification (its lease renewal, every 2 s
        // here, would notice too).
        #expect(
            try await Self.eventually(seconds: 5) {
                try await Self.call("GET", "/v1/runs/\(id)", port: b.port).json["data"]?["status"] == "cancelled"
            })
        let took = ContinuousClock.now - asked
        #expect(took < .seconds(1), "cancelled \(took) after it was asked for")
        model.release()
        try await Task.sleep(for: .milliseconds(300))
        #expect(model.count("three:1") == 0, "a cancelled run goes no further")
        let again = try await Self.call("POST", "/v1/runs/\(id)/cancel", port: a.port)
        #expect(again.status == 409)
    }

    @Test("approve through a replica other than the one that ran up to the approval; the write happens once")
    func approveElsewhere() async throws {
        let model = Model(
            tool: (name: "stripe-create_customer", arguments: #"{"email": "ada@example.com", "name": "Ada"}"#))
        let peers = try Peers(model: model, tool: "stripe.create_customer")
        defer { withExtendedLifetime(peers) {} }
        let (server, stripe, directory) = (peers.server, peers.stripe, peers.directory)
        let store = try await Self.database()
        let a = try await Replica(workspace: directory.url, store: store, environment: Self.environment(model: server))
        let b = try await Replica(workspace: directory.url, store: store, environment: Self.environment(model: server))
        let id = try await Self.submit(1, port: a.port)
        var approval = ""
        _ = try await Self.eventually {
            approval =
                try await Self.call("GET", "/v1/runs/\(id)/approvals", port: b.port).json["data"]?[0]?["approval_id"]?
                .stringValue ?? ""
            return !approval.isEmpty
        }
        try #require(!approval.isEmpty, "the run never asked for approval")
        #expect(
            try await Self.eventually {
                try await Self.call("GET", "/v1/runs/\(id)", port: b.port).json["data"]?["status"]
                    == "awaiting_approval"
            })
        let decided = try await Self.call(
            "POST", "/v1/runs/\(id)/approvals/\(approval)", port: b.port, body: #"{"approve": true}"#)
        #expect(decided.status == 200, "\(decided.json)")
        #expect(
            try await Self.eventually {
                try await Self.call("GET", "/v1/runs/\(id)", port: a.port).json["data"]?["status"] == "succeeded"
            })
        #expect(stripe.requestCount == 1, "the approved write happened exactly once")
    }

    @Test("a tenant limited to N runs in flight gets exactly N of 3N fired at three replicas at once")
    func tenantLimitAcrossReplicas() async throws {
        let model = Model()
        model.hold { $0.hasPrefix("one:") }
        defer { model.release() }
        let peers = try Peers(model: model, tool: nil)
        defer { withExtendedLifetime(peers) {} }
        let (server, directory) = (peers.server, peers.directory)
        let store = try await Self.database()
        let limit = 5
        var ports: [Int] = []
        var replicas: [Replica] = []
        for _ in 0..<3 {
            let replica = try await Replica(
                workspace: directory.url, store: store, environment: Self.environment(model: server),
                arguments: ["--concurrent-runs", String(limit)])
            replicas.append(replica)
            ports.append(replica.port)
        }
        let targets = ports
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<(3 * limit) {
                group.addTask {
                    try await Self.call(
                        "POST", "/v1/crews/steps/runs", port: targets[n % 3],
                        body: #"{"inputs": {"n": "\#(n)"}, "wait": false}"#
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count { $0 == 202 } == limit, "\(statuses.sorted())")
        #expect(statuses.count { $0 == 429 } == 2 * limit, "\(statuses.sorted())")
    }

    @Test("an agent replaced through one replica is what new runs get on another (with its own agents folder)")
    func definitionsAcrossReplicas() async throws {
        let peers = try Peers(model: Model(), tool: nil)
        defer { withExtendedLifetime(peers) {} }
        let (server, first) = (peers.server, peers.directory)
        // Another machine: a copy of the same definitions in a folder of its own.
        let second = try Self.workspace(tool: nil, slack: peers.slack.baseURL, stripe: peers.stripe.baseURL)
        defer { second.remove() }
        let store = try await Self.database()
        let a = try await Replica(workspace: first.url, store: store, environment: Self.environment(model: server))
        let b = try await Replica(workspace: second.url, store: store, environment: Self.environment(model: server))
        let edited = #"""
            {"id": "worker", "name": "Worker", "category": "ops", "role": "Operations worker",
             "goal": "Do each step, edited on another replica", "backstory": "Careful.", "model": "openai/gpt-4o-mini",
             "tools": []}
            """#
        let put = try await Self.call("PUT", "/v1/agents/worker", port: a.port, body: edited, role: "platform_admin")
        #expect(put.status == 200, "\(put.json)")
        let seen = try await Self.eventually(seconds: 10) {
            try await Self.call("GET", "/v1/agents/worker", port: b.port).json["data"]?["goal"]
                == "Do each step, edited on another replica"
        }
        #expect(seen, "the other replica still serves the old definition")
        let file = try String(
            contentsOf: second.url.appendingPathComponent("agents/ops/worker.json"), encoding: .utf8)
        #expect(file == edited, "the other replica's folder holds the new version")
    }

    @Test(
        "a database outage: requests fail with 503 UNAVAILABLE, readiness says the store is down; serve recovers by itself"
    )
    func outage() async throws {
        let model = Model()
        let peers = try Peers(model: model, tool: nil)
        defer { withExtendedLifetime(peers) {} }
        let (server, directory) = (peers.server, peers.directory)
        let cluster = try await PostgresTestServer.startPrivate()
        defer { cluster.remove() }
        let store = try await cluster.makeDatabase()
        let replica = try await Replica(
            workspace: directory.url, store: store, environment: Self.environment(model: server))
        #expect(try await Self.call("GET", "/v1/runs", port: replica.port).status == 200)
        try await cluster.stopImmediately()
        let asked = ContinuousClock.now
        let (status, json) = try await Self.call("GET", "/v1/runs", port: replica.port)
        #expect(status == 503 && json["error"]?["code"] == "UNAVAILABLE", "\(status) \(json)")
        #expect(ContinuousClock.now - asked < .seconds(12), "the request waited for the database")
        let ready = try await Self.call("GET", "/health/ready", port: replica.port)
        #expect(ready.status == 503)
        #expect(ready.json["error"]?["details"]?["checks"]?["store"]?["ok"] == false, "\(ready.json)")
        try await cluster.restart()
        let back = try await Self.eventually(seconds: 30) {
            try await Self.call("GET", "/v1/runs", port: replica.port).status == 200
        }
        #expect(back, "serve did not recover once the database was back")
        #expect(try await Self.call("GET", "/health/ready", port: replica.port).status == 200)
        let id = try await Self.submit(1, port: replica.port)
        #expect(
            try await Self.eventually {
                try await Self.call("GET", "/v1/runs/\(id)", port: replica.port).json["data"]?["status"] == "succeeded"
            })
    }
}
