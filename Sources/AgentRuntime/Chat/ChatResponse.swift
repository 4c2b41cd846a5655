/// A model's complete answer to one call.
public struct ChatResponse: Hashable, Sendable {
    /// The text, if any.
    public var text: String?
    /// Tool calls, in the order the model made them.
    public var toolCalls: [ToolCall]
    /// Why generation stopped.
    public var finishReason: FinishReason
    /// Tokens used.
    public var usage: TokenUsage
    /// The model that answered, as the provider reports it.
    public var model: String?

    /// Creates a response.
    public init(
        text: String?, toolCalls: [ToolCall] = [], finishReason: FinishReason, usage: TokenUsage = TokenUsage(),
        model: String? = nil
    ) {
        self.text = text
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
        self.model = model
    }
}

/// Why a model stopped, normalised across providers.
public enum FinishReason: Hashable, Sendable, CustomStringConvertible {
    /// It finished its answer (or hit a stop sequence).
    case stop
    /// It hit the token limit.
    case length
    /// It wants tools called.
    case toolCalls
    /// A safety or content filter stopped it.
    case contentFilter
    /// Anything else, with the provider's word.
    case other(String)

    /// The normalised name.
    public var description: String {
        switch self {
        case .stop: return "stop"
        case .length: return "length"
        case .toolCalls: return "tool_calls"
        case .contentFilter: return "content_filter"
        case .other(let reason): return reason
        }
    }
}

/// Tokens used by one call (or summed over many).
public struct TokenUsage: Hashable, Sendable {
    /// Prompt tokens, cached ones included.
    public var inputTokens: Int
    /// Generated tokens.
    public var outputTokens: Int
    /// The part of `inputTokens` served from the provider's prompt cache.
    public var cachedInputTokens: Int

    /// Creates a usage record.
    public init(inputTokens: Int = 0, outputTokens: Int = 0, cachedInputTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
    }

    /// Input plus output.
    public var totalTokens: Int { inputTokens + outputTokens }

    /// The sum of two usages.
    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(
            inputTokens: lhs.inputTokens + rhs.inputTokens, outputTokens: lhs.outputTokens + rhs.outputTokens,
            cachedInputTokens: lhs.cachedInputTokens + rhs.cachedInputTokens)
    }
}
