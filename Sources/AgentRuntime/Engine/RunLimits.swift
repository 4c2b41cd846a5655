/// Bounds on one run. Exceeding one ends the run as failed, naming the limit;
/// outputs of finished tasks are kept.
public struct RunLimits: Hashable, Sendable {
    /// Model calls.
    public var maxLLMCalls: Int
    /// Tokens, input plus output.
    public var maxTokens: Int
    /// Cost in USD (calls on unpriced models count as free).
    public var maxCostUSD: Double
    /// Wall time in seconds.
    public var maxWallTimeSeconds: Double
    /// Delegations by managers.
    public var maxDelegations: Int
    /// Model mistakes (bad arguments, unknown or refused tools, tool failures) per task before it fails.
    public var maxToolMistakesPerTask: Int
    /// Re-asks when an output does not match its schema.
    public var maxOutputRetries: Int
    /// Re-asks when a guardrail rejects an output.
    public var maxGuardrailRetries: Int

    /// Creates limits; the defaults suit interactive business workflows.
    public init(
        maxLLMCalls: Int = 200, maxTokens: Int = 2_000_000, maxCostUSD: Double = 10, maxWallTimeSeconds: Double = 1800,
        maxDelegations: Int = 50, maxToolMistakesPerTask: Int = 6, maxOutputRetries: Int = 2,
        maxGuardrailRetries: Int = 2
    ) {
        self.maxLLMCalls = maxLLMCalls
        self.maxTokens = maxTokens
        self.maxCostUSD = maxCostUSD
        self.maxWallTimeSeconds = maxWallTimeSeconds
        self.maxDelegations = maxDelegations
        self.maxToolMistakesPerTask = maxToolMistakesPerTask
        self.maxOutputRetries = maxOutputRetries
        self.maxGuardrailRetries = maxGuardrailRetries
    }
}
