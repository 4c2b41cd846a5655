import Foundation

/// The mutable state of one run: event numbering, usage, limits.
/// Each run has its own; definitions are never touched.
actor RunState {
    let runID: RunID
    /// The crew the run runs (what usage is booked under).
    let crew: String
    let limits: RunLimits
    /// Answers steps earlier attempts journaled and journals new ones (nil: the run is not journaled).
    let journal: JournalSession?
    /// Where events go (asked, without entering the state, whether text deltas are wanted).
    nonisolated let sink: any EventSink
    /// Events in sequence order, delivered to the sink one at a time by `delivery`.
    private let queue: AsyncStream<RunEvent>.Continuation
    private let delivery: Task<Void, Never>
    /// Where time comes from (the wall-time budget, event timestamps).
    nonisolated let time: TimeSource
    private let started: Stopwatch
    private var sequence = 0
    private var calls = 0
    private var delegations = 0
    private(set) var usage = TokenUsage()
    private(set) var cost: Double = 0
    private(set) var byAgent: [String: UsageTotals] = [:]
    private(set) var byModel: [String: UsageTotals] = [:]
    /// Masks the secrets the run's tools have read (in all their forms) in events and tool results, and secret-looking
    /// argument fields in events.
    private var redactor = Redactor()

    init(
        runID: RunID, limits: RunLimits, sink: any EventSink, journal: JournalSession? = nil, eventsAfter: Int = 0,
        time: TimeSource = .system, crew: String = ""
    ) {
        self.crew = crew
        self.time = time
        started = time.stopwatch()
        sequence = eventsAfter
        self.runID = runID
        self.limits = limits
        self.journal = journal
        self.sink = sink
        let (events, queue) = AsyncStream<RunEvent>.makeStream()
        self.queue = queue
        delivery = Task {
            for await event in events { await sink.emit(event) }
        }
    }

    /// When the wall-time budget runs out, on the system clock (for request timeouts).
    var deadline: ContinuousClock.Instant {
        ContinuousClock.now.advanced(by: .milliseconds(Int(limits.maxWallTimeSeconds * 1000)) - elapsed)
    }
    /// Time since the run started.
    var elapsed: Duration { started.elapsed }

    /// Numbers the event and queues it for the sink. Numbers are taken and events queued in one step, so the sink
    /// sees them in sequence order however many tool calls run at once. Streamed text deltas are not numbered:
    /// they carry the number of the event before them (they are delivered live and never stored, so what is stored
    /// is numbered 1, 2, 3, ... without gaps).
    func emit(_ path: [String], _ kind: RunEvent.Kind) {
        if case .textDelta = kind {} else { sequence += 1 }
        queue.yield(
            RunEvent(
                runID: runID, sequence: sequence, timestamp: time.now, agentPath: path,
                kind: kind.redacted(by: redactor)
            ))
    }

    /// Registers a secret a tool of the run read: from now on it is masked, in every form, in events and tool results.
    func registerSecret(_ secret: String) { redactor = redactor.adding(secret) }

    /// A tool's result with the secrets the run's tools have read masked.
    func redactSecrets(_ text: String) -> String { redactor.isEmpty ? text : redactor.redact(text, keyShapes: false) }

    /// Tool arguments as approvals show them (see ``Redactor/redactArguments(_:)``).
    func redactArguments(_ arguments: String) -> String { redactor.redactArguments(arguments) }

    deinit {
        // A state dropped without `finishDelivery` (a dry run, a prompt preview) still ends its delivery task.
        queue.finish()
    }

    /// Waits until the sink has every event emitted so far; no event may be emitted after this.
    func finishDelivery() async {
        queue.finish()
        await delivery.value
    }

    /// Checks the limits before a model call and counts it.
    func beginCall() throws {
        try checkLimits()
        guard calls < limits.maxLLMCalls else {
            throw EngineError.budgetExceeded(
                limit: "max_llm_calls", detail: "\(calls) model calls made, limit \(limits.maxLLMCalls)")
        }
        calls += 1
    }

    /// Records a finished call.
    func record(agent: String, model: String, usage callUsage: TokenUsage, cost callCost: Double) {
        usage = usage + callUsage
        cost += callCost
        byAgent[agent, default: UsageTotals()].usage = byAgent[agent, default: UsageTotals()].usage + callUsage
        byAgent[agent]!.costUSD += callCost
        byAgent[agent]!.calls += 1
        byModel[model, default: UsageTotals()].usage = byModel[model, default: UsageTotals()].usage + callUsage
        byModel[model]!.costUSD += callCost
        byModel[model]!.calls += 1
    }

    /// Counts a delegation.
    func beginDelegation() throws {
        guard delegations < limits.maxDelegations else {
            throw EngineError.budgetExceeded(
                limit: "max_delegations", detail: "\(delegations) delegations made, limit \(limits.maxDelegations)")
        }
        delegations += 1
    }

    /// Throws when tokens, cost or wall time are used up.
    func checkLimits() throws {
        if usage.totalTokens >= limits.maxTokens {
            throw EngineError.budgetExceeded(
                limit: "max_tokens", detail: "\(usage.totalTokens) tokens used, limit \(limits.maxTokens)")
        }
        if cost >= limits.maxCostUSD {
            throw EngineError.budgetExceeded(
                limit: "max_cost_usd", detail: String(format: "$%.4f spent, limit $%.4f", cost, limits.maxCostUSD))
        }
        if elapsed.seconds >= limits.maxWallTimeSeconds {
            throw EngineError.budgetExceeded(
                limit: "max_wall_time_seconds",
                detail: String(format: "%.1f s elapsed, limit %.1f s", elapsed.seconds, limits.maxWallTimeSeconds))
        }
    }
}
