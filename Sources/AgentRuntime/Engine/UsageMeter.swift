/// Tokens and cost of one task (its delegations included).
actor UsageMeter {
    private(set) var usage = TokenUsage()
    private(set) var cost: Double = 0

    func add(_ callUsage: TokenUsage, cost callCost: Double) {
        usage = usage + callUsage
        cost += callCost
    }
}
