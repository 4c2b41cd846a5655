import AgentRuntime
import Foundation

/// Runs started through the API: started in the background, stored as they go,
/// cancellable, limited per tenant, and drained on shutdown.
public actor RunManager {
    private struct Active {
        var tenant: TenantID
        var task: Task<Result<RunResult, EngineError>, Never>
    }

    private let store: SQLiteRunStore
    private let metrics: GatewayMetrics
    private let concurrentRunsPerTenant: Int
    private var active: [RunID: Active] = [:]
    /// Runs that passed the limit check and are being stored (counted against the limit, awaited by a drain).
    private var starting: [TenantID: Int] = [:]
    private var accepting = true

    init(store: SQLiteRunStore, metrics: GatewayMetrics, concurrentRunsPerTenant: Int) {
        self.store = store
        self.metrics = metrics
        self.concurrentRunsPerTenant = concurrentRunsPerTenant
    }

    /// Runs in flight.
    public var inFlight: Int { active.count }

    /// Starts `crew` for `principal`; the record is stored before this returns. Throws 429 past the tenant's limit.
    func start(
        _ crew: CrewDefinition, inputs: [String: JSONValue], principal: Principal, environment: EngineEnvironment,
        agents: @escaping @Sendable (AgentID) -> AgentDefinition?, runID: RunID
    ) async throws -> Task<Result<RunResult, EngineError>, Never> {
        guard accepting else { throw GatewayError(.unavailable, "the service is shutting down") }
        // The slot is taken before the first suspension, so concurrent starts cannot all pass the check.
        let running = active.values.count { $0.tenant == principal.tenant } + starting[principal.tenant, default: 0]
        guard running < concurrentRunsPerTenant else {
            throw GatewayError(.rateLimited, "tenant \(principal.tenant) already has \(running) runs in flight (limit \(concurrentRunsPerTenant))", retryAfter: 5)
        }
        starting[principal.tenant, default: 0] += 1
        defer { starting[principal.tenant, default: 1] -= 1 }
        let record = RunRecord(
            id: runID, tenant: principal.tenant, user: principal.user, crew: crew.id.rawValue, status: .running,
            inputs: .object(JSONObject(inputs.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })))
        try await store.insert(record)
        guard accepting else {
            // A drain began while this run was being stored: it never starts.
            var interrupted = record
            interrupted.status = .interrupted
            interrupted.finishedAt = Date()
            try? await store.update(interrupted)
            throw GatewayError(.unavailable, "the service is shutting down")
        }
        var environment = environment
        let store = self.store
        environment.models = RecordingModelResolver(base: environment.models) { reference, request, response in
            try? await store.appendExchange(runID, model: reference.description, request: request, response: response)
        }
        let sink = FanOutEventSink([RunStoreEventSink(store: store), AuditEventSink(store: store, principal: principal), metrics])
        let runner = CrewRunner(environment: environment)
        let metrics = self.metrics
        let task = Task<Result<RunResult, EngineError>, Never> {
            let started = ContinuousClock.now
            let outcome: Result<RunResult, EngineError>
            do {
                let result = try await runner.run(crew, inputs: inputs, principal: principal, agents: agents, runID: runID, sink: sink)
                try? await store.update(record.finished(with: result))
                try? await store.saveTasks(result.tasks, of: runID)
                await metrics.runFinished(crew: crew.id.rawValue, status: result.status, seconds: result.duration.seconds)
                outcome = .success(result)
            } catch {
                // The run could not be carried out at all (an agent missing from the catalog, inputs the engine refused).
                let engineError = error as? EngineError ?? (error is CancellationError ? .cancelled : .modelUnavailable("the run stopped on an internal error"))
                var failed = record
                failed.status = engineError == .cancelled ? .cancelled : .failed
                failed.finishedAt = Date()
                failed.errorCode = engineError.code
                failed.errorMessage = engineError.description
                try? await store.update(failed)
                await metrics.runFinished(crew: crew.id.rawValue, status: failed.status, seconds: (ContinuousClock.now - started).seconds)
                outcome = .failure(engineError)
            }
            await self.finished(runID)
            return outcome
        }
        active[runID] = Active(tenant: principal.tenant, task: task)
        await metrics.setInFlight(active.count)
        return task
    }

    private func finished(_ runID: RunID) async {
        active[runID] = nil
        await metrics.setInFlight(active.count)
    }

    /// Cancels a run of `tenant` in flight; false when it is not running here.
    func cancel(_ runID: RunID, tenant: TenantID) -> Bool {
        guard let run = active[runID], run.tenant == tenant else { return false }
        run.task.cancel()
        return true
    }

    /// Stops accepting runs, lets running ones finish for `grace`, then cancels the rest and records them as interrupted.
    public func drain(grace: Duration) async {
        accepting = false
        let deadline = ContinuousClock.now + grace
        while !active.isEmpty || starting.values.contains(where: { $0 > 0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let remaining = active
        for (_, run) in remaining { run.task.cancel() }
        for (id, run) in remaining {
            _ = await run.task.value
            if var record = try? await store.run(id, tenant: nil) {
                record.status = .interrupted
                record.finishedAt = Date()
                try? await store.update(record)
            }
        }
    }
}
