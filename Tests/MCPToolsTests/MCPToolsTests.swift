import AgentRuntime
import AgentRuntimeTesting
import Foundation
import MCPTools
import Synchronization
import Testing
import Tools

/// The runtime's MCP client against the official Python SDK's server (FastMCP, Streamable HTTP on loopback).
@Suite("MCP servers as tools", .serialized)
struct MCPToolsTests {
    static let token = "Bearer mcp-s3cr3t-7f1c9a2e4b"

    /// `acme` connects the peer as `shop` with an Authorization header from its secret store.
    static func tenant(
        _ id: TenantID, url: URL, allow: Set<String>? = nil, approvals: ApprovalPolicy = .none
    ) -> TenantDefinition {
        var tenant = TenantDefinition(id: id, name: id.rawValue)
        tenant.mcpServers = [
            "shop": MCPServerDefinition(
                name: "shop", url: url, headers: ["Authorization": .secret("shop/token")], allow: allow,
                timeout: .seconds(30))
        ]
        tenant.approvals = approvals
        return tenant
    }

    static let secrets = InMemorySecretStore([
        .tenant("acme"): ["shop/token": token], .tenant("globex"): ["shop/token": token],
    ])

    static let agent = AgentDefinition(
        id: "clerk", name: "Clerk", category: "ops", role: "Clerk", goal: "g", backstory: "b", tools: ["mcp.shop.*"])

    /// Arguments that fit each tool of the peer (none for the others).
    static let arguments = [
        "mcp.shop.report": #"{"region":"eu"}"#, "mcp.shop.lookup_order": #"{"order_id":"1"}"#,
        "mcp.shop.delete_order": #"{"order_id":"1"}"#,
    ]

    static let crew = CrewDefinition(
        id: "c", name: "C", process: .sequential, agents: ["clerk"],
        tasks: [CrewTask(id: "t", description: "d", expectedOutput: "e", agent: "clerk")])

    static func source(_ tenants: [TenantDefinition]) -> MCPToolSource {
        MCPToolSource(
            base: ToolRegistry([]), tenants: Dictionary(uniqueKeysWithValues: tenants.map { ($0.id, $0) }),
            pool: MCPSessionPool(http: URLSessionTransport(), secrets: secrets))
    }

    static func run(
        _ model: ScriptedChatModel, source: MCPToolSource, role: Role = .tenantAdmin, tenant: TenantID = "acme",
        approvals: (any ApprovalGate)? = nil, sink: any EventSink = RecordingEventSink(), runID: RunID = "r1"
    ) async throws -> RunResult {
        var environment = EngineEnvironment(
            models: ScriptedModelResolver(model), tools: source, policy: TenantToolPolicy(tenants: source.tenants),
            secrets: secrets, streaming: false, approvals: approvals)
        environment.limits.maxToolMistakesPerTask = 100
        return try await CrewRunner(environment: environment).run(
            crew, inputs: [:], principal: Principal(tenant: tenant, user: "u", roles: [role]),
            agents: { $0 == agent.id ? agent : nil }, runID: runID, sink: sink)
    }

    /// A peer server in a temporary directory, and a tool source whose tenants (made for the server's URL) connect
    /// it; closing kills the server and removes the directory.
    struct Fixture {
        let directory: TemporaryDirectory
        let peer: MCPPeerServer
        let source: MCPToolSource

        init(json: Bool = false, tenants: (URL) -> [TenantDefinition]) async throws {
            directory = try TemporaryDirectory()
            peer = try await MCPPeerServer(json: json, directory: directory)
            source = MCPToolsTests.source(tenants(peer.url))
        }

        func close() {
            peer.stop()
            directory.remove()
        }
    }

    @Test("tools/list and tools/call through the client, answers as SSE streams or JSON", arguments: [false, true])
    func listAndCall(json: Bool) async throws {
        let fixture = try await Fixture(json: json, tenants: { [Self.tenant("acme", url: $0)] })
        defer { fixture.close() }
        let source = fixture.source
        let principal = Principal(tenant: "acme", user: "u", roles: [.tenantAdmin])
        let server = try #require(source.tenants["acme"]?.mcpServers["shop"])
        let (listed, problem) = await source.listing(server, tenant: "acme")
        #expect(problem == nil)
        let tools = await source.tools(for: "mcp.shop.*", principal: principal)
        #expect(tools.map(\.spec.id) == listed.map(\.spec.id))
        let specs = Dictionary(uniqueKeysWithValues: tools.map { ($0.spec.id.rawValue, $0.spec) })
        #expect(
            specs.keys.sorted() == [
                "mcp.shop.delete_order", "mcp.shop.lookup_order", "mcp.shop.open_late_tool", "mcp.shop.report",
                "mcp.shop.whoami",
            ])
        #expect(specs["mcp.shop.lookup_order"]?.access == .read)
        #expect(specs["mcp.shop.delete_order"]?.access == .write)
        #expect(specs["mcp.shop.delete_order"]?.requiresApproval == true)
        #expect(specs["mcp.shop.report"]?.access == .write, "unannotated tools count as write")
        #expect(specs["mcp.shop.lookup_order"]?.parameters.document["required"] == ["order_id"])
        #expect(ToolNaming.modelName("mcp.shop.lookup_order") == "mcp-shop-lookup_order")
        #expect(ToolNaming.toolID("mcp-shop-lookup_order") == "mcp.shop.lookup_order")

        let context = ToolContext(runID: "r", agent: "clerk", principal: principal)
        let lookup = try #require(tools.first { $0.spec.id == "mcp.shop.lookup_order" })
        let result = try await lookup.call(["order_id": "7"], context: context)
        #expect(result.content == "order 7: 2 items, shipped")
        #expect(result.data == ["result": "order 7: 2 items, shipped"], "structured content is kept as data")
        let report = try #require(tools.first { $0.spec.id == "mcp.shop.report" })
        let text = try await report.call(["region": "eu"], context: context).content
        #expect(text == "sales in eu: 42\nResource link: eu.pdf <https://reports.example/eu.pdf> (application/pdf)")
        // One exact tool by name, and one the server does not have.
        #expect(await source.tools(for: "mcp.shop.whoami", principal: principal).count == 1)
        #expect(await source.tools(for: "mcp.shop.nothing", principal: principal).isEmpty)
    }

    @Test("an engine run offers the server's tools and calls one")
    func engineRun() async throws {
        let fixture = try await Fixture(tenants: { [Self.tenant("acme", url: $0)] })
        defer { fixture.close() }
        let source = fixture.source
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.calls([("mcp-shop-lookup_order", #"{"order_id":"42"}"#)]),
            ScriptedChatModel.text("Order 42 has shipped."),
        ])
        let sink = RecordingEventSink()
        let result = try await Self.run(model, source: source, role: .tenantUser, sink: sink)
        #expect(result.status == .succeeded)
        #expect(result.output == "Order 42 has shipped.")
        let offered = model.requests[0].tools.map(\.name).sorted()
        #expect(offered == ["mcp-shop-lookup_order", "mcp-shop-whoami"], "a tenant_user gets the read tools only")
        #expect(model.requests[1].messages.last?.toolContent?.contains("order 42: 2 items, shipped") == true)
        // The structured content is kept in the tool event beside the text.
        let structured = await sink.events.compactMap { event -> JSONValue? in
            if case .toolFinished(_, "mcp.shop.lookup_order", .success, _, _, let data) = event.kind { return data }
            return nil
        }
        #expect(structured == [["result": "order 42: 2 items, shipped"]])
    }

    @Test("gating: tenants × roles × annotations; calls outside it refused and audited")
    func gatingMatrix() async throws {
        let fixture = try await Fixture(tenants: { url in
            var denying = Self.tenant("globex", url: url, allow: ["lookup_order", "delete_order"])
            denying.toolDeny = ["mcp.shop.delete_order"]
            // acme allows every tool but the one that changes the server's tool list (called anyway below).
            let acme = Self.tenant(
                "acme", url: url, allow: ["lookup_order", "whoami", "delete_order", "report"])
            return [acme, denying]
        })
        defer { fixture.close() }
        let (peer, source) = (fixture.peer, fixture.source)
        let store = try SQLiteRunStore(path: fixture.directory.url.appendingPathComponent("runs.sqlite").path)
        let access = [
            "mcp.shop.lookup_order": ToolAccess.read, "mcp.shop.whoami": .read, "mcp.shop.delete_order": .write,
            "mcp.shop.report": .write, "mcp.shop.open_late_tool": .write,
        ]
        let all = Set(access.keys)
        for tenant: TenantID in ["acme", "globex", "initech"] {
            for role in Role.allCases {
                let level: ToolAccess = role == .tenantUser ? .read : role == .tenantAdmin ? .write : .admin
                let expected: Set<String> =
                    switch tenant {
                    case "acme": all.filter { access[$0]! <= level && $0 != "mcp.shop.open_late_tool" }
                    case "globex": ["mcp.shop.lookup_order"]
                    default: []
                    }
                // The model calls every tool of the server, offered or not.
                let model = ScriptedChatModel(responses: [
                    ScriptedChatModel.calls(
                        all.sorted().map { (ToolNaming.modelName(ToolID($0)), Self.arguments[$0] ?? "{}") }),
                    ScriptedChatModel.text("done"),
                ])
                let principal = Principal(tenant: tenant, user: "u", roles: [role])
                let runID = RunID("\(tenant)-\(role.rawValue)")
                let result = try await Self.run(
                    model, source: source, role: role, tenant: tenant,
                    sink: AuditEventSink(store: store, principal: principal), runID: runID)
                #expect(result.status == .succeeded)
                let offered = Set(model.requests[0].tools.map { ToolNaming.toolID($0.name)!.rawValue })
                #expect(offered == expected, "\(runID)")
                let audit = try await store.audit(tenant: tenant, since: nil, limit: 1000).filter { $0.runID == runID }
                #expect(Set(audit.filter { $0.outcome == "allowed" }.map(\.tool)) == offered, "\(runID)")
                #expect(
                    Set(audit.filter { $0.outcome == "denied" }.map(\.tool)) == all.subtracting(offered), "\(runID)")
            }
        }
        // Only acme's admins ran delete_order (approvals are off here); globex denies it.
        #expect(peer.deleted == ["1", "1", "1"])
    }

    @Test("notifications/tools/list_changed makes the next list read the server again")
    func listChanged() async throws {
        let fixture = try await Fixture(tenants: { [Self.tenant("acme", url: $0)] })
        defer { fixture.close() }
        let source = fixture.source
        let principal = Principal(tenant: "acme", user: "u", roles: [.tenantAdmin])
        func listed() async -> [String] {
            await source.tools(for: "mcp.shop.*", principal: principal).map(\.spec.id.rawValue)
        }
        #expect(await !listed().contains("mcp.shop.late_tool"))
        let opener = try #require(await source.tools(for: "mcp.shop.open_late_tool", principal: principal).first)
        _ = try await opener.call([:], context: ToolContext(runID: "r", agent: "clerk", principal: principal))
        // The notification comes on the session's standing stream, soon after the call's answer.
        var after: [String] = []
        for _ in 0..<50 {
            after = await listed()
            if after.contains("mcp.shop.late_tool") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(after.contains("mcp.shop.late_tool"))
    }

    @Test("a destructive tool waits for approval under the tenant's policy", arguments: [false, true])
    func approval(approves: Bool) async throws {
        let fixture = try await Fixture(tenants: { [Self.tenant("acme", url: $0, approvals: .listed)] })
        defer { fixture.close() }
        let (peer, source) = (fixture.peer, fixture.source)
        let gate = RecordingApprovalGate(approves: approves)
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.calls([
                ("mcp-shop-delete_order", #"{"order_id":"9"}"#), ("mcp-shop-lookup_order", #"{"order_id":"9"}"#),
            ]),
            ScriptedChatModel.text("done"),
        ])
        let result = try await Self.run(model, source: source, approvals: gate)
        #expect(result.status == .succeeded)
        #expect(gate.requests.map(\.tool) == ["mcp.shop.delete_order"], "the read tool needs no approval")
        #expect(peer.deleted == (approves ? ["9"] : []))
    }

    @Test("a server that goes away mid-run gives the model a tool error and the run goes on")
    func serverGone() async throws {
        let fixture = try await Fixture(tenants: { [Self.tenant("acme", url: $0)] })
        defer { fixture.close() }
        let (peer, source) = (fixture.peer, fixture.source)
        let turns = Counter()
        let model = ScriptedChatModel { request in
            switch turns.next() {
            case 0: return ScriptedChatModel.calls([("mcp-shop-lookup_order", #"{"order_id":"1"}"#)])
            case 1:
                peer.stop()
                return ScriptedChatModel.calls([("mcp-shop-lookup_order", #"{"order_id":"2"}"#)])
            default: return ScriptedChatModel.text("The shop is down; order 1 has shipped.")
            }
        }
        let sink = RecordingEventSink()
        let result = try await Self.run(model, source: source, sink: sink)
        #expect(result.status == .succeeded)
        let answer = try #require(model.requests.last?.messages.last)
        #expect(answer.toolContent?.hasPrefix("Error: MCP server shop:") == true, "\(answer.toolContent ?? "")")
        let events = await sink.events.map { "\($0)" }.joined(separator: "\n")
        #expect(!events.contains(Self.token))
        #expect(!events.contains("s3cr3t"))
    }

    @Test("the secret header reaches the server and never an event, a tool result or an error")
    func secretHeader() async throws {
        let fixture = try await Fixture(tenants: { [Self.tenant("acme", url: $0)] })
        defer { fixture.close() }
        let (peer, source) = (fixture.peer, fixture.source)
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.calls([("mcp-shop-whoami", "{}")]), ScriptedChatModel.text("done"),
        ])
        let sink = RecordingEventSink()
        let result = try await Self.run(model, source: source, sink: sink)
        #expect(result.status == .succeeded)
        let echoed = try #require(model.requests[1].messages.last?.toolContent)
        #expect(echoed.hasPrefix("you sent: "), "the server got a header: \(echoed)")
        #expect(!echoed.contains("s3cr3t"), "the echoed secret is masked before the model reads it")
        let events = await sink.events.map { "\($0)" }.joined(separator: "\n")
        #expect(events.contains("mcp.shop.whoami"))
        #expect(!events.contains("s3cr3t"))
        // An error (the server gone) names the server, never the header.
        peer.stop()
        await source.pool.shutdown()
        let tools = await source.tools(
            for: "mcp.shop.whoami", principal: Principal(tenant: "acme", user: "u", roles: [.tenantAdmin]))
        do {
            _ = try await tools.first?.call(
                [:],
                context: ToolContext(
                    runID: "r", agent: "clerk", principal: Principal(tenant: "acme", user: "u", roles: [.tenantAdmin])))
            Issue.record("the call should fail")
        } catch let error as ToolError {
            #expect(error.message.hasPrefix("MCP server shop:"))
            #expect(!error.message.contains("s3cr3t"))
            #expect(error.isTransient)
        }
    }

    @Test("a session the server dropped (a restart) is opened again")
    func sessionReinitialised() async throws {
        let fixture = try await Fixture(tenants: { [Self.tenant("acme", url: $0)] })
        defer { fixture.close() }
        let (peer, source) = (fixture.peer, fixture.source)
        let principal = Principal(tenant: "acme", user: "u", roles: [.tenantAdmin])
        let context = ToolContext(runID: "r", agent: "clerk", principal: principal)
        let lookup = try #require(await source.tools(for: "mcp.shop.lookup_order", principal: principal).first)
        #expect(try await lookup.call(["order_id": "1"], context: context).content.hasPrefix("order 1"))
        peer.stop()
        try await peer.start()
        // The pooled session's id is unknown to the new process: 404, a new session, the call again.
        #expect(try await lookup.call(["order_id": "2"], context: context).content.hasPrefix("order 2"))
    }
}

/// Counts calls across tasks.
final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int {
        value.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}

extension Message {
    /// A tool message's content.
    var toolContent: String? {
        if case .tool(_, _, let content, _) = self { return content }
        return nil
    }
}
