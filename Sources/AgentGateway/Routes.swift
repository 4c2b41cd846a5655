import AgentRuntime
import Agents
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import Tools

/// The handlers.
struct Routes: Sendable {
    let services: GatewayServices

    func register(on router: Router<GatewayContext>) {
        for route in Gateway.routes {
            let components: [String] = route.path.split(separator: "/").map { part in
                part.hasPrefix("{") ? ":" + String(part.dropFirst().dropLast()) : String(part)
            }
            let path = RouterPath("/" + components.joined(separator: "/"))
            guard let method = HTTPRequest.Method(route.method) else { continue }
            router.on(path, method: method) { request, context in try await handle(route.path, method: route.method, request, context) }
        }
    }

    private func handle(_ route: String, method: String, _ request: Request, _ context: GatewayContext) async throws -> Response {
        switch (method, route) {
        case ("GET", "/health"): return Reply.data(["status": "ok"])
        case ("GET", "/health/ready"): return try await ready()
        case ("GET", "/metrics"):
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: await services.metrics.text())))
        case ("POST", "/v1/crews/{crew_id}/runs"): return try await startRun(request, context)
        case ("GET", "/v1/runs"): return try await listRuns(request, context)
        case ("GET", "/v1/runs/{run_id}"): return try await showRun(context)
        case ("POST", "/v1/runs/{run_id}/cancel"): return try await cancelRun(context)
        case ("POST", "/v1/runs/{run_id}/resume"): return try await resumeRun(context)
        case ("GET", "/v1/runs/{run_id}/events"): return try await events(request, context)
        case ("GET", "/v1/runs/{run_id}/approvals"): return try await approvals(context)
        case ("POST", "/v1/runs/{run_id}/approvals/{approval_id}"): return try await decide(request, context)
        case ("POST", "/v1/agents/{agent_id}/invoke"): return try await invoke(request, context)
        case ("GET", "/v1/agents"): return try await listAgents(request, context)
        case ("GET", "/v1/agents/{agent_id}"): return try await showAgent(context)
        case ("PUT", "/v1/agents/{agent_id}"): return try await updateAgent(request, context)
        case ("GET", "/v1/agents/{agent_id}/versions"): return try await versions(context)
        case ("GET", "/v1/crews"): return try await listCrews(request, context)
        case ("GET", "/v1/crews/{crew_id}"): return try await showCrew(context)
        case ("GET", "/v1/tools"): return try await tools(request, context)
        default: throw GatewayError(.notFound, "no route \(method) \(route)")
        }
    }

    // MARK: Helpers

    private func parameter(_ context: GatewayContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name), !value.isEmpty else { throw GatewayError(.validation, "missing \(name)") }
        return value
    }

    private func body(_ request: Request, _ context: GatewayContext) async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw GatewayError(.payloadTooLarge, "the request body is larger than \(context.maxUploadSize) bytes")
        }
        guard buffer.readableBytes > 0 else { return [:] }
        do {
            return try JSONParser.value(Array(buffer.readableBytesView))
        } catch {
            throw GatewayError(.validation, "the body is not valid JSON: \(error)", details: [["field": "", "message": .string(error.description)]])
        }
    }

    private func page(_ request: Request) throws -> (page: Int, limit: Int) {
        let page = Int(request.uri.queryParameters.get("page") ?? "1") ?? 0
        let limit = Int(request.uri.queryParameters.get("limit") ?? "20") ?? 0
        guard (1...1_000_000).contains(page), (1...200).contains(limit) else {
            throw GatewayError(.validation, "page must be 1–1000000 and limit 1–200", details: [["field": "page", "message": "1–1000000"], ["field": "limit", "message": "1–200"]])
        }
        return (page, limit)
    }

    private func tenant(_ principal: Principal) -> TenantDefinition? { services.tenants[principal.tenant] }

    private func requireRole(_ principal: Principal, _ minimum: Role) throws {
        guard (principal.roles.max() ?? .tenantUser) >= minimum else {
            throw GatewayError(.forbidden, "this needs the \(minimum.rawValue) role or above")
        }
    }

    private func visibleAgents(_ catalog: Catalog, _ principal: Principal) -> [AgentDefinition] {
        guard let tenant = tenant(principal) else { return [] }
        return catalog.agents.filter { tenant.allows($0) }
    }

    private func inputsObject(_ value: JSONValue?) throws -> [String: JSONValue] {
        guard let value, value != .null else { return [:] }
        guard case .object(let object) = value else { throw GatewayError(.validation, "inputs must be an object", details: [["field": "inputs", "message": "must be an object"]]) }
        var inputs: [String: JSONValue] = [:]
        for member in object { inputs[member.key] = member.value }
        return inputs
    }

    // MARK: Runs

    private func startRun(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let catalog = await services.catalog.catalog
        let crewID = try parameter(context, "crew_id")
        // A crew with an agent the tenant may not use is not listed for it, so it is not found either.
        let allowed = Set(visibleAgents(catalog, principal).map(\.id))
        guard let crew = catalog.crew(CrewID(crewID)), (crew.agents + [crew.manager].compactMap { $0 }).allSatisfy(allowed.contains) else {
            throw GatewayError(.notFound, "no crew \"\(crewID)\"")
        }
        let body = try await body(request, context)
        let inputs = try inputsObject(body["inputs"])
        let wait = body["wait"] == true
        let runID = RunID(UUID().uuidString.lowercased())
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            return try await launch(crew, inputs: inputs, principal: principal, catalog: catalog, runID: runID, wait: wait)
        }
        guard key.count <= 200 else { throw GatewayError(.validation, "Idempotency-Key is longer than 200 characters", details: [["field": "Idempotency-Key", "message": "at most 200 characters"]]) }
        if let existing = try await services.store.claimIdempotencyKey(key, tenant: principal.tenant, runID: runID) {
            return try await replay(existing, wait: wait, tenant: principal.tenant)
        }
        do {
            return try await launch(crew, inputs: inputs, principal: principal, catalog: catalog, runID: runID, wait: wait)
        } catch {
            // The run never started: a retry with the same key may start it.
            if try await services.store.run(runID, tenant: principal.tenant) == nil {
                try? await services.store.releaseIdempotencyKey(key, tenant: principal.tenant, runID: runID)
            }
            throw error
        }
    }

    /// The run an Idempotency-Key already names: as it is now, or once finished when the caller waits.
    private func replay(_ id: RunID, wait: Bool, tenant: TenantID) async throws -> Response {
        let store = services.store
        var record = try await store.run(id, tenant: tenant)
        // The first request may still be storing its run, or (with wait) the run may still be going.
        while !Task.isCancelled, record == nil || (wait && !(record?.status.isFinal ?? false)) {
            try await Task.sleep(for: services.configuration.eventPollInterval)
            record = try await store.run(id, tenant: tenant)
            if record == nil, try await !store.isIdempotencyKeyClaimed(for: id) { break }
        }
        guard let record else { throw GatewayError(.conflict, "the request with this Idempotency-Key did not start a run; retry") }
        guard wait else { return Reply.data(["run_id": .string(id.rawValue), "status": .string(record.status.rawValue)], status: .accepted) }
        guard case .object(var object) = RunJSON.record(record) else { return Reply.data(RunJSON.record(record)) }
        object["tasks"] = .array(try await store.tasks(of: id).map(RunJSON.task))
        return Reply.data(.object(object))
    }

    private func launch(_ crew: CrewDefinition, inputs: [String: JSONValue], principal: Principal, catalog: Catalog, runID: RunID, wait: Bool) async throws -> Response {
        do { _ = try CrewRunner.resolveInputs(crew, inputs) } catch let error as EngineError {
            let details: JSONValue
            switch error {
            case .missingInputs(let names): details = .array(names.map { ["field": .string("inputs.\($0)"), "message": "required input is missing"] })
            case .unknownInputs(let names): details = .array(names.map { ["field": .string("inputs.\($0)"), "message": "the crew does not declare this input"] })
            default: details = []
            }
            throw GatewayError(.validation, error.description, details: details)
        }
        let task = try await services.runs.start(
            crew, inputs: inputs, principal: principal, environment: services.environment(principal), agents: { catalog.agent($0) }, runID: runID)
        guard wait else { return Reply.data(["run_id": .string(runID.rawValue), "status": "running"], status: .accepted) }
        switch await task.value {
        case .success(let result): return Reply.data(RunJSON.result(result))
        case .failure(.cancelled): throw GatewayError(.conflict, "run \(runID) was cancelled")
        case .failure(let error): throw GatewayError(.validation, "run \(runID) could not be carried out: \(error.description)", details: [["field": "", "message": .string(error.code)]])
        }
    }

    private func listRuns(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let (page, limit) = try page(request)
        var status: RunStatus?
        if let text = request.uri.queryParameters.get("status") {
            guard let parsed = RunStatus(rawValue: String(text)) else {
                throw GatewayError(.validation, "unknown status \"\(text)\"", details: [["field": "status", "message": .string("one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")]])
            }
            status = parsed
        }
        let crew = request.uri.queryParameters.get("crew").map { String($0) }
        let runs = try await services.store.runs(tenant: principal.tenant, status: status, crew: crew, limit: limit, offset: (page - 1) * limit)
        let total = try await services.store.count(tenant: principal.tenant, status: status, crew: crew)
        return Reply.list(runs.map(RunJSON.record), page: page, limit: limit, total: total)
    }

    private func ownRun(_ context: GatewayContext) async throws -> RunRecord {
        let principal = try context.caller()
        let id = try parameter(context, "run_id")
        // Another tenant's run is indistinguishable from a missing one.
        guard let record = try await services.store.run(RunID(id), tenant: principal.tenant) else { throw GatewayError(.notFound, "no run \"\(id)\"") }
        return record
    }

    private func showRun(_ context: GatewayContext) async throws -> Response {
        let record = try await ownRun(context)
        guard case .object(var object) = RunJSON.record(record) else { return Reply.data(RunJSON.record(record)) }
        object["tasks"] = .array(try await services.store.tasks(of: record.id).map(RunJSON.task))
        return Reply.data(.object(object))
    }

    private func cancelRun(_ context: GatewayContext) async throws -> Response {
        let record = try await ownRun(context)
        guard !record.status.isFinal else { throw GatewayError(.conflict, "run \(record.id) has already ended (\(record.status.rawValue))") }
        guard await services.runs.cancel(record.id, tenant: record.tenant) else {
            throw GatewayError(.conflict, "run \(record.id) is not running in this service")
        }
        return Reply.data(["run_id": .string(record.id.rawValue), "status": "cancelling"], status: .accepted)
    }

    /// Carries on an unfinished run (interrupted, or left running by a process that is gone) from its journal.
    private func resumeRun(_ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        try requireRole(principal, .tenantAdmin)
        let record = try await ownRun(context)
        if record.status == .awaitingApproval {
            throw GatewayError(.conflict, "run \(record.id) waits for an approval; deciding it carries the run on")
        }
        guard RunLifecycle.resumable(record.status) else { throw GatewayError(.conflict, "run \(record.id) has ended (\(record.status.rawValue))") }
        guard !(await services.runs.isActive(record.id)) else { throw GatewayError(.conflict, "run \(record.id) is running in this service") }
        guard try await services.runs.resume(
            record.id, tenant: record.tenant, reason: "\(record.status.rawValue); resumed through the API", expecting: record.status, environment: services.environment
        ) != nil else {
            throw GatewayError(.conflict, "run \(record.id) cannot be resumed (it was started before runs kept their definitions, or another process took it)")
        }
        let attempts = (try await services.store.run(record.id, tenant: record.tenant))?.attempts ?? record.attempts + 1
        return Reply.data(["run_id": .string(record.id.rawValue), "status": "running", "attempt": .int(attempts)], status: .accepted)
    }

    /// The run's events as SSE. Events stored after `Last-Event-ID` (or `?after=`) come first, from the store; while
    /// this process runs the run, the rest arrive live as they happen, streamed text included (`event: text_delta`,
    /// without an id: reconnecting resumes after the last numbered event); otherwise the store is followed.
    private func events(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let record = try await ownRun(context)
        let after = Int(request.headers[.lastEventID] ?? request.uri.queryParameters.get("after").map { String($0) } ?? "0") ?? 0
        let store = services.store
        let poll = services.configuration.eventPollInterval
        let heartbeat = services.configuration.heartbeatInterval
        // Subscribed before catching up, so nothing falls between the two.
        let live = await services.runs.subscribe(record.id, idle: heartbeat)
        let body = ResponseBody { writer in
            var last = after
            var lastWrite = ContinuousClock.now
            func write(_ event: StoredEvent) async throws {
                try await writer.write(ByteBuffer(string: "id: \(event.sequence)\nevent: \(event.kind)\ndata: \(event.json.serialized())\n\n"))
                last = event.sequence
                lastWrite = .now
            }
            for event in try await store.events(of: record.id, after: last) { try await write(event) }
            if let live {
                for await item in live {
                    if Task.isCancelled || Task.isShuttingDownGracefully { break }
                    switch item {
                    case .idle:
                        if ContinuousClock.now - lastWrite >= heartbeat {
                            try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                            lastWrite = .now
                        }
                    case .event(let event):
                        if case .textDelta(let text) = event.kind {
                            let data: JSONValue = ["run_id": .string(event.runID.rawValue), "agent_path": .string(event.agentPathText), "text": .string(text)]
                            try await writer.write(ByteBuffer(string: "event: text_delta\ndata: \(data.serialized())\n\n"))
                            lastWrite = .now
                        } else if event.sequence > last {
                            try await write(StoredEvent(event))
                        }
                    }
                }
            }
            while true {
                let final = try await store.run(record.id, tenant: nil)?.status.isFinal ?? true
                for event in try await store.events(of: record.id, after: last) { try await write(event) }
                // The status was read before the events: once final, everything was stored.
                if final || Task.isCancelled || Task.isShuttingDownGracefully { break }
                if ContinuousClock.now - lastWrite >= heartbeat {
                    try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                    lastWrite = .now
                }
                try? await Task.sleep(for: poll)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    private func approvals(_ context: GatewayContext) async throws -> Response {
        let record = try await ownRun(context)
        let items = try await services.store.approvals(tenant: record.tenant, runID: record.id, status: nil)
        return Reply.list(items.map(Self.approvalJSON), page: 1, limit: max(1, items.count), total: items.count)
    }

    static func approvalJSON(_ record: ApprovalRecord) -> JSONValue {
        [
            "approval_id": .string(record.request.id), "run_id": .string(record.request.runID.rawValue), "agent": .string(record.request.agent.rawValue),
            "tool": .string(record.request.tool.rawValue), "arguments": .string(AuditRedaction.redact(record.request.arguments)),
            "status": .string(record.status), "requested_at": .string(record.request.requestedAt.formatted(.iso8601)),
            "expires_at": .string(record.expiresAt.formatted(.iso8601)), "decided_by": record.decidedBy.map(JSONValue.string) ?? .null,
            "comment": record.comment.map(JSONValue.string) ?? .null,
        ]
    }

    private func decide(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        try requireRole(principal, .tenantAdmin)
        let record = try await ownRun(context)
        let approvalID = try parameter(context, "approval_id")
        let body = try await body(request, context)
        guard case .bool(let approve)? = body["approve"] else {
            throw GatewayError(.validation, "\"approve\" must be true or false", details: [["field": "approve", "message": "required boolean"]])
        }
        let comment = body["comment"]?.stringValue ?? ""
        guard let approval = try await services.store.approval(approvalID, tenant: principal.tenant), approval.request.runID == record.id else {
            throw GatewayError(.notFound, "no approval \"\(approvalID)\" for run \(record.id)")
        }
        guard !record.status.isFinal else {
            throw GatewayError(.conflict, "run \(record.id) has ended (\(record.status.rawValue)); its approvals can no longer be decided")
        }
        guard try await services.store.decideApproval(approvalID, tenant: principal.tenant, approved: approve, by: principal.user, comment: comment) else {
            throw GatewayError(.conflict, "approval \(approvalID) was already decided or has expired (\(approval.status))")
        }
        // A run that stopped to wait is queued and carried on here, from its journal.
        if try await RunLifecycle(store: services.store).queueAfterDecision(record.id) {
            _ = try? await services.runs.resume(
                record.id, tenant: principal.tenant, reason: "waited for approval \(approvalID)", expecting: .queued, environment: services.environment)
        }
        return Reply.data(Self.approvalJSON(try await services.store.approval(approvalID, tenant: principal.tenant) ?? approval))
    }

    private func invoke(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let catalog = await services.catalog.catalog
        let id = try parameter(context, "agent_id")
        guard let agent = visibleAgents(catalog, principal).first(where: { $0.id.rawValue == id }) else { throw GatewayError(.notFound, "no agent \"\(id)\"") }
        let body = try await body(request, context)
        guard let prompt = body["prompt"]?.stringValue, !prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw GatewayError(.validation, "\"prompt\" is required", details: [["field": "prompt", "message": "required non-empty string"]])
        }
        let inputs = try inputsObject(body["inputs"])
        let crew = CrewRunner.invocation(of: agent, prompt: prompt, inputs: inputs)
        return try await launch(crew, inputs: inputs, principal: principal, catalog: catalog, runID: RunID(UUID().uuidString.lowercased()), wait: true)
    }

    // MARK: Definitions

    private func listAgents(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let (page, limit) = try page(request)
        var agents = visibleAgents(await services.catalog.catalog, principal)
        if let category = request.uri.queryParameters.get("category") { agents = agents.filter { $0.category == category } }
        let slice = agents.dropFirst((page - 1) * limit).prefix(limit)
        return Reply.list(slice.map(DefinitionJSON.agentSummary), page: page, limit: limit, total: agents.count)
    }

    private func showAgent(_ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let id = try parameter(context, "agent_id")
        guard let agent = visibleAgents(await services.catalog.catalog, principal).first(where: { $0.id.rawValue == id }) else {
            throw GatewayError(.notFound, "no agent \"\(id)\"")
        }
        return Reply.data(DefinitionJSON.agent(agent))
    }

    private func listCrews(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let (page, limit) = try page(request)
        let catalog = await services.catalog.catalog
        let allowed = Set(visibleAgents(catalog, principal).map(\.id))
        let crews = catalog.crews.filter { ($0.agents + [$0.manager].compactMap { $0 }).allSatisfy(allowed.contains) }
        let slice = crews.dropFirst((page - 1) * limit).prefix(limit)
        return Reply.list(slice.map(DefinitionJSON.crewSummary), page: page, limit: limit, total: crews.count)
    }

    private func showCrew(_ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let id = try parameter(context, "crew_id")
        let catalog = await services.catalog.catalog
        let allowed = Set(visibleAgents(catalog, principal).map(\.id))
        // A crew the tenant cannot run is not listed, so it is not shown either.
        guard let crew = catalog.crew(CrewID(id)), (crew.agents + [crew.manager].compactMap { $0 }).allSatisfy(allowed.contains) else {
            throw GatewayError(.notFound, "no crew \"\(id)\"")
        }
        return Reply.data(DefinitionJSON.crew(crew))
    }

    private func tools(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let catalog = await services.catalog.catalog
        let policy = TenantToolPolicy(tenants: services.tenants)
        let registry = services.environment(principal).tools
        var items: [JSONValue] = []
        let agentID = request.uri.queryParameters.get("agent").map { String($0) }
        let agent: AgentDefinition? = agentID.flatMap { id in visibleAgents(catalog, principal).first { $0.id.rawValue == id } }
        if agentID != nil, agent == nil { throw GatewayError(.notFound, "no agent \"\(agentID!)\"") }
        for spec in ToolRegistry.standardSpecs where agent == nil || agent!.tools.contains(spec.id) {
            var reason: String?
            if case .deny(let why) = await policy.decide(spec, principal: principal) { reason = why }
            if reason == nil, let agent, case .deny(let why) = await policy.decide(spec, agent: agent, principal: principal) { reason = why }
            if reason == nil, registry.tool(spec.id) == nil { reason = "\(spec.id) is not available in this service" }
            items.append([
                "id": .string(spec.id.rawValue), "description": .string(spec.description), "access": .string(spec.access.rawValue),
                "requires_approval": .bool(spec.requiresApproval), "available": .bool(reason == nil), "reason": reason.map(JSONValue.string) ?? .null,
            ])
        }
        return Reply.list(items, page: 1, limit: max(1, items.count), total: items.count)
    }

    /// Replaces an agent definition: full validation, atomic write, reload for new runs, audit and version history.
    private func updateAgent(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        try requireRole(principal, .platformAdmin)
        let id = try parameter(context, "agent_id")
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: context.maxUploadSize) } catch {
            throw GatewayError(.payloadTooLarge, "the request body is larger than \(context.maxUploadSize) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        guard IdentifierPattern.isSafeFolder(id) else { throw GatewayError(.validation, "invalid agent id \"\(id)\"", details: [["field": "agent_id", "message": "lowercase letters, digits and hyphens"]]) }
        guard let category = (try? JSONParser.value(bytes))?["category"]?.stringValue, IdentifierPattern.isSafeFolder(category) else {
            throw GatewayError(.validation, "the body must be an agent definition with a category", details: [["field": "category", "message": "required"]])
        }
        // One update at a time: write, reload and rollback must not interleave.
        return try await services.configUpdates.run { try await replaceAgent(id: id, category: category, bytes: bytes, principal: principal) }
    }

    private func replaceAgent(id: String, category: String, bytes: [UInt8], principal: Principal) async throws -> Response {
        let holder = services.catalog
        let current = await holder.catalog
        if let existing = current.agent(AgentID(id)), existing.category != category {
            throw GatewayError(.validation, "agent \(id) is in category \(existing.category); the category cannot change here", details: [["field": "category", "message": .string("must stay \(existing.category)")]])
        }
        let loader = holder.catalogLoader
        let source = DefinitionSource(displayPath: "agents/\(category)/\(id).json", stem: id, kind: .agent(category: category), bytes: bytes)
        let checked = CatalogValidator(knownTools: loader.knownTools, knowledgeCollections: loader.knowledgeCollections()).validate([source])
        guard checked.isValid else {
            throw GatewayError(.validation, "the definition has \(checked.errorCount) error(s)", details: .array(checked.diagnostics.filter { $0.severity == .error }.map {
                ["field": .string($0.pointer), "message": .string($0.message), "line": .int($0.line), "column": .int($0.column)]
            }))
        }
        let file = holder.agentsDirectory.appendingPathComponent(category).appendingPathComponent("\(id).json")
        let previous = try? String(contentsOf: file, encoding: .utf8)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file, options: .atomic)
        let reloaded: Catalog
        do {
            reloaded = try await holder.reload()
        } catch {
            if let previous { try? Data(previous.utf8).write(to: file, options: .atomic) } else { try? FileManager.default.removeItem(at: file) }
            _ = try? await holder.reload()
            throw error
        }
        let problems = reloaded.diagnostics.filter { $0.severity == .error && $0.file.hasSuffix("/\(category)/\(id).json") }
        if !problems.isEmpty {
            // The file is fine alone but clashes with the rest of the catalog: put the old one back.
            if let previous { try Data(previous.utf8).write(to: file, options: .atomic) } else { try? FileManager.default.removeItem(at: file) }
            try await holder.reload()
            throw GatewayError(.validation, "the definition conflicts with the catalog", details: .array(problems.map { ["field": .string($0.pointer), "message": .string($0.message)] }))
        }
        let store = services.store
        if let previous, try await store.agentVersions(AgentID(id)).isEmpty {
            _ = try await store.appendAgentVersion(AgentID(id), content: previous, user: "file")
        }
        let version = try await store.appendAgentVersion(AgentID(id), content: String(decoding: bytes, as: UTF8.self), user: principal.user)
        try await store.appendAudit(AuditEntry(
            time: Date(), tenant: principal.tenant, user: principal.user, roles: principal.roles.map(\.rawValue).sorted(), runID: "config",
            agent: id, tool: "config.agent_update", outcome: "allowed", durationMS: nil, arguments: #"{"version": \#(version)}"#,
            detail: previous.map { "previous version: \($0)" } ?? "new agent"))
        guard let saved = reloaded.agent(AgentID(id)) else { throw GatewayError(.internalError, "the agent did not load") }
        return Reply.data(["version": .int(version), "agent": DefinitionJSON.agent(saved)])
    }

    private func versions(_ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        try requireRole(principal, .platformAdmin)
        let id = try parameter(context, "agent_id")
        guard await services.catalog.catalog.agent(AgentID(id)) != nil else { throw GatewayError(.notFound, "no agent \"\(id)\"") }
        let items = try await services.store.agentVersions(AgentID(id)).map { version -> JSONValue in
            ["version": .int(version.version), "time": .string(version.time.formatted(.iso8601)), "user": .string(version.user), "content": .string(version.content)]
        }
        return Reply.list(items, page: 1, limit: max(1, items.count), total: items.count)
    }

    // MARK: Health

    private func ready() async throws -> Response {
        var checks: [(String, Bool, String)] = []
        let catalog = await services.catalog.catalog
        checks.append(("catalog", !catalog.agents.isEmpty, "\(catalog.agents.count) agents, \(catalog.crews.count) crews, \(catalog.errorCount) errors"))
        do {
            _ = try await services.store.count(tenant: nil, status: nil, crew: nil)
            checks.append(("store", true, "writable"))
        } catch {
            checks.append(("store", false, "not readable"))
        }
        if let secrets = services.secrets {
            do {
                _ = try await secrets.secret("health/probe", scope: .platform)
                checks.append(("secret_store", true, "reachable"))
            } catch {
                checks.append(("secret_store", false, "unreachable"))
            }
        }
        let (providersOK, providersDetail) = await services.providersReady(catalog)
        checks.append(("providers", providersOK, providersDetail))
        let ok = checks.allSatisfy(\.1)
        let body: JSONValue = ["status": .string(ok ? "ready" : "not_ready"), "checks": .object(JSONObject(checks.map { (key: $0.0, value: ["ok": .bool($0.1), "detail": .string($0.2)]) }))]
        return ok ? Reply.data(body) : Reply.json(["error": ["code": "UNAVAILABLE", "message": "not ready", "details": body]], status: .serviceUnavailable)
    }
}

enum IdentifierPattern {
    static func isSafeFolder(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" } && text != "crews" && text != "schema"
    }
}
