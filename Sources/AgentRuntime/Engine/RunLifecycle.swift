import Foundation

/// Owns a stored run from submission to its final status: stores it with the definitions it starts with, runs
/// each attempt with its steps journaled (a later attempt answers them from the journal), attaches the store's
/// event sink to the caller's, and writes the final record and task outputs. The CLI and the gateway both run
/// crews through it.
public struct RunLifecycle: Sendable {
    /// The store.
    public let store: any DurableRunStore

    /// Creates a lifecycle over `store`.
    public init(store: any DurableRunStore) { self.store = store }

    /// Stores a new run (status `running`) with the crew and agents it starts with.
    public func submit(
        _ crew: CrewDefinition, inputs: [String: JSONValue], principal: Principal,
        agents: (AgentID) -> AgentDefinition?,
        runID: RunID = RunID(UUID().uuidString.lowercased())
    ) async throws -> (record: RunRecord, definition: RunDefinition) {
        let used = (crew.agents + [crew.manager].compactMap { $0 }).compactMap(agents)
        let definition = RunDefinition(crew: crew, agents: used, inputs: inputs, principal: principal)
        let record = RunRecord(
            id: runID, tenant: principal.tenant, user: principal.user, crew: crew.id.rawValue, status: .running,
            inputs: .object(JSONObject(inputs.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })))
        try await store.insert(record)
        try await store.saveDefinition(definition, of: runID)
        return (record, definition)
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
                // A decision made before `waitingFor` was stored could not queue the run: queue it now.
                if let approval = try? await store.approval(approvalID, tenant: nil), approval.status != "pending" {
                    _ = try? await queueAfterDecision(runID)
                }
                return .success(result)
            }
            try? await store.update(record.finished(with: result))
            try? await store.saveTasks(result.tasks, of: runID)
            return .success(result)
        } catch {
            let engineError =
                error as? EngineError
                ?? (error is CancellationError ? .cancelled : .unexpected(String(describing: error)))
            var failed = record
            failed.status = engineError == .cancelled ? .cancelled : .failed
            failed.finishedAt = Date()
            failed.errorCode = engineError.code
            failed.errorMessage = engineError.description
            try? await store.update(failed)
            return .failure(engineError)
        }
    }

    /// Readies the next attempt of a run that did not finish (left `running` by a crash, or `interrupted` by a
    /// shutdown): notes why the last attempt ended, counts the attempt, and marks the run running again. Nil when
    /// the run does not exist for `tenant`, has already finished, or has no stored definition.
    ///
    /// `expecting` is the status the caller saw the run in (the run's current one when nil): of several callers that
    /// saw it `interrupted` or `queued`, one claims it; of several that saw a crash leftover `running`, the one that
    /// advances the attempt number first wins.
    public func prepareResume(
        _ runID: RunID, tenant: TenantID?, reason: String, expecting: RunStatus? = nil
    ) async throws -> (record: RunRecord, definition: RunDefinition)? {
        guard var record = try await store.run(runID, tenant: tenant), Self.resumable(record.status),
            record.status == (expecting ?? record.status),
            var definition = try await store.definition(of: runID)
        else { return nil }
        let previous = definition.attempt
        definition.attemptErrors.append("attempt \(definition.attempt): \(reason)")
        definition.attempt += 1
        definition.waitingFor = nil
        guard try await store.claim(runID, from: [record.status], to: .running),
            try await store.advanceDefinition(definition, of: runID, from: previous)
        else { return nil }
        record.status = .running
        record.finishedAt = nil
        record.errorCode = nil
        record.errorMessage = nil
        try await store.update(record)
        return (record, definition)
    }

    /// After a human decided an approval the run was waiting for: queues the run to be carried on. False when the
    /// run was not waiting (it ended, or another decision queued it already).
    public func queueAfterDecision(_ runID: RunID) async throws -> Bool {
        // Only a run whose attempt ended to wait; one that waits in memory (the CLI in the foreground) goes on by itself.
        guard try await store.definition(of: runID)?.waitingFor != nil else { return false }
        return try await store.claim(runID, from: [.awaitingApproval], to: .queued)
    }

    /// Whether a run in `status` can be carried on.
    public static func resumable(_ status: RunStatus) -> Bool { [.queued, .running, .interrupted].contains(status) }
}
