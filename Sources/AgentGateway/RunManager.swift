import AgentRuntime
import Foundation

/// Runs started through the API: started in the background, stored as they go,
/// cancellable, limited per tenant, and drained on shutdown.
public actor RunManager {
    private struct Active {
        var tenant: TenantID
        var task: Task<Result<RunResult, EngineError>, Never>
        var broadcast: RunBroadcast
    }

    private let store: any PlatformStore
    private let lifecycle: RunLifecycle
    private let metrics: GatewayMetrics
    private let concurrentRunsPerTenant: Int
    private var active: [RunID: Active] = [:]
    /// Runs that passed the limit check and are being stored (counted against the limit, awaited by a drain).
    private var starting: [TenantID: Int] = [:]
    private var accepting = true
    /// Runs being readied for another attempt (reserved before the first suspension, so two callers cannot both resume one).
    private var resuming: Set<RunID> = []

    /// Where approval expiry is read.
    private let time: TimeSource

    init(store: any PlatformStore, metrics: GatewayMetrics, concurrentRunsPerTenant: Int, time: TimeSource = .system) {
        self.store = store
        self.time = time
        self.lifecycle = RunLifecycle(store: store)
        self.metrics = metrics
        self.concurrentRunsPerTenant = concurrentRunsPerTenant
    }

    /// Runs in flight.
    public var inFlight: Int { active.count }

    /// The live events of `runID` (text deltas included) while this process runs it; nil when it does not.
    func subscribe(_ runID: RunID, idle: Duration) -> AsyncStream<RunBroadcast.Item>? {
        active[runID]?.broadcast.subscribe(idle: idle)
    }

    /// Whether this process is running `runID` now.
    public func isActive(_ runID: RunID) -> Bool { active[runID] != nil }

    /// Starts `crew` for `principal`; the record is stored before this returns. Throws 429 past the tenant's limit.
    func start(
        _ crew: CrewDefinition, inputs: [String: JSONValue], principal: Principal, environment: EngineEnvironment,
        agents: @escaping @Sendable (AgentID) -> AgentDefinition?, runID: RunID
    ) async throws -> Task<Result<RunResult, EngineError>, Never> {
        guard accepting else { throw GatewayError(.unavailable, "the service is shutting down") }
        // The slot is taken before the first suspension, so concurrent starts cannot all pass the check.
        let running = active.values.count { $0.tenant == principal.tenant } + starting[principal.tenant, default: 0]
        guard running < concurrentRunsPerTenant else {
            throw GatewayError(
                .rateLimited,
                "tenant \(principal.tenant) already has \(running) runs in flight (limit \(concurrentRunsPerTenant))",
                retryAfter: 5)
        }
        starting[principal.tenant, default: 0] += 1
        defer { starting[principal.tenant, default: 1] -= 1 }
        let (record, definition) = try await lifecycle.submit(
            crew, inputs: inputs, principal: principal, agents: agents, runID: runID)
        guard accepting else {
            // A drain began while this run was being stored: it never starts (the next process carries it on).
            var interrupted = record
            interrupted.status = .interrupted
            interrupted.finishedAt = Date()
            try? await store.update(interrupted)
            throw GatewayError(.unavailable, "the service is shutting down")
        }
        return launch(record, definition: definition, environment: environment)
    }

    /// Carries on a run that did not finish (left running by a crash, or interrupted by a shutdown) from its
    /// journal, as a new attempt; nil when there is nothing to carry on.
    func resume(
        _ runID: RunID, tenant: TenantID?, reason: String, expecting: RunStatus? = nil,
        environment: (Principal) -> EngineEnvironment
    ) async throws -> Task<Result<RunResult, EngineError>, Never>? {
        guard accepting, active[runID] == nil, !resuming.contains(runID) else { return nil }
        resuming.insert(runID)
        defer { resuming.remove(runID) }
        guard
            let prepared = try await lifecycle.prepareResume(
                runID, tenant: tenant, reason: reason, expecting: expecting)
        else { return nil }
        return launch(
            prepared.record, definition: prepared.definition, environment: environment(prepared.definition.principal))
    }

    /// Carries on every run a previous process left unfinished; returns how many. Runs stored before runs kept
    /// their definitions cannot be carried on and are marked interrupted.
    func resumeUnfinished(environment: (Principal) -> EngineEnvironment) async throws -> Int {
        // Collected first: a resumed run leaves the status it was listed under.
        var unfinished: [RunRecord] = []
        for status in [RunStatus.running, .queued, .interrupted] {
            var offset = 0
            while true {
                let page = try await store.runs(tenant: nil, status: status, crew: nil, limit: 200, offset: offset)
                if page.isEmpty { break }
                offset += page.count
                unfinished += page
            }
        }
        var resumed = 0
        for record in unfinished where active[record.id] == nil {
            let reason =
                record.status == .interrupted
                ? "interrupted by a shutdown" : "the process stopped before the run finished"
            if try await resume(
                record.id, tenant: nil, reason: reason, expecting: record.status, environment: environment) != nil
            {
                resumed += 1
            } else if record.status == .running, try await store.definition(of: record.id) == nil {
                // Stored before runs kept their definitions: it cannot be carried on.
                _ = try? await store.claim(record.id, from: [.running], to: .interrupted)
            }
        }
        return resumed
    }

    /// Carries on runs that are due: queued ones (an approval decided by another process) and ones waiting for an
    /// approval that has expired (they continue, and the model is told the call was not approved).
    func resumeDue(environment: (Principal) -> EngineEnvironment) async throws -> Int {
        guard accepting else { return 0 }
        let lifecycle = self.lifecycle
        for approval in try await store.approvals(tenant: nil, runID: nil, status: "pending")
        where approval.expiresAt <= time.now {
            if try await store.expireApproval(approval.request.id) {
                _ = try await lifecycle.queueAfterDecision(approval.request.runID)
            }
        }
        // Waiting runs whose approval was decided but that were not queued (a decision racing the run's stop).
        for record in try await store.runs(tenant: nil, status: .awaitingApproval, crew: nil, limit: 200, offset: 0)
        where active[record.id] == nil {
            if let waiting = try await store.definition(of: record.id)?.waitingFor,
                let approval = try await store.approval(waiting, tenant: nil),
                approval.status != "pending"
            {
                _ = try await lifecycle.queueAfterDecision(record.id)
            }
        }
        var resumed = 0
        for record in try await store.runs(tenant: nil, status: .queued, crew: nil, limit: 200, offset: 0)
        where active[record.id] == nil {
            if try await resume(
                record.id, tenant: nil, reason: "waited for an approval", expecting: .queued, environment: environment)
                != nil
            {
                resumed += 1
            }
        }
        return resumed
    }

    private func launch(
        _ record: RunRecord, definition: RunDefinition, environment: EngineEnvironment
    ) -> Task<Result<RunResult, EngineError>, Never> {
        let lifecycle = self.lifecycle
        let metrics = self.metrics
        let broadcast = RunBroadcast()
        let sinks: [any EventSink] = [
            AuditEventSink(store: store, principal: definition.principal), metrics, broadcast,
        ]
        let runID = record.id
        let crew = record.crew
        let task = Task<Result<RunResult, EngineError>, Never> {
            let started = ContinuousClock.now
            let outcome = await lifecycle.execute(
                record, definition: definition, environment: environment, sinks: sinks)
            broadcast.finish()
            switch outcome {
            case .success(let result):
                await metrics.runFinished(crew: crew, status: result.status, seconds: result.duration.seconds)
            case .failure(let error):
                await metrics.runFinished(
                    crew: crew, status: error == .cancelled ? .cancelled : .failed,
                    seconds: (ContinuousClock.now - started).seconds)
            }
            await self.finished(runID)
            return outcome
        }
        active[runID] = Active(tenant: record.tenant, task: task, broadcast: broadcast)
        Task { await metrics.setInFlight(active.count) }
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
            // Cancelled by the drain (or still marked running): interrupted, for the next process to carry on. A run
            // that finished meanwhile keeps its status.
            _ = try? await store.claim(id, from: [.running, .cancelled], to: .interrupted)
        }
    }
}
