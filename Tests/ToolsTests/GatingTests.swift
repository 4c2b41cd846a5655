import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

/// Tenants × roles × agents × every tool: the engine offers exactly what the policy allows,
/// refuses every other call before anything runs, and audits each refusal.
@Suite("Tool gating", .serialized)
struct GatingTests {
    /// Gating is under test, not approvals: the tenants' calls run without waiting (`approvals: none`).
    static let tenants: [TenantID: TenantDefinition] = {
        var acme = TenantDefinition(
            id: "acme", name: "Acme", connectors: ["wordpress": .init(), "hubspot": .init()],
            toolDeny: ["wordpress.update_post"],
            allowedCategories: ["marketing"])
        var globex = TenantDefinition(
            id: "globex", name: "Globex", connectors: ["shopify": .init(), "stripe": .init()])
        acme.approvals = .none
        globex.approvals = .none
        return ["acme": acme, "globex": globex]
    }()
    static let agents = [
        AgentDefinition(
            id: "marketer", name: "M", category: "marketing", role: "Marketer", goal: "g", backstory: "b",
            tools: ToolRegistry.standardSpecs.map(\.id)),
        AgentDefinition(
            id: "analyst", name: "A", category: "analytics", role: "Analyst", goal: "g", backstory: "b",
            tools: [
                "google_analytics.run_report", "shopify.list_orders", "stripe.create_customer", "calculator.evaluate",
            ]),
    ]

    /// The policy restated independently of the implementation.
    static func expected(tenant: TenantID, role: Role, agent: AgentDefinition) -> Set<ToolID> {
        guard let definition = tenants[tenant], definition.allows(agent) else { return [] }
        let level: ToolAccess = role == .tenantUser ? .read : role == .tenantAdmin ? .write : .admin
        return Set(
            agent.tools.filter { id in
                let spec = ToolRegistry.standardSpecs.first { $0.id == id }!
                let connected =
                    ["knowledge", "calculator"].contains(id.connector) || definition.connectors[id.connector] != nil
                return connected && spec.access <= level && !definition.toolDeny.contains(id)
            })
    }

    @Test("offered tools equal the policy; calls outside it are refused and audited")
    func matrix() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        // Every catalog tool, faked (approval-free so calls run at once); counts its calls.
        let fakes = ToolRegistry.standardSpecs.map { spec -> ClosureTool in
            var copy = spec
            copy.requiresApproval = false
            return ClosureTool(copy) { _ in ToolResult(content: "ran \(spec.id)") }
        }
        var combinations = 0
        for tenant: TenantID in ["acme", "globex", "initech"] {
            for role in Role.allCases {
                for agent in Self.agents {
                    combinations += 1
                    // The model calls every tool in the catalog, with arguments that match each schema.
                    let calls = ToolRegistry.standardSpecs.map { spec in
                        (
                            ToolNaming.modelName(spec.id),
                            FakeModelServer.example(spec.parameters.document, root: spec.parameters.document)
                                .serialized()
                        )
                    }
                    let model = ScriptedChatModel(responses: [
                        ScriptedChatModel.calls(calls), ScriptedChatModel.text("done"),
                    ])
                    var limits = RunLimits()
                    limits.maxToolMistakesPerTask = 1000
                    let environment = EngineEnvironment(
                        models: ScriptedModelResolver(model), tools: ToolRegistry(fakes),
                        policy: TenantToolPolicy(tenants: Self.tenants), limits: limits, streaming: false)
                    let principal = Principal(tenant: tenant, user: "u", roles: [role])
                    let crew = CrewDefinition(
                        id: "c", name: "C", process: .sequential, agents: [agent.id],
                        tasks: [CrewTask(id: "t", description: "d", expectedOutput: "e", agent: agent.id)])
                    let runID = RunID("\(tenant)-\(role.rawValue)-\(agent.id)")
                    let before = fakes.map(\.callCount)
                    let sink = FanOutEventSink([AuditEventSink(store: store, principal: principal)])
                    let result = try await CrewRunner(environment: environment).run(
                        crew, inputs: [:], principal: principal, agents: { id in Self.agents.first { $0.id == id } },
                        runID: runID, sink: sink)
                    #expect(result.status == .succeeded)
                    // 1. offered = policy (approval is checked at call time; the fakes need none)
                    let expected = Self.expected(tenant: tenant, role: role, agent: agent)
                    let offered = Set(model.requests[0].tools.map { ToolNaming.toolID($0.name)! })
                    #expect(
                        offered == expected,
                        "\(runID): offered \(offered.map(\.rawValue).sorted()) expected \(expected.map(\.rawValue).sorted())"
                    )
                    // 2. only offered tools ran
                    for (index, fake) in fakes.enumerated() {
                        let ran = fake.callCount - before[index]
                        #expect(
                            ran == (offered.contains(fake.spec.id) ? 1 : 0),
                            "\(runID): \(fake.spec.id) ran \(ran) times")
                    }
                    // 3. every other call was refused and audited as denied
                    let audit = try await store.audit(tenant: tenant, since: nil, limit: 100_000).filter {
                        $0.runID == runID
                    }
                    #expect(
                        Set(audit.filter { $0.outcome == "denied" }.map(\.tool))
                            == Set(ToolRegistry.standardSpecs.map(\.id.rawValue)).subtracting(offered.map(\.rawValue)))
                    #expect(Set(audit.filter { $0.outcome == "allowed" }.map(\.tool)) == Set(offered.map(\.rawValue)))
                }
            }
        }
        #expect(combinations == 24)
    }

    @Test("the policy's reasons name what is missing")
    func reasons() async {
        let policy = TenantToolPolicy(tenants: Self.tenants)
        let marketer = Self.agents[0]
        func decide(
            _ tool: ToolID, _ tenant: TenantID, _ role: Role, _ agent: AgentDefinition = Self.agents[0]
        ) async -> ToolDecision {
            await policy.decide(
                ToolRegistry.standardSpecs.first { $0.id == tool }!, agent: agent,
                principal: Principal(tenant: tenant, user: "u", roles: [role]))
        }
        #expect(await decide("wordpress.list_posts", "acme", .tenantUser) == .allow)
        #expect(
            await decide("wordpress.create_post", "acme", .tenantUser)
                == .deny("wordpress.create_post needs write access; role tenant_user allows read only"))
        #expect(
            await decide("wordpress.update_post", "acme", .superAdmin)
                == .deny("wordpress.update_post is denied by tenant acme's policy"))
        #expect(
            await decide("shopify.list_products", "acme", .superAdmin)
                == .deny("shopify is not connected for tenant acme"))
        #expect(await decide("calculator.evaluate", "initech", .superAdmin) == .deny("unknown tenant initech"))
        #expect(
            await decide("calculator.evaluate", "acme", .tenantUser, Self.agents[1])
                == .deny("agent analyst is not enabled for tenant acme"))
        _ = marketer
    }
}
