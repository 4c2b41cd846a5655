import AgentRuntime
import Agents

/// What a caller's tenant may see: its agents, the crews made of them, its runs (a tenant user only those it
/// started). Anything else is not found.
extension GatewayServices {
    /// The agents enabled for the caller's tenant.
    func visibleAgents(_ catalog: Catalog, _ principal: Principal) -> [AgentDefinition] {
        guard let tenant = tenants[principal.tenant] else { return [] }
        return catalog.agents.filter { tenant.allows($0) }
    }

    /// The visible agent `id`, or 404.
    func visibleAgent(_ id: String, _ catalog: Catalog, _ principal: Principal) throws -> AgentDefinition {
        guard let agent = visibleAgents(catalog, principal).first(where: { $0.id.rawValue == id }) else {
            throw GatewayError(.notFound, "no agent \"\(id)\"")
        }
        return agent
    }

    /// The crews whose agents (manager included) are all enabled for the caller's tenant.
    func visibleCrews(_ catalog: Catalog, _ principal: Principal) -> [CrewDefinition] {
        let allowed = Set(visibleAgents(catalog, principal).map(\.id))
        return catalog.crews.filter { Self.members(of: $0).allSatisfy(allowed.contains) }
    }

    /// The visible crew `id`, or 404: a crew with an agent the tenant may not use is not listed for it, so it is
    /// not found either.
    func visibleCrew(_ id: String, _ catalog: Catalog, _ principal: Principal) throws -> CrewDefinition {
        let allowed = Set(visibleAgents(catalog, principal).map(\.id))
        guard let crew = catalog.crew(CrewID(id)), Self.members(of: crew).allSatisfy(allowed.contains) else {
            throw GatewayError(.notFound, "no crew \"\(id)\"")
        }
        return crew
    }

    /// The run named by the `run_id` parameter, if the caller may see it (``Principal/mayAccess(_:)``); 404
    /// otherwise: another tenant's run, or another user's run for a tenant user, is indistinguishable from a missing
    /// one. Every route about one run (show, events, cancel, resume, approvals) goes through here.
    func visibleRun(_ context: GatewayContext) async throws -> RunRecord {
        let principal = try context.caller()
        let id = try context.parameter("run_id")
        guard let record = try await store.run(RunID(id), tenant: principal.tenant), principal.mayAccess(record)
        else {
            throw GatewayError(.notFound, "no run \"\(id)\"")
        }
        return record
    }

    private static func members(of crew: CrewDefinition) -> [AgentID] { crew.agents + [crew.manager].compactMap { $0 } }
}

/// Who may see and cancel which run: the one rule of the run routes.
extension Principal {
    /// The user whose runs this principal may see and cancel in its tenant: itself for a tenant user; nil (every
    /// user's) for a tenant admin or above. Listing filters by it in the store; ``mayAccess(_:)`` applies it to one run.
    var runsUser: String? { (roles.max() ?? .tenantUser) >= .tenantAdmin ? nil : user }

    /// Whether this principal may see, follow and cancel `run` (and list and decide its approvals, role permitting):
    /// a run of its own tenant that it started, or any run of its tenant for a tenant admin or above.
    func mayAccess(_ run: RunRecord) -> Bool {
        run.tenant == tenant && (runsUser == nil || run.user == runsUser)
    }
}
