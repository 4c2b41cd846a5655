import Foundation

/// One task's result.
public struct TaskOutput: Hashable, Sendable {
    /// The task.
    public var task: TaskID
    /// Who produced it (the manager in hierarchical crews).
    public var agent: String
    /// The final answer.
    public var text: String
    /// The parsed answer when the task has an output schema.
    public var json: JSONValue?
    /// Tokens used by the task (delegations included).
    public var usage: TokenUsage
    /// Cost in USD.
    public var costUSD: Double
    /// How long it took.
    public var duration: Duration

    /// Creates a task output.
    public init(
        task: TaskID, agent: String, text: String, json: JSONValue? = nil, usage: TokenUsage = TokenUsage(),
        costUSD: Double = 0, duration: Duration = .zero
    ) {
        self.task = task
        self.agent = agent
        self.text = text
        self.json = json
        self.usage = usage
        self.costUSD = costUSD
        self.duration = duration
    }
}

/// Tokens, cost and calls summed over a group (an agent, a model).
public struct UsageTotals: Hashable, Sendable {
    /// Tokens.
    public var usage = TokenUsage()
    /// Cost in USD.
    public var costUSD: Double = 0
    /// Model calls.
    public var calls = 0

    /// Creates empty totals.
    public init() {}
}

/// How a run ended, and what it produced.
public struct RunResult: Sendable {
    /// The run.
    public var runID: RunID
    /// The crew (or `invoke:<agent>`).
    public var crew: String
    /// Final status.
    public var status: RunStatus
    /// The last task's text.
    public var output: String?
    /// The last task's JSON, when it has a schema.
    public var outputJSON: JSONValue?
    /// Every finished task, in declaration order.
    public var tasks: [TaskOutput]
    /// All tokens.
    public var usage: TokenUsage
    /// All cost in USD.
    public var costUSD: Double
    /// Totals by agent id.
    public var byAgent: [String: UsageTotals]
    /// Totals by `provider/model`.
    public var byModel: [String: UsageTotals]
    /// Why it failed or was cancelled.
    public var error: EngineError?
    /// Wall time.
    public var duration: Duration
}
