import Foundation

/// Owns a stored run from submission to its final status: stores it with the definitions it starts with, runs
/// each attempt with its steps journaled (a later attempt answers them from the journal), attaches the store's
/// event sink to the caller's, and writes the final record and task outputs. The CLI and the gateway both run
/// crews through it.
public struct RunLifecycle: Sendable {
    /// The store.
    public let store: any DurableRunStore
    /// This process's worker: the leases it holds on the runs it carries out.
    public let keeper: LeaseKeeper

    /// Creates a lifecycle over `store`, holding runs as `keeper`'s worker (a keeper of its own when nil).
    public init(store: any DurableRunStore, keeper: LeaseKeeper? = nil) {
        self.store = store
        self.keeper = keeper ?? LeaseKeeper(store: store)
    }

    /// Stores a new run with the crew and agents it starts with: `running` under this worker's lease when `claim`
    /// is true (the caller carries it out now), otherwise `queued` for any worker. Throws
    /// ``RunAdmissionError`` when its tenant already has `inFlightLimit` runs queued or running.
    public func submit(
        _ crew: CrewDefinition, inputs: [String: JSONValue], principal: Principal,
        agents: (AgentID) -> AgentDefinition?,
        runID: RunID = RunID(UUID().uuidString.lowercased()), inFlightLimit: Int? = nil, claim: Bool = true
    ) async throws -> (record: RunRecord, definition: RunDefinition) {
        let used = (crew.agents + [crew.manager].compactMap { $0 }).compactMap(agents)
        var submitted = RunDefinition(crew: crew, agents: used, inputs: inputs, principal: principal)
        // The submitter's trace (an API request's `traceparent`) parents every attempt, on whichever worker.
        submitted.traceParent = TraceContext.current?.traceparent
        let definition = submitted
        let record = RunRecord(
            id: runID, tenant: principal.tenant, user: principal.user, crew: crew.id.rawValue,
            status: claim ? .running : .queued,
            inputs: .object(JSONObject(inputs.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })),
            createdAt: keeper.time.now)
        let store = self.store
        let lease = claim ? keeper.lease() : nil
        let refused = try await keeper.claiming({ refused in refused == nil && claim ? [runID] : [] }) {
            try await store.enqueue(record, definition: definition, inFlightLimit: inFlightLimit, lease: lease)
        }
        if let refused {
            throw RunAdmissionError(tenant: principal.tenant, inFlight: refused, limit: inFlightLimit ?? 0)
        }
        return (record, definition)
    }

    /// Claims up to `limit` runs for this worker (queued ones, interrupted ones, and ones whose worker's lease
    /// expired; with `only`, just that run) and readies each for its attempt: a new run starts at attempt 1; a run
    /// carried on counts a new attempt with why the last one ended. A run someone asked to cancel while nobody
    /// carried it out is ended as cancelled instead.
    /// With `ignoringLeases`, a run held by a live lease is taken too (`agentctl runs resume --force`, for a run
    /// whose process is known to be gone).
    public func claim(
        limit: Int, only: RunID? = nil, ignoringLeases: Bool = false
    ) async throws -> [(record: RunRecord, definition: RunDefinition)] {
        let now = keeper.time.now
        let (store, worker, until) = (self.store, keeper.worker, now.addingTimeInterval(keeper.leaseDuration.seconds))
        let claimed = try await keeper.claiming({ $0.map(\.runID) }) {
            try await store.claimRuns(
                worker: worker, limit: limit, now: ignoringLeases ? .distantFuture : now, until: until, only: only)
        }
        var ready: [(record: RunRecord, definition: RunDefinition)] = []
        do {
            for run in claimed {
                if let prepared = try await prepare(run, now: now) {
                    ready.append(prepared)
                } else {
                    await keeper.drop(run.runID)
                }
            }
        } catch {
            // The rest go back to the queue (their leases given up) rather than being held by nobody.
            for run in claimed where !ready.contains(where: { $0.record.id == run.runID }) {
                await keeper.drop(run.runID)
                try? await store.releaseLease(run.runID, worker: worker)
            }
            throw error
        }
        return ready
    }

    /// Readies one claimed run for its attempt; nil when it is not to be carried out (no definition, or cancelled).
    private func prepare(_ run: ClaimedRun, now: Date) async throws -> (record: RunRecord, definition: RunDefinition)? {
        guard var record = try await store.run(run.runID, tenant: nil),
            var definition = try await store.definition(of: run.runID)
        else {
            // Stored before runs kept their definitions: it cannot be carried on.
            if var record = try await store.run(run.runID, tenant: nil) {
                record.status = .interrupted
                record.finishedAt = now
                _ = try await store.release(record, worker: keeper.worker)
            }
            return nil
        }
        if run.cancelRequested {
            try await cancelUnattended(record)
            return nil
        }
        let fresh = run.previous == .queued && definition.waitingFor == nil && definition.attempt == 1
        if !fresh {
            let reason: String
            switch run.previous {
            case .queued: reason = "waited for approval \(definition.waitingFor ?? "")"
            case .interrupted: reason = "interrupted by a shutdown"
            case .awaitingApproval:
                reason = "its worker stopped (the lease expired) while the run stopped to wait for an approval"
            default: reason = "its worker stopped (the lease expired) before the run finished"
            }
            let previous = definition.attempt
            definition.attemptErrors.append("attempt \(definition.attempt): \(reason)")
            definition.attempt += 1
            definition.waitingFor = nil
            guard try await store.advanceDefinition(definition, of: run.runID, from: previous) else {
                try? await store.releaseLease(run.runID, worker: keeper.worker)
                return nil
            }
            record.attempts = definition.attempt
            record.attemptErrors = definition.attemptErrors
        }
        record.status = .running
        record.finishedAt = nil
        record.errorCode = nil
        record.errorMessage = nil
        try await store.update(record)
        return (record, definition)
    }

    /// Ends a claimed run as cancelled without running it (the cancel was asked for while nobody carried it out).
    private func cancelUnattended(_ record: RunRecord) async throws {
        var cancelled = record
        cancelled.status = .cancelled
        cancelled.finishedAt = keeper.time.now
        cancelled.errorCode = EngineError.cancelled.code
        cancelled.errorMessage = EngineError.cancelled.description
        try await appendEnd(of: record.id, .runCancelled(reason: "cancelled by the caller"))
        _ = try await store.release(cancelled, worker: keeper.worker)
    }

    /// Stores a run's closing event after its last one (for a run ended without an attempt).
    func appendEnd(of runID: RunID, _ kind: RunEvent.Kind) async throws {
        let sequence = try await store.lastEventSequence(of: runID) + 1
        try await store.append(
            RunEvent(runID: runID, sequence: sequence, timestamp: keeper.time.now, agentPath: [], kind: kind))
    }

    /// Asks for a run to be cancelled wherever it is: one nobody carries out ends now (with its `run_cancelled`
    /// event); the worker holding one is told (it stops the run and stores it as cancelled).
    public func cancel(_ runID: RunID, tenant: TenantID) async throws -> CancelRequest {
        let outcome = try await store.requestCancel(runID, tenant: tenant, now: keeper.time.now)
        if outcome == .cancelled { try await appendEnd(of: runID, .runCancelled(reason: "cancelled by the caller")) }
        return outcome
    }

    /// Runs the current attempt of a stored run to its final status, and stores that status, usage and outputs.
    /// A run the engine cannot carry out at all (inputs it refuses, a missing agent) is stored as failed with the
    /// engine's error code.
    public func execute(
        _ record: RunRecord, definition: RunDefinition, environment: EngineEnvironment, sinks: [any EventSink] = []
    ) async -> Result<RunResult, EngineError> {
        var environment = environment
        let store = self.store
        let runID = record.id
        // Every model exchange is recorded, so the run can be replayed with edited definitions.
        environment.models = RecordingModelResolver(base: environment.models) { reference, request, response in
            try? await store.appendExchange(runID, model: reference.description, request: request, response: response)
        }
        let agents = Dictionary(definition.agents.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let sink = FanOutEventSink([RunStoreEventSink(store: store)] + sinks)
        let keeper = self.keeper
        let worker = keeper.worker
        // Held while the attempt lasts: a cancel asked for on any replica, or a lost lease, stops it.
        let stopped = StopFlag()
        let parent = definition.traceParent.flatMap(TraceContext.init(traceparent:)) ?? TraceContext.current
        let attempt = Task {
            await TraceContext.$current.withValue(parent) {
                await execute(
                    record, definition: definition, environment: environment, runID: runID, agents: agents, sink: sink,
                    worker: worker, stopped: stopped)
            }
        }
        let token = await keeper.hold(runID) { stop in
            stopped.set(stop)
            attempt.cancel()
        }
        let outcome = await withTaskCancellationHandler {
            await attempt.value
        } onCancel: {
            attempt.cancel()
        }
        await keeper.drop(runID, token: token)
        return outcome
    }

    private func execute(
        _ record: RunRecord, definition: RunDefinition, environment: EngineEnvironment, runID: RunID,
        agents: [AgentID: AgentDefinition], sink: any EventSink, worker: String, stopped: StopFlag
    ) async -> Result<RunResult, EngineError> {
        let store = self.store
        do {
            // A later attempt numbers its events on from the earlier ones, so what is stored stays 1, 2, 3, ...
            let eventsAfter = definition.attempt > 1 ? try await store.lastEventSequence(of: runID) : 0
            let result = try await CrewRunner(environment: environment).run(
                definition.crew, inputs: definition.inputs, principal: definition.principal, agents: { agents[$0] },
                runID: runID, sink: sink,
                journal: store, attempt: definition.attempt, eventsAfter: eventsAfter)
            if case .awaitingApproval(let approvalID)? = result.error {
                // The gate already marked the run awaiting_approval; its record is not written over here, since a
                // decision may queue (and another attempt take) the run at any moment.
                var waiting = definition
                waiting.waitingFor = approvalID
                try? await store.saveDefinition(waiting, of: runID)
                try? await store.saveTasks(result.tasks, of: runID)
                try? await store.releaseLease(runID, worker: worker)
                // A decision made before `waitingFor` was stored could not queue the run: queue it now.
                if let approval = try? await store.approval(approvalID, tenant: nil), approval.status != "pending" {
                    _ = try? await queueAfterDecision(runID)
                }
                return .success(result)
            }
            if stopped.value == .leaseLost { return .success(result) }
            var finished = record.finished(with: result, at: keeper.time.now)
            if stopped.value == .shutdown, result.status == .cancelled {
                // Stopped by a shutdown, not by a caller: any worker carries it on (a cancel asked for meanwhile stays
                // asked for).
                finished.status = .interrupted
                finished.errorCode = nil
                finished.errorMessage = nil
            }
            // Written only while this worker still holds the run (fenced: a worker that lost it writes nothing).
            if (try? await store.release(finished, worker: worker)) == true {
                try? await store.saveTasks(result.tasks, of: runID)
            }
            return .success(result)
        } catch {
            let engineError =
                error as? EngineError
                ?? (error is CancellationError ? .cancelled : .unexpected(String(describing: error)))
            var failed = record
            failed.status = engineError == .cancelled ? .cancelled : .failed
            failed.finishedAt = keeper.time.now
            failed.errorCode = engineError.code
            failed.errorMessage = engineError.description
            if stopped.value == .shutdown {
                // Stopped by a shutdown, not by a caller: any worker carries it on (a cancel asked for meanwhile stays
                // asked for).
                failed.status = .interrupted
                failed.errorCode = nil
                failed.errorMessage = nil
            }
            if stopped.value != .leaseLost { _ = try? await store.release(failed, worker: worker) }
            return .failure(engineError)
        }
    }

    /// Readies the next attempt of a run that did not finish (left by a process that is gone, or `interrupted` by a
    /// shutdown) for this worker: nil when the run does not exist for `tenant`, cannot be claimed (it has ended, or
    /// a live worker holds it), or has no stored definition.
    public func prepareResume(
        _ runID: RunID, tenant: TenantID?, force: Bool = false
    ) async throws -> (record: RunRecord, definition: RunDefinition)? {
        guard try await store.run(runID, tenant: tenant) != nil else { return nil }
        return try await claim(limit: 1, only: runID, ignoringLeases: force).first
    }

    /// After a human decided an approval the run was waiting for: queues the run to be carried on. False when the
    /// run was not waiting (it ended, or another decision queued it already).
    public func queueAfterDecision(_ runID: RunID) async throws -> Bool {
        // Only a run whose attempt ended to wait; one that waits in memory (the CLI in the foreground) goes on by itself.
        guard try await store.definition(of: runID)?.waitingFor != nil else { return false }
        return try await store.claim(runID, from: [.awaitingApproval], to: .queued)
    }

    /// Ends a run this worker holds as interrupted (a shutdown stopped it), for another worker to carry on at once.
    public func interrupt(_ runID: RunID) async throws {
        await keeper.drop(runID)
        guard var record = try await store.run(runID, tenant: nil),
            !record.status.isFinal || record.status == .cancelled
        else { return }
        record.status = .interrupted
        record.finishedAt = keeper.time.now
        _ = try await store.release(record, worker: keeper.worker)
    }

    /// Whether a run in `status` can be carried on.
    public static func resumable(_ status: RunStatus) -> Bool { [.queued, .running, .interrupted].contains(status) }
}

/// A new run refused: its tenant has as many runs in flight as it may.
public struct RunAdmissionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The tenant.
    public var tenant: TenantID
    /// Its runs queued, running or interrupted when the run was refused.
    public var inFlight: Int
    /// Its limit.
    public var limit: Int

    /// Creates the error.
    public init(tenant: TenantID, inFlight: Int, limit: Int) {
        self.tenant = tenant
        self.inFlight = inFlight
        self.limit = limit
    }

    /// What happened.
    public var description: String {
        "tenant \(tenant) already has \(inFlight) runs in flight (limit \(limit))"
    }
}

/// Why a held attempt was told to stop (set once, read when it ends).
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stop: LeaseKeeper.Stop?

    /// Records the reason (a lost lease outranks a shutdown, which outranks a cancel).
    func set(_ reason: LeaseKeeper.Stop) {
        lock.withLock {
            switch (stop, reason) {
            case (.leaseLost?, _), (.shutdown?, .cancelRequested): return
            default: stop = reason
            }
        }
    }

    /// The reason, if any.
    var value: LeaseKeeper.Stop? { lock.withLock { stop } }
}
