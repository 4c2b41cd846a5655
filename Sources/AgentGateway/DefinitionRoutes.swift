import AgentRuntime
import Agents
import Foundation
import Hummingbird
import Tools

/// Definitions: agents (listed, shown, replaced by a platform admin, with their saved versions), crews, and the
/// tools a caller may use. Each tenant sees only what it has enabled. Paths are relative to `/v1`.
struct DefinitionRoutes: Sendable {
    /// What the handlers use.
    let services: GatewayServices

    /// The routes, each with its handler.
    var endpoints: RouteCollection<GatewayContext> {
        RouteCollection(context: GatewayContext.self)
            .get("agents", use: listAgents)
            .get("agents/{agent_id}", use: showAgent)
            .put("agents/{agent_id}", use: updateAgent)
            .get("agents/{agent_id}/versions", use: versions)
            .get("agents/{agent_id}/versions/{version}", use: version)
            .post("agents/{agent_id}/versions/{version}/restore", use: restore)
            .get("crews", use: listCrews)
            .get("crews/{crew_id}", use: showCrew)
            .get("tools", use: tools)
    }

    private func listAgents(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let (page, limit) = try request.page()
        var agents = services.visibleAgents(await services.catalog.catalog, principal)
        if let category = request.uri.queryParameters.get("category") {
            agents = agents.filter { $0.category == category }
        }
        return Reply.list(agents, page: page, limit: limit, render: DefinitionJSON.agentSummary)
    }

    private func showAgent(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let id = try context.parameter("agent_id")
        return Reply.data(
            DefinitionJSON.agent(try services.visibleAgent(id, await services.catalog.catalog, principal)))
    }

    private func listCrews(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let (page, limit) = try request.page()
        return Reply.list(
            services.visibleCrews(await services.catalog.catalog, principal), page: page, limit: limit,
            render: DefinitionJSON.crewSummary)
    }

    private func showCrew(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let id = try context.parameter("crew_id")
        return Reply.data(DefinitionJSON.crew(try services.visibleCrew(id, await services.catalog.catalog, principal)))
    }

    private func tools(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let catalog = await services.catalog.catalog
        let policy = TenantToolPolicy(tenants: services.tenants)
        let registry = services.environment(principal).tools
        var items: [JSONValue] = []
        let agentID = request.uri.queryParameters.get("agent").map { String($0) }
        let agent: AgentDefinition? = agentID.flatMap { id in
            services.visibleAgents(catalog, principal).first { $0.id.rawValue == id }
        }
        if agentID != nil, agent == nil { throw GatewayError(.notFound, "no agent \"\(agentID!)\"") }
        var listed: [(spec: ToolSpec, server: String?)] = ToolRegistry.specs(with: catalog.connectors.definitions).map {
            ($0, nil)
        }
        // The tenant's MCP servers' tools, as the servers list them (a server that cannot be reached lists none).
        for server in (services.tenants[principal.tenant]?.mcpServers.keys.sorted() ?? []) {
            for tool in await registry.tools(for: ToolID("mcp.\(server).*"), principal: principal) {
                listed.append((tool.spec, server))
            }
        }
        for (spec, server) in listed where agent == nil || agent!.tools.contains(where: { spec.id.matches($0) }) {
            var reason: String?
            if case .deny(let why) = await policy.decide(spec, principal: principal) { reason = why }
            if reason == nil, let agent,
                case .deny(let why) = await policy.decide(spec, agent: agent, principal: principal)
            {
                reason = why
            }
            if reason == nil, server == nil, registry.tool(spec.id) == nil {
                reason = "\(spec.id) is not available in this service"
            }
            items.append([
                "id": .string(spec.id.rawValue), "server": server.map(JSONValue.string) ?? .null,
                "description": .string(spec.description),
                "access": .string(spec.access.rawValue),
                "requires_approval": .bool(policy.requiresApproval(spec, tenant: principal.tenant)),
                "available": .bool(reason == nil),
                "reason": reason.map(JSONValue.string) ?? .null,
            ])
        }
        return Reply.list(items, page: 1, limit: max(1, items.count), total: items.count)
    }

    /// Replaces an agent definition, which every tenant's runs use (platform roles only): full validation of the
    /// definition together with the whole catalog, atomic write, reload for new runs, audit and version history.
    /// Refused with nothing written: 400 when the body is not JSON (line and column) or the definition has errors;
    /// 422 when the change would break a crew that loads now, or names a model the runtime cannot serve.
    private func updateAgent(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller(atLeast: .platformAdmin)
        let id = try context.parameter("agent_id")
        let bytes = try await request.bytes(context: context)
        guard Self.isSafeFolder(id) else {
            throw GatewayError(
                .validation, "invalid agent id \"\(id)\"",
                details: [["field": "agent_id", "message": "lowercase letters, digits and hyphens"]])
        }
        let body: JSONValue
        do {
            body = try JSONParser.value(bytes)
        } catch {
            let (line, column) = (error.location.line, error.location.column)
            throw GatewayError(
                .validation, "invalid JSON at line \(line), column \(column): \(error.message)",
                details: [
                    ["field": "", "message": .string(error.message), "line": .int(line), "column": .int(column)]
                ])
        }
        guard let category = body["category"]?.stringValue, Self.isSafeFolder(category) else {
            throw GatewayError(
                .validation, "the body must be an agent definition with a category",
                details: [["field": "category", "message": "required"]])
        }
        // One update at a time: check, write, reload and rollback must not interleave.
        return try await services.configUpdates.run {
            try await replaceAgent(id: id, category: category, bytes: bytes, principal: principal)
        }
    }

    /// Writes through ``AgentWriter`` (the path the playground's `/save` takes too) and reloads the catalog for new
    /// runs; the writer's refusals become 400 (errors in the file, with field, line and column) and 422 (crews that
    /// load now and would not, with their errors; a model the runtime cannot serve).
    private func replaceAgent(
        id: String, category: String, bytes: [UInt8], principal: Principal, tool: String = "config.agent_update",
        detail: String = ""
    ) async throws -> Response {
        let holder = services.catalog
        let writer = AgentWriter(
            loader: holder.catalogLoader, store: services.store, modelProblem: services.modelProblem)
        let written: AgentWriter.Written
        do {
            written = try await writer.write(
                id: id, category: category, bytes: bytes, user: principal.user,
                roles: principal.roles.map(\.rawValue).sorted(), tool: tool, detail: detail)
        } catch let refusal as AgentWriter.Refusal {
            throw Self.error(refusal, id: id)
        }
        try await holder.reload()
        return Reply.data(["version": .int(written.version), "agent": DefinitionJSON.agent(written.agent)])
    }

    /// A refused write as the API's error.
    static func error(_ refusal: AgentWriter.Refusal, id: String) -> GatewayError {
        switch refusal {
        case .categoryChange(let current):
            return GatewayError(
                .validation, "agent \(id) is in category \(current); the category cannot change here",
                details: [["field": "category", "message": .string("must stay \(current)")]])
        case .invalid(let errors):
            return GatewayError(
                .validation, "the definition has \(max(1, errors.count)) error(s)",
                details: .array(
                    errors.map {
                        [
                            "field": .string($0.pointer), "message": .string($0.message), "line": .int($0.line),
                            "column": .int($0.column),
                        ]
                    }))
        case .unprocessable(let reasons, let broken, let problem):
            var details: [JSONValue] = []
            for crew in broken {
                for error in crew.errors {
                    details.append([
                        "crew": .string(crew.id.rawValue), "file": .string(crew.file), "field": .string(error.pointer),
                        "message": .string(error.message), "line": .int(error.line), "column": .int(error.column),
                    ])
                }
            }
            if let problem { details.append(["field": "/model", "message": .string(problem)]) }
            return GatewayError(
                .unprocessable, "agent \(id) was not saved: \(reasons.joined(separator: "; "))",
                details: .array(details))
        }
    }

    private func versions(_ request: Request, _ context: GatewayContext) async throws -> Response {
        _ = try context.caller(atLeast: .platformAdmin)
        let id = try context.parameter("agent_id")
        guard await services.catalog.catalog.agent(AgentID(id)) != nil else {
            throw GatewayError(.notFound, "no agent \"\(id)\"")
        }
        let items = try await services.store.agentVersions(AgentID(id)).map { version -> JSONValue in
            [
                "version": .int(version.version), "time": .string(version.time.formatted(.iso8601)),
                "user": .string(version.user), "content": .string(version.content),
            ]
        }
        return Reply.list(items, page: 1, limit: max(1, items.count), total: items.count)
    }

    /// One stored version of an agent, with its text (platform roles only).
    private func version(_ request: Request, _ context: GatewayContext) async throws -> Response {
        _ = try context.caller(atLeast: .platformAdmin)
        let (id, stored) = try await storedVersion(context)
        return Reply.data([
            "agent": .string(id), "version": .int(stored.version), "time": .string(stored.time.formatted(.iso8601)),
            "user": .string(stored.user), "content": .string(stored.content),
        ])
    }

    /// Makes a stored version the agent's definition again: written as a new version through the same checks as
    /// `PUT` (a version that no longer fits the catalog is refused the same way), and audited as
    /// `config.agent_restore`.
    private func restore(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller(atLeast: .platformAdmin)
        let (id, stored) = try await storedVersion(context)
        let bytes = Array(stored.content.utf8)
        guard let category = (try? JSONParser.value(bytes))?["category"]?.stringValue, Self.isSafeFolder(category)
        else {
            throw GatewayError(.unprocessable, "version \(stored.version) of \(id) has no usable category")
        }
        return try await services.configUpdates.run {
            try await replaceAgent(
                id: id, category: category, bytes: bytes, principal: principal, tool: "config.agent_restore",
                detail: "restored version \(stored.version)")
        }
    }

    /// The agent and the version the path names; 404 when there is no such version.
    private func storedVersion(
        _ context: GatewayContext
    ) async throws -> (String, (version: Int, time: Date, user: String, content: String)) {
        let id = try context.parameter("agent_id")
        let text = try context.parameter("version")
        guard let number = Int(text), number >= 1 else {
            throw GatewayError(
                .validation, "the version must be a positive integer",
                details: [["field": "version", "message": "a positive integer"]])
        }
        guard let stored = try await services.store.agentVersions(AgentID(id)).first(where: { $0.version == number })
        else { throw GatewayError(.notFound, "agent \(id) has no version \(number)") }
        return (id, stored)
    }

    /// Whether `text` can name an agent file or its category folder: lowercase letters, digits and hyphens, at most
    /// 64 characters, and not one of the catalog's own folders.
    static func isSafeFolder(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }
            && text != "crews" && text != "schema"
    }
}
