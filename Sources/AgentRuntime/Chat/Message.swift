/// One message of a conversation with a model.
public enum Message: Hashable, Sendable {
    /// Instructions that frame the conversation.
    case system(String)
    /// What the user (or the engine on the user's behalf) says.
    case user(String)
    /// What the model said: text, tool calls, or both.
    case assistant(text: String?, toolCalls: [ToolCall])
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
