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
    /// What the provider needs back unchanged when this turn is part of a later request.
    public var echo: ProviderEcho?
    /// The model's refusal, when it declined to answer (OpenAI `message.refusal`, Anthropic `stop_reason: refusal`).
    public var refusal: String?
    /// The configured model that answered, when a ``FallbackChatModel`` chose one (nil: the model asked); usage and
    /// cost are booked under it.
    public var servedBy: ModelReference?

    /// Creates a response.
    public init(
        text: String?, toolCalls: [ToolCall] = [], finishReason: FinishReason, usage: TokenUsage = TokenUsage(),
        model: String? = nil, echo: ProviderEcho? = nil, refusal: String? = nil
    ) {
        self.text = text
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
        self.model = model
        self.echo = echo
        self.refusal = refusal
    }

    /// The turn as a message of the conversation, with its echo.
    public var message: Message { .assistant(text: text, toolCalls: toolCalls, echo: echo) }
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
    /// The model declined to answer (see ``ChatResponse/refusal``).
    case refusal
    /// Anything else, with the provider's word.
    case other(String)

    /// The normalised name.
    public var description: String {
        switch self {
        case .stop: return "stop"
        case .length: return "length"
        case .toolCalls: return "tool_calls"
        case .contentFilter: return "content_filter"
        case .refusal: return "refusal"
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
    /// Whether the counts are our estimate (about four characters a token) because the provider reported none.
    public var isEstimated: Bool

    /// Creates a usage record.
    public init(inputTokens: Int = 0, outputTokens: Int = 0, cachedInputTokens: Int = 0, isEstimated: Bool = false) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.isEstimated = isEstimated
    }

    /// Whether nothing was reported.
    public var isEmpty: Bool { inputTokens == 0 && outputTokens == 0 && cachedInputTokens == 0 }

    /// An estimate for a call whose provider reported no usage: about four characters a token of the messages and
    /// tool definitions sent and of the text and tool calls received, marked ``isEstimated``.
    public static func estimate(request: ChatRequest, response: ChatResponse) -> TokenUsage {
        let tools = request.tools.reduce(0) {
            $0 + $1.name.count + $1.description.count + $1.parameters.document.serialized().count
        }
        let output =
            (response.text?.count ?? 0) + response.toolCalls.reduce(0) { $0 + $1.name.count + $1.arguments.count }
        return TokenUsage(
            inputTokens: (request.messageCharacters + tools + 3) / 4, outputTokens: (output + 3) / 4,
            isEstimated: true)
    }

    /// Input plus output.
    public var totalTokens: Int { inputTokens + outputTokens }

    /// The sum of two usages.
    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(
            inputTokens: lhs.inputTokens + rhs.inputTokens, outputTokens: lhs.outputTokens + rhs.outputTokens,
            cachedInputTokens: lhs.cachedInputTokens + rhs.cachedInputTokens,
            isEstimated: lhs.isEstimated || rhs.isEstimated)
    }
}

extension ChatRequest {
    /// The characters of the messages' text, tool calls and tool results.
    var messageCharacters: Int {
        messages.reduce(0) { total, message in
            switch message {
            case .system(let text), .user(let text): return total + text.count
            case .assistant(let text, let calls, _):
                return total + (text?.count ?? 0) + calls.reduce(0) { $0 + $1.arguments.count + $1.name.count }
            case .tool(_, _, let content, _): return total + content.count
            }
        }
    }
}
