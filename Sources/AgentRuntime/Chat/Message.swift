/// One message of a conversation with a model.
public enum Message: Hashable, Sendable {
    /// Instructions that frame the conversation.
    case system(String)
    /// What the user (or the engine on the user's behalf) says.
    case user(String)
    /// What the model said: text, tool calls, or both; `echo` holds what the provider needs back unchanged in the next
    /// request (Gemini thought signatures, Anthropic thinking blocks).
    case assistant(text: String?, toolCalls: [ToolCall], echo: ProviderEcho? = nil)
    /// The result of a tool call, answering the call with `callID`.
    case tool(callID: String, name: String, content: String, isError: Bool)

    /// An assistant message with text only.
    public static func assistant(_ text: String) -> Message { .assistant(text: text, toolCalls: []) }

    /// A successful tool result.
    public static func tool(callID: String, name: String, content: String) -> Message {
        .tool(callID: callID, name: name, content: content, isError: false)
    }

    /// The role name as providers spell it (`system`, `user`, `assistant`, `tool`).
    public var role: String {
        switch self {
        case .system: return "system"
        case .user: return "user"
        case .assistant: return "assistant"
        case .tool: return "tool"
        }
    }
}

/// Content of an assistant turn that the provider requires back unchanged in later requests: Gemini's
/// `thoughtSignature` on the parts of a model turn, Anthropic's `thinking` and `redacted_thinking` blocks with their
/// `signature`. It is opaque: only the wire format family that produced it reads it, and it is sent back verbatim in
/// place of the turn's rebuilt content. A request to another provider (a fallback model) rebuilds the turn from the
/// text and tool calls and leaves it out.
public struct ProviderEcho: Hashable, Sendable {
    /// The wire format family that produced it (`gemini`, `anthropic`).
    public var format: String
    /// The turn's content exactly as received (Gemini `parts`, Anthropic `content` blocks), as a JSON array.
    public var content: JSONValue

    /// Creates an echo.
    public init(format: String, content: JSONValue) {
        self.format = format
        self.content = content
    }

    /// `{"format": …, "content": …}`, as journals and recordings store it.
    public var json: JSONValue { ["format": .string(format), "content": content] }

    /// Decodes ``json``.
    public init?(json: JSONValue?) {
        guard let format = json?["format"]?.stringValue, let content = json?["content"] else { return nil }
        self.init(format: format, content: content)
    }
}

/// A model's request to call a tool. `arguments` is the raw JSON text the model produced.
public struct ToolCall: Hashable, Sendable {
    /// The provider's call id (generated when the provider has none), echoed in the tool result.
    public var id: String
    /// The tool's name as offered to the model.
    public var name: String
    /// The arguments as JSON text, exactly as the model wrote them.
    public var arguments: String

    /// Creates a tool call.
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}
