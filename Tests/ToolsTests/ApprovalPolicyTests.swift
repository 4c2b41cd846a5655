import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import Testing
import Tools

/// A tenant's `approvals` policy decides which calls wait for a person: a scripted model calls a write tool, a tool
/// whose definition asks for approval and a read tool, for tenants whose files say `writes`, `listed` or `none`.
@Suite("Approval policy per tenant")
struct ApprovalPolicyTests {
    static func tool(_ id: ToolID, _ access: ToolAccess, requiresApproval: Bool = false) -> ClosureTool {
        ClosureTool(
            ToolSpec(
                id: id, description: "d", parameters: JSONSchema(["type": "object"]), access: access,
                requiresApproval: requiresApproval)
        ) { _ in ToolResult(content: "done") }
    }

    /// The tenant `acme` decoded from a tenant file with `extra` fields.
    static func tenant(_ extra: String) throws -> TenantDefinition {
        let file = #"{"id": "acme", "name": "Acme", "connectors": {"hubspot": {}, "wordpress": {}}\#(extra)}"#
        let (tenant, diagnostics) = TenantCatalog.decode(
            Array(file.utf8), displayPath: "tenants/acme.json", stem: "acme", knownTools: ToolRegistry.standardIDs)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.formatted))")
        return try #require(tenant)
    }

    /// Runs one task whose model calls the three tools at once; returns the tools that waited and those that ran.
    func run(
        _ tenant: TenantDefinition, gate: RecordingApprovalGate? = RecordingApprovalGate()
    ) async throws -> (
        asked: Set<String>, ran: Set<String>, sink: RecordingEventSink
    ) {
        let tools = [
            Self.tool("hubspot.create_contact", .write),
            Self.tool("wordpress.create_post", .write, requiresApproval: true),
            Self.tool("hubspot.search_contacts", .read), Self.tool("calculator.remember", .write),
        ]
        let model = ScriptedChatModel { request in
            request.messages.contains { if case .tool = $0 { true } else { false } }
                ? ScriptedChatModel.text("finished")
                : ScriptedChatModel.calls(tools.map { (ToolNaming.modelName($0.spec.id), "{}") })
        }
        let agent = AgentDefinition(
            id: "clerk", name: "C", category: "crm", role: "Clerk", goal: "g", backstory: "b",
            tools: tools.map(\.spec.id))
        let crew = CrewDefinition(
            id: "c", name: "C", process: .sequential, agents: ["clerk"],
            tasks: [CrewTask(id: "t", description: "Do it", expectedOutput: "e", agent: "clerk")])
        let environment = EngineEnvironment(
            models: ScriptedModelResolver(model), tools: ToolRegistry(tools),
            policy: TenantToolPolicy(tenants: ["acme": tenant]), streaming: false, approvals: gate)
        let sink = RecordingEventSink()
        let result = try await CrewRunner(environment: environment).run(
            crew, inputs: [:], principal: Principal(tenant: "acme", user: "ada", roles: [.tenantAdmin]),
            agents: { _ in agent }, runID: RunID(UUID().uuidString), sink: sink)
        #expect(result.output == "finished")
        return (
            Set((gate?.requests ?? []).map(\.tool.rawValue)),
            Set(tools.filter { $0.callCount > 0 }.map(\.spec.id.rawValue)), sink
        )
    }

    @Test("writes (the default): every connector tool that writes waits, and every tool whose definition asks")
    func writes() async throws {
        for extra in ["", #", "approvals": "writes""#] {
            let (asked, ran, _) = try await run(try Self.tenant(extra))
            #expect(asked == ["hubspot.create_contact", "wordpress.create_post"], "\(extra)")
            #expect(
                ran == [
                    "hubspot.create_contact", "wordpress.create_post", "hubspot.search_contacts", "calculator.remember",
                ])
        }
    }

    @Test("listed: the tools whose definition asks, and the tenant's approval_tools")
    func listed() async throws {
        let plain = try await run(try Self.tenant(#", "approvals": "listed""#))
        #expect(plain.asked == ["wordpress.create_post"])
        let named = try await run(
            try Self.tenant(#", "approvals": "listed", "approval_tools": ["hubspot.search_contacts"]"#))
        #expect(named.asked == ["wordpress.create_post", "hubspot.search_contacts"])
        #expect(named.ran.count == 4)
    }

    @Test("none: nothing waits, not even tools whose definition asks")
    func none() async throws {
        let (asked, ran, sink) = try await run(try Self.tenant(#", "approvals": "none""#))
        #expect(asked.isEmpty)
        #expect(ran.count == 4)
        #expect(await !sink.kinds.contains("awaiting_approval"))
    }

    @Test("writes without an approval channel: the write is refused and never runs; reads still run")
    func noChannel() async throws {
        let (_, ran, sink) = try await run(try Self.tenant(""), gate: nil)
        #expect(ran == ["hubspot.search_contacts", "calculator.remember"])
        let denied = await sink.events.filter { $0.kindName == "tool_denied" }.compactMap {
            $0.payload["tool"]?.stringValue
        }
        #expect(Set(denied) == ["hubspot.create_contact", "wordpress.create_post"])
    }

    @Test("a rejected write is not sent, and the model is told")
    func rejected() async throws {
        let (asked, ran, _) = try await run(try Self.tenant(""), gate: RecordingApprovalGate(approves: false))
        #expect(asked == ["hubspot.create_contact", "wordpress.create_post"])
        #expect(ran == ["hubspot.search_contacts", "calculator.remember"])
    }
}
