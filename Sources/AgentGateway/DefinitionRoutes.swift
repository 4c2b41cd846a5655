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

    private func replaceAgent(
        id: String, category: String, bytes: [UInt8], principal: Principal
    ) async throws -> Response {
        let holder = services.catalog
        let current = await holder.catalog
        if let existing = current.agent(AgentID(id)), existing.category != category {
            throw GatewayError(
                .validation, "agent \(id) is in category \(existing.category); the category cannot change here",
                details: [["field": "category", "message": .string("must stay \(existing.category)")]])
        }
        try await check(id: id, category: category, bytes: bytes)
        let file = holder.agentsDirectory.appendingPathComponent(category).appendingPathComponent("\(id).json")
        let previous = try? String(contentsOf: file, encoding: .utf8)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file, options: .atomic)
        let reloaded: Catalog
        do {
            reloaded = try await holder.reload()
        } catch {
            if let previous {
                try? Data(previous.utf8).write(to: file, options: .atomic)
            } else {
                try? FileManager.default.removeItem(at: file)
            }
            _ = try? await holder.reload()
            throw error
        }
        let problems = reloaded.diagnostics.filter {
            $0.severity == .error && $0.file.hasSuffix("/\(category)/\(id).json")
        }
        if !problems.isEmpty {
            // The file is fine alone but clashes with the rest of the catalog: put the old one back.
            if let previous {
                try Data(previous.utf8).write(to: file, options: .atomic)
            } else {
                try? FileManager.default.removeItem(at: file)
            }
            try await holder.reload()
            throw GatewayError(
                .validation, "the definition conflicts with the catalog",
                details: .array(problems.map { ["field": .string($0.pointer), "message": .string($0.message)] }))
        }
        let store = services.store
        if let previous, try await store.agentVersions(AgentID(id)).isEmpty {
            _ = try await store.appendAgentVersion(AgentID(id), content: previous, user: "file")
        }
        let version = try await store.appendAgentVersion(
            AgentID(id), content: String(decoding: bytes, as: UTF8.self), user: principal.user)
        try await store.appendAudit(
            AuditEntry(
                time: Date(), tenant: principal.tenant, user: principal.user,
                roles: principal.roles.map(\.rawValue).sorted(), runID: "config",
                agent: id, tool: "config.agent_update", outcome: "allowed", durationMS: nil,
                arguments: #"{"version": \#(version)}"#,
                detail: previous.map { "previous version: \($0)" } ?? "new agent"))
        guard let saved = reloaded.agent(AgentID(id)) else {
            throw GatewayError(.internalError, "the agent did not load")
        }
        return Reply.data(["version": .int(version), "agent": DefinitionJSON.agent(saved)])
    }

    /// Checks the proposed file against the catalog on disk with it in place, before anything is written: 400 for
    /// errors in the file itself (with field, line and column); 422 naming the crews that load now and would not
    /// (with their errors), and the model when the runtime cannot serve it.
    private func check(id: String, category: String, bytes: [UInt8]) async throws {
        let loader = services.catalog.catalogLoader
        let kind = DefinitionSource.Kind.agent(category: category)
        let path = loader.displayPath(of: kind, stem: id)
        let before = try loader.load()
        let after = try loader.load(replacing: DefinitionSource(displayPath: path, stem: id, kind: kind, bytes: bytes))
        let errors = after.diagnostics.filter { $0.severity == .error && $0.file == path }
        guard errors.isEmpty, let agent = after.agent(AgentID(id)) else {
            throw GatewayError(
                .validation, "the definition has \(max(1, errors.count)) error(s)",
                details: .array(
                    errors.map {
                        [
                            "field": .string($0.pointer), "message": .string($0.message), "line": .int($0.line),
                            "column": .int($0.column),
                        ]
                    }))
        }
        var reasons: [String] = []
        var details: [JSONValue] = []
        let broken = before.crewsBroken(in: after)
        if !broken.isEmpty {
            reasons.append(
                "it would make \(broken.count == 1 ? "crew" : "crews") \(broken.map(\.id.rawValue).joined(separator: ", ")) invalid"
            )
            for crew in broken {
                for error in crew.errors {
                    details.append([
                        "crew": .string(crew.id.rawValue), "file": .string(crew.file), "field": .string(error.pointer),
                        "message": .string(error.message), "line": .int(error.line), "column": .int(error.column),
                    ])
                }
            }
        }
        if let problem = await services.modelProblem(agent.model) {
            reasons.append("the runtime cannot serve its model: \(problem)")
            details.append(["field": "/model", "message": .string(problem)])
        }
        guard reasons.isEmpty else {
            throw GatewayError(
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

    /// Whether `text` can name an agent file or its category folder: lowercase letters, digits and hyphens, at most
    /// 64 characters, and not one of the catalog's own folders.
    static func isSafeFolder(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }
            && text != "crews" && text != "schema"
    }
}
