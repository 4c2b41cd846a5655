import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The platform over MCP, driven by a peer this project did not write: the official Python SDK's client, against
/// `agentctl mcp` (stdio, started by the client as its child) and `/mcp` on `agentctl serve` (Streamable HTTP). A
/// loopback model server plays the provider.
@Suite("The platform over MCP, with the Python SDK's client", .serialized)
struct MCPServerTests {
    /// Holds model requests whose task says `HOLD` until released, so that a run can be cancelled mid-way.
    final class Model: Sendable {
        /// Whether held requests may go on (captured by the server's handler, which may outlive the model).
        final class Gate: @unchecked Sendable {
            private let lock = NSLock()
            private var released = false
            var isReleased: Bool { lock.withLock { released } }
            func release() { lock.withLock { released = true } }
        }

        let gate = Gate()
        let server: LoopbackHTTPServer

        init() throws {
            let gate = self.gate
            server = try LoopbackHTTPServer { request in
                if request.text.contains("HOLD") {
                    let end = Date().addingTimeInterval(30)
                    while Date() < end, !gate.isReleased { Thread.sleep(forTimeInterval: 0.01) }
                }
                return FakeModelServer.response(to: request, latency: .zero)
            }
        }

        func release() { gate.release() }
    }

    /// Tenants `acme` (agents of category ops) and `globex` (sales); crews `brief` (two tasks, the last with an
    /// output schema) and `slow` (its second task held by the model) of acme's writer, and `pitch` of globex's seller.
    static func workspace() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        _ = try directory.write(
            "agents/ops/writer.json",
            #"{"id": "writer", "name": "Writer", "category": "ops", "role": "Writer", "goal": "Write briefs", "backstory": "Clear.", "model": "openai/gpt-4o-mini"}"#
        )
        _ = try directory.write(
            "agents/sales/seller.json",
            #"{"id": "seller", "name": "Seller", "category": "sales", "role": "Seller", "goal": "Pitch", "backstory": "Warm.", "model": "openai/gpt-4o-mini"}"#
        )
        _ = try directory.write(
            "agents/crews/brief.json",
            #"""
            {"id": "brief", "name": "Brief", "description": "Writes a brief about a topic.", "process": "sequential",
             "agents": ["writer"], "inputs": {"topic": {"description": "What the brief is about"}}, "tasks": [
              {"id": "outline", "description": "Outline a brief about {topic}", "expected_output": "An outline", "agent": "writer"},
              {"id": "final", "description": "Write the brief about {topic}", "expected_output": "The brief", "agent": "writer",
               "output_schema": {"type": "object", "properties": {"headline": {"type": "string"}}, "required": ["headline"]}}]}
            """#)
        _ = try directory.write(
            "agents/crews/slow.json",
            #"""
            {"id": "slow", "name": "Slow", "process": "sequential", "agents": ["writer"], "tasks": [
              {"id": "one", "description": "Step one", "expected_output": "Done", "agent": "writer"},
              {"id": "two", "description": "HOLD step two", "expected_output": "Done", "agent": "writer"}]}
            """#)
        _ = try directory.write(
            "agents/crews/pitch.json",
            #"""
            {"id": "pitch", "name": "Pitch", "process": "sequential", "agents": ["seller"], "tasks": [
              {"id": "pitch", "description": "Pitch it", "expected_output": "A pitch", "agent": "seller"}]}
            """#)
        _ = try directory.write("tenants/acme.json", #"{"id": "acme", "name": "Acme", "allowed_categories": ["ops"]}"#)
        _ = try directory.write(
            "tenants/globex.json", #"{"id": "globex", "name": "Globex", "allowed_categories": ["sales"]}"#)
        try directory.makeDirectory("knowledge")
        return directory
    }

    /// The environment of `agentctl`: the loopback model as OpenAI, no other provider, the service token.
    static func environment(model: Model) -> [String: String] {
        var environment = ReplicaTests.environment(model: model.server)
        environment["AGENTRUNTIME_STORE"] = "runs.sqlite"
        return environment
    }

    /// Runs the Python client in `directory` with `arguments`; returns the JSON object it printed last.
    static func client(
        _ arguments: [String], in directory: URL, environment: [String: String]
    ) async throws -> JSONValue {
        let script = try MCPClientScript.write(into: directory)
        let process = Process()
        process.executableURL = try await PythonMCPEnvironment.python()
        process.arguments = [script.path] + arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let output = directory.appendingPathComponent("client-\(UUID().uuidString).out")
        let errors = directory.appendingPathComponent("client-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let printed = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard let line = printed.split(separator: "\n").last, let json = try? JSONParser.value(String(line)),
            json["failure"] == nil
        else {
            let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw ReplicaTests.ReplicaError("the MCP client failed: \(printed)\n\(stderr.suffix(4000))")
        }
        return json
    }

    /// The names of the tools a client saw.
    static func toolNames(_ result: JSONValue) -> [String] {
        (result["tools"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.sorted()
    }

    /// The progress messages a client received.
    static func progressMessages(_ result: JSONValue) -> [String] {
        (result["progress"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
    }

    /// `agentctl mcp` of tenant acme, as the client's arguments after its options.
    static func stdio(tenant: String) -> [String] {
        ["--", "stdio", AgentCtl.binary.path, "mcp", "--tenant", tenant, "--role", "tenant_user"]
    }

    @Test("agentctl mcp over stdio: a tenant's crews as tools, a crew called with progress, a stored run")
    func stdioCallsACrew() async throws {
        let directory = try Self.workspace()
        let model = try Model()
        defer { model.release() }
        let environment = Self.environment(model: model)
        let result = try await Self.client(
            ["--scenario", "call", "--tool", "crew_brief", "--arguments", #"{"topic": "tide pools"}"#]
                + Self.stdio(tenant: "acme"), in: directory.url, environment: environment)
        #expect(Self.toolNames(result) == ["agent_invoke", "crew_brief", "crew_slow"])
        let brief = result["tools"]?.arrayValue?.first { $0["name"] == "crew_brief" }
        #expect(brief?["inputSchema"]?["required"] == ["topic"])
        #expect(brief?["outputSchema"]?["properties"]?["headline"]?["type"] == "string")
        #expect(
            result["resources"]?.arrayValue?.compactMap(\.stringValue).sorted() == [
                "agentruntime://agents/writer", "agentruntime://crews/brief", "agentruntime://crews/slow",
            ])
        let call = try #require(result["result"])
        #expect(call["isError"] == false)
        #expect(call["structuredContent"]?["headline"]?.stringValue != nil)
        #expect(call["content"]?[0]?["text"]?.stringValue?.contains("headline") == true)
        #expect(
            Self.progressMessages(result) == [
                "task outline started (writer)", "task outline finished (writer)", "task final started (writer)",
                "task final finished (writer)",
            ])
        let runID = try #require(call["_meta"]?["agentruntime/run_id"]?.stringValue)
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        let record = try #require(try await store.run(RunID(runID), tenant: TenantID("acme")))
        #expect(record.status == .succeeded)
        #expect(record.crew == "brief")
        #expect(record.inputs["topic"] == "tide pools")
    }

    @Test("agentctl mcp over stdio: another tenant sees only its own crews, agents and definitions")
    func stdioTenantIsolation() async throws {
        let directory = try Self.workspace()
        let model = try Model()
        defer { model.release() }
        let result = try await Self.client(
            Self.stdio(tenant: "globex"), in: directory.url, environment: Self.environment(model: model))
        #expect(Self.toolNames(result) == ["agent_invoke", "crew_pitch"])
        let invoke = result["tools"]?.arrayValue?.first { $0["name"] == "agent_invoke" }
        #expect(invoke?["inputSchema"]?["properties"]?["agent"]?["enum"] == ["seller"])
        #expect(
            result["resources"]?.arrayValue?.compactMap(\.stringValue).sorted() == [
                "agentruntime://agents/seller", "agentruntime://crews/pitch",
            ])
        #expect(result["read"]?.stringValue?.contains("\"pitch\"") == true)
    }
}

/// `/mcp` on `agentctl serve`: the same server over Streamable HTTP, behind the API's authentication.
@Suite("The platform over MCP on serve's /mcp, with the Python SDK's client", .serialized)
struct MCPHTTPTests {
    /// The client's arguments for `/mcp` on `port` as `user` of `tenant`.
    static func http(port: Int, tenant: String, user: String = "ops-lead") -> [String] {
        [
            "http", "http://127.0.0.1:\(port)/mcp", "Authorization=Bearer \(ReplicaTests.token)",
            "X-Tenant-ID=\(tenant)", "X-User-ID=\(user)", "X-User-Roles=tenant_user",
        ]
    }

    static func serve(_ directory: TemporaryDirectory, model: MCPServerTests.Model) async throws -> ReplicaTests.Replica
    {
        try await ReplicaTests.Replica(
            workspace: directory.url, store: directory.url.appendingPathComponent("runs.sqlite").path,
            environment: MCPServerTests.environment(model: model))
    }

    @Test("/mcp refuses a caller without credentials, like /v1")
    func unauthenticated() async throws {
        let directory = try MCPServerTests.workspace()
        let model = try MCPServerTests.Model()
        defer { model.release() }
        let serve = try await Self.serve(directory, model: model)
        let initialize =
            #"{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}"#
        for headers: HTTPHeaders in [
            ["Content-Type": "application/json", "Accept": "application/json, text/event-stream"],
            [
                "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                "Authorization": "Bearer wrong-token", "X-Tenant-ID": "acme", "X-User-ID": "u",
                "X-User-Roles": "tenant_user",
            ],
        ] {
            let response = try await URLSessionTransport().send(
                HTTPRequest(
                    method: "POST", url: URL(string: "http://127.0.0.1:\(serve.port)/mcp")!, headers: headers,
                    body: Array(initialize.utf8), deadline: .now + .seconds(30)))
            #expect(response.status == 401)
            #expect((try? JSONParser.value(response.body))?["error"]?["code"] == "UNAUTHORIZED")
        }
    }

    @Test("/mcp: each tenant lists its own crews; a call is a stored run of the caller with progress")
    func callsAndIsolation() async throws {
        let directory = try MCPServerTests.workspace()
        let model = try MCPServerTests.Model()
        defer { model.release() }
        let serve = try await Self.serve(directory, model: model)
        let environment = MCPServerTests.environment(model: model)
        let globex = try await MCPServerTests.client(
            Self.http(port: serve.port, tenant: "globex"), in: directory.url, environment: environment)
        #expect(MCPServerTests.toolNames(globex) == ["agent_invoke", "crew_pitch"])
        let acme = try await MCPServerTests.client(
            ["--scenario", "call", "--tool", "crew_brief", "--arguments", #"{"topic": "kelp"}"#]
                + Self.http(port: serve.port, tenant: "acme"), in: directory.url, environment: environment)
        #expect(MCPServerTests.toolNames(acme) == ["agent_invoke", "crew_brief", "crew_slow"])
        let call = try #require(acme["result"])
        #expect(call["isError"] == false)
        #expect(call["structuredContent"]?["headline"]?.stringValue != nil)
        #expect(MCPServerTests.progressMessages(acme).contains("task final finished (writer)"))
        let runID = try #require(call["_meta"]?["agentruntime/run_id"]?.stringValue)
        let (status, json) = try await ReplicaTests.call("GET", "/v1/runs/\(runID)", port: serve.port)
        #expect(status == 200)
        #expect(json["data"]?["status"] == "succeeded")
        #expect(json["data"]?["user"] == "ops-lead")
    }

    @Test("/mcp: notifications/cancelled for a running crew cancels its run in the store")
    func cancel() async throws {
        let directory = try MCPServerTests.workspace()
        let model = try MCPServerTests.Model()
        defer { model.release() }
        let serve = try await Self.serve(directory, model: model)
        let result = try await MCPServerTests.client(
            ["--scenario", "cancel", "--tool", "crew_slow", "--cancel-after", "task two started"]
                + Self.http(port: serve.port, tenant: "acme"), in: directory.url,
            environment: MCPServerTests.environment(model: model))
        #expect(result["sent_cancel"] == true)
        // No answer comes for a cancelled request: the client gives up waiting.
        #expect(result["outcome"]?["result"] == nil)
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        var status: RunStatus?
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            status = try await store.runs(
                tenant: TenantID("acme"), user: nil, status: nil, crew: "slow", limit: 10, offset: 0
            ).first?.status
            if status == .cancelled { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(status == .cancelled)
    }
}
