import Foundation

/// The mutable state of one run: event numbering, usage, limits.
/// Each run has its own; definitions are never touched.
actor RunState {
    let runID: RunID
    let limits: RunLimits
    /// Answers steps earlier attempts journaled and journals new ones (nil: the run is not journaled).
    let journal: JournalSession?
    private let sink: any EventSink
    private let started = ContinuousClock.now
    private var sequence = 0
    private var calls = 0
    private var delegations = 0
    private(set) var usage = TokenUsage()
    private(set) var cost: Double = 0
    private(set) var byAgent: [String: UsageTotals] = [:]
    private(set) var byModel: [String: UsageTotals] = [:]

    init(runID: RunID, limits: RunLimits, sink: any EventSink, journal: JournalSession? = nil) {
        self.runID = runID
        self.limits = limits
        self.journal = journal
        self.sink = sink
    }

    var deadline: ContinuousClock.Instant { started.advanced(by: .milliseconds(Int(limits.maxWallTimeSeconds * 1000))) }
    var elapsed: Duration { ContinuousClock.now - started }

    func emit(_ path: [String], _ kind: RunEvent.Kind) async {
        sequence += 1
        await sink.emit(RunEvent(runID: runID, sequence: sequence, timestamp: Date(), agentPath: path, kind: kind))
    }

    /// Checks the limits before a model call and counts it.
    func beginCall() throws {
        try checkLimits()
        guard calls < limits.maxLLMCalls else {
            throw EngineError.budgetExceeded(limit: "max_llm_calls", detail: "\(calls) model calls made, limit \(limits.maxLLMCalls)")
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
            throw EngineError.budgetExceeded(limit: "max_delegations", detail: "\(delegations) delegations made, limit \(limits.maxDelegations)")
        }
        delegations += 1
    }

    /// Throws when tokens, cost or wall time are used up.
    func checkLimits() throws {
        if usage.totalTokens >= limits.maxTokens {
            throw EngineError.budgetExceeded(limit: "max_tokens", detail: "\(usage.totalTokens) tokens used, limit \(limits.maxTokens)")
        }
        if cost >= limits.maxCostUSD {
            throw EngineError.budgetExceeded(limit: "max_cost_usd", detail: String(format: "$%.4f spent, limit $%.4f", cost, limits.maxCostUSD))
        }
        if elapsed.seconds >= limits.maxWallTimeSeconds {
            throw EngineError.budgetExceeded(limit: "max_wall_time_seconds", detail: String(format: "%.1f s elapsed, limit %.1f s", elapsed.seconds, limits.maxWallTimeSeconds))
        }
    }
}
