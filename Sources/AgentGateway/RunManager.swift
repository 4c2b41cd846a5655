import AgentRuntime
import Foundation
import Logging

/// Runs on this replica: submitted to the shared run queue (limited per tenant across every replica), claimed and
/// carried out by this process's worker under renewed leases, cancellable from any replica, and drained on
/// shutdown.
public actor RunManager {
    private struct Active {
        /// This attempt (the same run carried on again here is another one).
        var attempt = UUID()
        var tenant: TenantID
        var task: Task<Result<RunResult, EngineError>, Never>
        var broadcast: RunBroadcast
    }

    /// A run as submitted: carried out here (its task), or queued for whichever worker claims it first.
    struct Started: Sendable {
        /// The run.
        var runID: RunID
        /// Its attempt, when this process carries it out.
        var local: Task<Result<RunResult, EngineError>, Never>?
    }

    private let store: any PlatformStore
    /// Submits, claims and ends runs (and holds this worker's leases).
    let lifecycle: RunLifecycle
    private let metrics: GatewayMetrics
    private let concurrentRunsPerTenant: Int
    /// Whether this process carries runs out (false: API only, runs are left queued for the workers).
    private let isWorker: Bool
    /// Runs this process carries out at once, at most.
    private let capacity: Int
    private var active: [RunID: Active] = [:]
    /// Runs being submitted (awaited by a drain).
    private var starting = 0
    private var accepting = true
    /// The environment runs claimed from the queue get (kept from the worker's first claim, so that a run ending here
    /// makes room for a queued one at once).
    private var claimEnvironment: (@Sendable (Principal) -> EngineEnvironment)?
    /// Whether runs may be waiting in the queue for room here (the last claim filled the room, or a submission here
    /// was queued for lack of it).
    private var backlog = false

    /// Where approval expiry is read.
    private let time: TimeSource
    /// Where run lifecycle, provider retries, denials and approvals are logged.
    private let logger: Logger

    init(
        store: any PlatformStore, metrics: GatewayMetrics, concurrentRunsPerTenant: Int, time: TimeSource = .system,
        keeper: LeaseKeeper? = nil, isWorker: Bool = true, capacity: Int = 1000,
        logger: Logger = Logger(label: "agentruntime", factory: { SwiftLogNoOpLogHandler($0) })
    ) {
        self.logger = logger
        self.store = store
        self.time = time
        self.lifecycle = RunLifecycle(store: store, keeper: keeper)
        self.metrics = metrics
        self.concurrentRunsPerTenant = concurrentRunsPerTenant
        self.isWorker = isWorker
        self.capacity = capacity
    }

    /// Runs this process carries out now.
    public var inFlight: Int { active.count }

    /// The live events of `runID` (text deltas included) while this process carries it out; nil when it does not.
    func subscribe(_ runID: RunID, idle: Duration) -> AsyncStream<RunBroadcast.Item>? {
        active[runID]?.broadcast.subscribe(idle: idle)
    }

    /// Whether this process is carrying out `runID` now.
    public func isActive(_ runID: RunID) -> Bool { active[runID] != nil }

    /// Submits `crew` for `principal`: stored (with its definition) before this returns, and carried out here at
    /// once when this process is a worker with room, else queued for any worker. Throws 429 when the tenant already
    /// has its limit of runs queued or running on all replicas together.
    /// `observers` see the run's events as they happen when it is carried out here.
    func start(
        _ crew: CrewDefinition, inputs: [String: JSONValue], principal: Principal, environment: EngineEnvironment,
        agents: @escaping @Sendable (AgentID) -> AgentDefinition?, runID: RunID, observers: [any EventSink] = []
    ) async throws -> Started {
        guard accepting else { throw GatewayError(.unavailable, "the service is shutting down") }
        let local = isWorker && active.count + starting < capacity
        starting += 1
        defer { starting -= 1 }
        let record: RunRecord
        let definition: RunDefinition
        do {
            (record, definition) = try await lifecycle.submit(
                crew, inputs: inputs, principal: principal, agents: agents, runID: runID,
                inFlightLimit: concurrentRunsPerTenant, claim: local)
        } catch let error as RunAdmissionError {
            throw GatewayError(.rateLimited, error.description, retryAfter: 5)
        }
        guard local else {
            if isWorker { backlog = true }
            logger.forRun(record).info("run queued")
            return Started(runID: runID, local: nil)
        }
        guard accepting else {
            // A drain began while this run was being stored: another worker carries it on.
            try? await lifecycle.interrupt(runID)
            return Started(runID: runID, local: nil)
        }
        return Started(
            runID: runID, local: launch(record, definition: definition, environment: environment, observers: observers))
    }

    /// Claims queued runs (new ones, ones whose approval was decided, interrupted ones, and ones whose worker's
    /// lease expired) up to this worker's room, and starts them; returns how many. With `only`, just that run.
    @discardableResult
    func claimQueued(
        only: RunID? = nil, environment: @escaping @Sendable (Principal) -> EngineEnvironment
    ) async throws -> Int {
        guard isWorker, accepting else { return 0 }
        claimEnvironment = environment
        let room = only == nil ? capacity - active.count - starting : min(1, capacity - active.count - starting)
        guard room > 0 else { return 0 }
        // The room is reserved while claiming: claims running at once (a signal and the timer) share it.
        starting += room
        defer { starting -= room }
        let claimed = try await lifecycle.claim(limit: room, only: only)
        if only == nil { backlog = claimed.count == room }
        for run in claimed {
            if accepting {
                _ = launch(run.record, definition: run.definition, environment: environment(run.definition.principal))
            } else {
                try? await lifecycle.interrupt(run.record.id)
            }
        }
        return claimed.count
    }

    /// Expires approvals that are due (their runs are queued and carried on: the model is told the call was not
    /// approved), and queues waiting runs whose approval was decided while they were stopping.
    func expireApprovals() async throws {
        guard accepting else { return }
        for approval in try await store.approvals(tenant: nil, runID: nil, status: "pending")
        where approval.expiresAt <= time.now {
            if try await store.expireApproval(approval.request.id) {
                _ = try await lifecycle.queueAfterDecision(approval.request.runID)
            }
        }
        var waiting: [RunRecord] = []
        while true {
            let page = try await store.runs(
                tenant: nil, user: nil, status: .awaitingApproval, crew: nil, limit: 200, offset: waiting.count)
            waiting += page
            if page.count < 200 { break }
        }
        for record in waiting where active[record.id] == nil {
            if let approvalID = try await store.definition(of: record.id)?.waitingFor,
                let approval = try await store.approval(approvalID, tenant: nil),
                approval.status != "pending"
            {
                _ = try await lifecycle.queueAfterDecision(record.id)
            }
        }
    }

    private func launch(
        _ record: RunRecord, definition: RunDefinition, environment: EngineEnvironment, observers: [any EventSink] = []
    ) -> Task<Result<RunResult, EngineError>, Never> {
        let lifecycle = self.lifecycle
        let metrics = self.metrics
        let broadcast = RunBroadcast()
        let runLogger = logger.forRun(record)
        let sinks: [any EventSink] =
            [
                AuditEventSink(
                    store: store, principal: definition.principal, recordsResults: environment.audit == nil), metrics,
                metrics.forTenant(record.tenant), broadcast, RunLogSink(logger: runLogger),
            ] + observers
        runLogger.info(
            definition.attempt > 1 ? "run resumed" : "run started",
            metadata: ["attempt": .stringConvertible(definition.attempt)])
        let runID = record.id
        let crew = record.crew
        let attempt = UUID()
        let task = Task<Result<RunResult, EngineError>, Never> {
            let started = ContinuousClock.now
            let outcome = await ProviderRetries.$observer.withValue({ retry in
                Task { await metrics.providerRetry(retry) }
                runLogger.warning("provider call failed; retrying", metadata: retry.logMetadata)
            }) {
                await lifecycle.execute(record, definition: definition, environment: environment, sinks: sinks)
            }
            broadcast.finish()
            switch outcome {
            case .success(let result):
                await metrics.runFinished(crew: crew, status: result.status, seconds: result.duration.seconds)
                runLogger.info(
                    "run finished",
                    metadata: [
                        "status": .string(result.status.rawValue), "cost_usd": .stringConvertible(result.costUSD),
                        "input_tokens": .stringConvertible(result.usage.inputTokens),
                        "output_tokens": .stringConvertible(result.usage.outputTokens),
                        "duration_ms": .stringConvertible(Int(result.duration.seconds * 1000)),
                    ].merging(result.error.map { ["code": .string($0.code)] } ?? [:]) { $1 })
            case .failure(let error):
                await metrics.runFinished(
                    crew: crew, status: error == .cancelled ? .cancelled : .failed,
                    seconds: (ContinuousClock.now - started).seconds)
                runLogger.warning(
                    "run finished",
                    metadata: [
                        "status": .string(error == .cancelled ? "cancelled" : "failed"), "code": .string(error.code),
                    ])
            }
            await self.finished(runID, attempt: attempt)
            return outcome
        }
        active[runID] = Active(attempt: attempt, tenant: record.tenant, task: task, broadcast: broadcast)
        Task { await metrics.setInFlight(active.count) }
        return task
    }

    private func finished(_ runID: RunID, attempt: UUID) async {
        // A later attempt of the same run (carried on here again) keeps its entry.
        if active[runID]?.attempt == attempt { active[runID] = nil }
        await metrics.setInFlight(active.count)
        if let claimEnvironment, backlog {
            // Runs waited for room: this one made some.
            _ = try? await claimQueued(environment: claimEnvironment)
        }
    }

    /// Asks for a run of `tenant` to be cancelled wherever it is carried out (see ``CancelRequest``); one carried
    /// out here stops at once.
    func cancel(_ runID: RunID, tenant: TenantID) async throws -> CancelRequest {
        let outcome = try await lifecycle.cancel(runID, tenant: tenant)
        if outcome == .requested { cancelLocal(runID) }
        return outcome
    }

    /// Stops a run carried out here (a cancel asked for on some replica).
    func cancelLocal(_ runID: RunID) {
        active[runID]?.task.cancel()
    }

    /// Stops accepting runs, lets running ones finish for `grace`, then stops the rest and records them as
    /// interrupted (any worker carries them on at once).
    public func drain(grace: Duration) async {
        accepting = false
        logger.info(
            "shutdown: draining runs",
            metadata: [
                "running": .stringConvertible(active.count), "grace_seconds": .stringConvertible(Int(grace.seconds)),
            ])
        let deadline = ContinuousClock.now + grace
        while !active.isEmpty || starting > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        // Each stops and stores itself as interrupted (a run that finished meanwhile keeps its status); any worker
        // carries them on at once.
        if !active.isEmpty {
            logger.warning(
                "shutdown: grace period over; interrupting runs",
                metadata: ["running": .stringConvertible(active.count)])
        }
        await lifecycle.keeper.stopAll(.shutdown)
        for (_, run) in active { _ = await run.task.value }
        logger.info("shutdown: runs drained")
    }
}

extension ProviderRetry {
    /// The retry as log fields: provider, failure code, HTTP status, attempt and wait.
    var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "provider": .string(provider ?? "unknown"), "code": .string(code), "attempt": .stringConvertible(attempt),
            "delay_ms": .stringConvertible(Int(delay.seconds * 1000)),
        ]
        if let status { metadata["status"] = .stringConvertible(status) }
        return metadata
    }
}
