import AgentRuntime
import Agents
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle

/// Runs: started for a crew or for one agent (`invoke`), listed, shown, cancelled, resumed, and followed as
/// Server-Sent Events. Paths are relative to `/v1`.
struct RunRoutes: Sendable {
    /// What the handlers use.
    let services: GatewayServices

    /// The routes, each with its handler.
    var endpoints: RouteCollection<GatewayContext> {
        RouteCollection(context: GatewayContext.self)
            .post("crews/{crew_id}/runs", use: startRun)
            .post("agents/{agent_id}/invoke", use: invoke)
            .get("runs", use: listRuns)
            .get("runs/{run_id}", use: showRun)
            .post("runs/{run_id}/cancel", use: cancelRun)
            .post("runs/{run_id}/resume", use: resumeRun)
            .get("runs/{run_id}/events", use: events)
    }

    private func startRun(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let catalog = await services.catalog.catalog
        let crewID = try context.parameter("crew_id")
        let crew = try services.visibleCrew(crewID, catalog, principal)
        let body = try await request.json(context: context)
        let inputs = try inputsObject(body["inputs"])
        let wait = body["wait"] == true
        let runID = RunID(UUID().uuidString.lowercased())
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            return try await launch(
                crew, inputs: inputs, principal: principal, catalog: catalog, runID: runID, wait: wait)
        }
        guard key.count <= 200 else {
            throw GatewayError(
                .validation, "Idempotency-Key is longer than 200 characters",
                details: [["field": "Idempotency-Key", "message": "at most 200 characters"]])
        }
        if let existing = try await services.store.claimIdempotencyKey(key, tenant: principal.tenant, runID: runID) {
            return try await replay(existing, wait: wait, principal: principal)
        }
        do {
            return try await launch(
                crew, inputs: inputs, principal: principal, catalog: catalog, runID: runID, wait: wait)
        } catch {
            // The run never started: a retry with the same key may start it.
            if try await services.store.run(runID, tenant: principal.tenant) == nil {
                try? await services.store.releaseIdempotencyKey(key, tenant: principal.tenant, runID: runID)
            }
            throw error
        }
    }

    /// The run an Idempotency-Key already names: as it is now, or once finished when the caller waits. Keys are
    /// per tenant: a key another user of the tenant already used for a run this caller may not see is a conflict,
    /// never that run.
    private func replay(_ id: RunID, wait: Bool, principal: Principal) async throws -> Response {
        let tenant = principal.tenant
        let store = services.store
        var record = try await store.run(id, tenant: tenant)
        // The first request may still be storing its run (on any replica): woken by the store's signals.
        if record == nil {
            var wakeups = services.wakeups.stream(run: id, interval: services.configuration.eventPollInterval)
                .makeAsyncIterator()
            while record == nil, !Task.isCancelled {
                guard await wakeups.next() != nil else { break }
                record = try await store.run(id, tenant: tenant)
                if record == nil, try await !store.isIdempotencyKeyClaimed(for: id) { break }
            }
        }
        if let found = record, !principal.mayAccess(found) {
            throw GatewayError(.conflict, "this Idempotency-Key is already used by another request; use another key")
        }
        if wait, record != nil { record = try await services.awaitEnd(of: id, tenant: tenant) }
        guard let record else {
            throw GatewayError(.conflict, "the request with this Idempotency-Key did not start a run; retry")
        }
        guard wait else {
            return Reply.data(
                ["run_id": .string(id.rawValue), "status": .string(record.status.rawValue)], status: .accepted)
        }
        return try await recordReply(record)
    }

    /// A stored run with its task outputs.
    private func recordReply(_ record: RunRecord) async throws -> Response {
        guard case .object(var object) = RunJSON.record(record) else { return Reply.data(RunJSON.record(record)) }
        object["tasks"] = .array(try await services.store.tasks(of: record.id).map(RunJSON.task))
        // Totals by agent and by the model that answered, from the run's booked calls.
        for member in RunUsageTotals(try await services.store.usageRecords(of: record.id)).json {
            object[member.key] = member.value
        }
        return Reply.data(.object(object))
    }

    private func launch(
        _ crew: CrewDefinition, inputs: [String: JSONValue], principal: Principal, catalog: Catalog, runID: RunID,
        wait: Bool
    ) async throws -> Response {
        try GatewayServices.checkInputs(crew, inputs)
        let started = try await services.runs.start(
            crew, inputs: inputs, principal: principal, environment: services.environment(principal),
            agents: { catalog.agent($0) }, runID: runID)
        guard wait else {
            return Reply.data(
                ["run_id": .string(runID.rawValue), "status": started.local == nil ? "queued" : "running"],
                status: .accepted)
        }
        guard let task = started.local else {
            // Queued for another worker: followed through the store until it ends.
            guard let record = try await services.awaitEnd(of: runID, tenant: principal.tenant) else {
                throw GatewayError(.notFound, "no run \(runID)")
            }
            if record.status == .cancelled { throw GatewayError(.conflict, "run \(runID) was cancelled") }
            return try await recordReply(record)
        }
        switch await task.value {
        case .success(let result): return Reply.data(RunJSON.result(result))
        case .failure(.cancelled): throw GatewayError(.conflict, "run \(runID) was cancelled")
        case .failure(let error):
            throw GatewayError(
                .validation, "run \(runID) could not be carried out: \(error.description)",
                details: [["field": "", "message": .string(error.code)]])
        }
    }

    private func invoke(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let catalog = await services.catalog.catalog
        let id = try context.parameter("agent_id")
        let agent = try services.visibleAgent(id, catalog, principal)
        let body = try await request.json(context: context)
        guard let prompt = body["prompt"]?.stringValue, !prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else {
            throw GatewayError(
                .validation, "\"prompt\" is required",
                details: [["field": "prompt", "message": "required non-empty string"]])
        }
        let inputs = try inputsObject(body["inputs"])
        let crew = CrewRunner.invocation(of: agent, prompt: prompt, inputs: inputs)
        return try await launch(
            crew, inputs: inputs, principal: principal, catalog: catalog, runID: RunID(UUID().uuidString.lowercased()),
            wait: true)
    }

    private func listRuns(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let principal = try context.caller()
        let (page, limit) = try request.page()
        var status: RunStatus?
        if let text = request.uri.queryParameters.get("status") {
            guard let parsed = RunStatus(rawValue: String(text)) else {
                throw GatewayError(
                    .validation, "unknown status \"\(text)\"",
                    details: [
                        [
                            "field": "status",
                            "message": .string("one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))"),
                        ]
                    ])
            }
            status = parsed
        }
        let crew = request.uri.queryParameters.get("crew").map { String($0) }
        // A tenant user's own runs only, filtered in the query so pages and totals count only those.
        let user = principal.runsUser
        let runs = try await services.store.runs(
            tenant: principal.tenant, user: user, status: status, crew: crew, limit: limit,
            offset: (page - 1) * limit)
        let total = try await services.store.count(tenant: principal.tenant, user: user, status: status, crew: crew)
        return Reply.list(runs.map(RunJSON.record), page: page, limit: limit, total: total)
    }

    private func showRun(_ request: Request, _ context: GatewayContext) async throws -> Response {
        try await recordReply(try await services.visibleRun(context))
    }

    private func cancelRun(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let record = try await services.visibleRun(context)
        guard !record.status.isFinal || record.status == .interrupted else {
            throw GatewayError(.conflict, "run \(record.id) has already ended (\(record.status.rawValue))")
        }
        switch try await services.runs.cancel(record.id, tenant: record.tenant) {
        case .requested:
            // Its worker (on whichever replica) stops it and stores it as cancelled.
            return Reply.data(["run_id": .string(record.id.rawValue), "status": "cancelling"], status: .accepted)
        case .cancelled:
            return Reply.data(["run_id": .string(record.id.rawValue), "status": "cancelled"], status: .accepted)
        case .ended(let status):
            throw GatewayError(.conflict, "run \(record.id) has already ended (\(status.rawValue))")
        case .notFound:
            throw GatewayError(.notFound, "no run \(record.id)")
        }
    }

    /// Carries on an unfinished run (interrupted, or left running by a process that is gone) from its journal.
    private func resumeRun(_ request: Request, _ context: GatewayContext) async throws -> Response {
        _ = try context.caller(atLeast: .tenantAdmin)
        let record = try await services.visibleRun(context)
        if record.status == .awaitingApproval {
            throw GatewayError(.conflict, "run \(record.id) waits for an approval; deciding it carries the run on")
        }
        guard RunLifecycle.resumable(record.status) else {
            throw GatewayError(.conflict, "run \(record.id) has ended (\(record.status.rawValue))")
        }
        guard !(await services.runs.isActive(record.id)) else {
            throw GatewayError(.conflict, "run \(record.id) is running in this service")
        }
        guard services.configuration.isWorker else {
            throw GatewayError(
                .conflict,
                "this replica carries no runs out (API only); workers carry interrupted runs on by themselves")
        }
        guard try await services.runs.claimQueued(only: record.id, environment: services.environment) == 1 else {
            throw GatewayError(
                .conflict,
                "run \(record.id) cannot be resumed (a live worker holds it, or it was started before runs kept their definitions)"
            )
        }
        let attempts = (try await services.store.run(record.id, tenant: record.tenant))?.attempts ?? record.attempts + 1
        return Reply.data(
            ["run_id": .string(record.id.rawValue), "status": "running", "attempt": .int(attempts)], status: .accepted)
    }

    /// The run's events as SSE. Events stored after `Last-Event-ID` (or `?after=`) come first, from the store; while
    /// this process carries the run out, the rest arrive live as they happen, streamed text included (`event:
    /// text_delta`, without an id: reconnecting resumes after the last numbered event); otherwise the store is read
    /// whenever it signals a new event of the run (from whichever replica carries it out). Open streams are capped
    /// per tenant and per replica (429 past a cap); a stream open for the longest lifetime allowed ends with an
    /// `event: reconnect` (without an id), and the client reconnects with `Last-Event-ID`.
    private func events(_ request: Request, _ context: GatewayContext) async throws -> Response {
        let record = try await services.visibleRun(context)
        let after =
            Int(request.headers[.lastEventID] ?? request.uri.queryParameters.get("after").map { String($0) } ?? "0")
            ?? 0
        let store = services.store
        let configuration = services.configuration
        let heartbeat = configuration.heartbeatInterval
        // Held until the body ends, however it ends (given back by the slot itself if the body never runs).
        let slot = try await services.streams.acquire(record.tenant, retryAfter: Self.streamRetryAfter)
        let opened = configuration.time.stopwatch()
        // Subscribed before catching up, so nothing falls between the two.
        let live = await services.runs.subscribe(record.id, idle: heartbeat)
        let wakeups = services.wakeups.stream(run: record.id, interval: min(heartbeat, configuration.eventPollInterval))
        let body = ResponseBody { writer in
            do {
                try await Self.stream(
                    record.id, after: after, store: store, live: live, wakeups: wakeups, heartbeat: heartbeat,
                    opened: opened, maxLifetime: configuration.maxStreamLifetime, to: &writer)
            } catch {
                await slot.release()
                throw error
            }
            await slot.release()
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// Seconds a client refused a stream (429) is told to wait: streams end as runs do.
    static let streamRetryAfter = 10

    /// Writes a run's events after `after` until the run has ended, the client goes, the service shuts down, or the
    /// stream, `opened` when its request came, has been open for `maxLifetime` (then a closing `reconnect` event says
    /// where to resume).
    private static func stream(
        _ run: RunID, after: Int, store: any RunStore, live: AsyncStream<RunBroadcast.Item>?,
        wakeups: AsyncStream<Void>, heartbeat: Duration, opened: Stopwatch, maxLifetime: Duration,
        to writer: inout any ResponseBodyWriter
    ) async throws {
        var last = after
        var lastWrite = ContinuousClock.now
        var closed = false
        var isExpired = false
        func write(_ event: StoredEvent) async throws {
            try await writer.write(
                ByteBuffer(
                    string: "id: \(event.sequence)\nevent: \(event.kind)\ndata: \(event.json.serialized())\n\n"))
            last = event.sequence
            if Self.closingKinds.contains(event.kind) { closed = true }
            lastWrite = .now
        }
        for event in try await store.events(of: run, after: last) { try await write(event) }
        if let live {
            for await item in live {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                if opened.elapsed >= maxLifetime {
                    isExpired = true
                    break
                }
                switch item {
                case .idle:
                    if ContinuousClock.now - lastWrite >= heartbeat {
                        try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                        lastWrite = .now
                    }
                case .event(let event):
                    if case .textDelta(let text) = event.kind {
                        let data: JSONValue = [
                            "run_id": .string(event.runID.rawValue), "agent_path": .string(event.agentPathText),
                            "text": .string(text),
                        ]
                        try await writer.write(
                            ByteBuffer(string: "event: text_delta\ndata: \(data.serialized())\n\n"))
                        lastWrite = .now
                    } else if event.sequence > last {
                        try await write(StoredEvent(event))
                    }
                }
            }
        }
        var wake = wakeups.makeAsyncIterator()
        var endedAt: ContinuousClock.Instant?
        while !isExpired {
            let status = try await store.run(run, tenant: nil)?.status
            for event in try await store.events(of: run, after: last) { try await write(event) }
            // The status was read before the events: once final, everything was stored, except a closing event
            // written just after the status (a cancel nobody was carrying out): waited for a little while.
            // An interrupted run is carried on by a worker: its stream stays open.
            let ended = status.map { $0.isFinal && $0 != .interrupted } ?? true
            if ended, endedAt == nil { endedAt = .now }
            if (ended && (closed || ContinuousClock.now - endedAt! >= .seconds(2))) || Task.isCancelled
                || Task.isShuttingDownGracefully
            {
                break
            }
            if opened.elapsed >= maxLifetime {
                isExpired = true
                break
            }
            if ContinuousClock.now - lastWrite >= heartbeat {
                try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                lastWrite = .now
            }
            guard await wake.next() != nil else { break }
        }
        if isExpired {
            let seconds = maxLifetime.components.seconds
            let data: JSONValue = ["reason": "max_stream_lifetime", "last_event_id": .int(last)]
            try await writer.write(
                ByteBuffer(
                    string:
                        ": open for its longest lifetime (\(seconds) s); reconnect with Last-Event-ID: \(last)\nevent: reconnect\ndata: \(data.serialized())\n\n"
                ))
        }
        try await writer.finish(nil)
    }

    /// The events that close a run's stream.
    static let closingKinds: Set<String> = ["run_finished", "run_failed", "run_cancelled"]

    private func inputsObject(_ value: JSONValue?) throws -> [String: JSONValue] {
        guard let value, value != .null else { return [:] }
        guard case .object(let object) = value else {
            throw GatewayError(
                .validation, "inputs must be an object", details: [["field": "inputs", "message": "must be an object"]])
        }
        var inputs: [String: JSONValue] = [:]
        for member in object { inputs[member.key] = member.value }
        return inputs
    }
}
