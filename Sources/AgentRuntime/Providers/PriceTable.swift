/// USD prices per million tokens, for cost accounting.
public struct ModelPrice: Hashable, Sendable {
    /// Per million input tokens (not served from cache).
    public var input: Double
    /// Per million output tokens.
    public var output: Double
    /// Per million cached input tokens; defaults to `input`.
    public var cachedInput: Double?

    /// Creates a price.
    public init(input: Double, output: Double, cachedInput: Double? = nil) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
    }

    /// The cost of `usage` in USD.
    public func cost(of usage: TokenUsage) -> Double {
        let cached = Double(min(usage.cachedInputTokens, usage.inputTokens))
        let uncached = Double(usage.inputTokens) - cached
        return (uncached * input + cached * (cachedInput ?? input) + Double(usage.outputTokens) * output) / 1_000_000
    }
}

/// Prices by `provider/model`, with `provider/*` wildcards.
public struct PriceTable: Hashable, Sendable {
    /// Prices keyed by `provider/model` or `provider/*`.
    public var prices: [String: ModelPrice]

    /// Creates a table.
    public init(_ prices: [String: ModelPrice] = [:]) { self.prices = prices }

    /// The price for `model`: exact, then the longest dated-suffix match (`gpt-4o-mini-2024-07-18` → `gpt-4o-mini`), then
    /// `provider/*`, then the default price `*` (so a model nobody priced is not free).
    public func price(for model: ModelReference) -> ModelPrice? {
        if let exact = prices[model.description] { return exact }
        let prefixMatch = prices.keys
            .filter { key in
                key.hasPrefix("\(model.provider)/") && !key.hasSuffix("/*")
                    && model.description.hasPrefix(key + "-")
            }
            .max { $0.count < $1.count }
        if let prefixMatch { return prices[prefixMatch] }
        return prices["\(model.provider)/*"] ?? prices[Self.defaultKey]
    }

    /// The key of the price of models no other key matches.
    public static let defaultKey = "*"

    /// The cost of `usage` on `model`, or nil when the model has no price.
    public func cost(of usage: TokenUsage, on model: ModelReference) -> Double? {
        price(for: model)?.cost(of: usage)
    }

    /// `other`'s prices on top of these.
    public func merging(_ other: PriceTable) -> PriceTable {
        PriceTable(prices.merging(other.prices) { $1 })
    }

    /// List prices of common models (USD per 1M tokens) as published by the providers;
    /// the runtime config's `prices` override them. Local models cost nothing. Any other model counts at the default
    /// price `*` ($10 in, $30 out per million tokens: above most models' list prices, so that spend caps hold for a
    /// model nobody priced; set `prices["*"]` to change it).
    public static let defaults = PriceTable([
        "openai/gpt-4o": ModelPrice(input: 2.50, output: 10.00, cachedInput: 1.25),
        "openai/gpt-4o-mini": ModelPrice(input: 0.15, output: 0.60, cachedInput: 0.075),
        "openai/gpt-4.1": ModelPrice(input: 2.00, output: 8.00, cachedInput: 0.50),
        "openai/gpt-4.1-mini": ModelPrice(input: 0.40, output: 1.60, cachedInput: 0.10),
        "openai/gpt-4.1-nano": ModelPrice(input: 0.10, output: 0.40, cachedInput: 0.025),
        "anthropic/claude-sonnet-4-5": ModelPrice(input: 3.00, output: 15.00, cachedInput: 0.30),
        "anthropic/claude-haiku-4-5": ModelPrice(input: 1.00, output: 5.00, cachedInput: 0.10),
        "anthropic/claude-opus-4-1": ModelPrice(input: 15.00, output: 75.00, cachedInput: 1.50),
        "gemini/gemini-2.5-flash": ModelPrice(input: 0.30, output: 2.50, cachedInput: 0.075),
        "gemini/gemini-2.5-pro": ModelPrice(input: 1.25, output: 10.00, cachedInput: 0.31),
        "groq/llama-3.3-70b-versatile": ModelPrice(input: 0.59, output: 0.79),
        "ollama/*": ModelPrice(input: 0, output: 0),
        "vllm/*": ModelPrice(input: 0, output: 0),
        defaultKey: ModelPrice(input: 10, output: 30),
    ])
}
