/// Everything a chat model needs for one call.
public struct ChatRequest: Hashable, Sendable {
    /// The provider's model name (without the `provider/` prefix).
    public var model: String
    /// The conversation, system messages included.
    public var messages: [Message]
    /// Tools the model may call.
    public var tools: [ChatTool]
    /// Sampling temperature.
    public var temperature: Double?
    /// Upper bound on generated tokens.
    public var maxTokens: Int?
    /// Nucleus sampling.
    public var topP: Double?
    /// Stop sequences.
    public var stop: [String]
    /// Plain text or JSON matching a schema.
    public var responseFormat: ResponseFormat
    /// When the whole call (retries included) must be finished.
    public var deadline: ContinuousClock.Instant?
    /// Whether the model must, may or must not call a tool (nil: the provider's default, nothing sent).
    public var toolChoice: ToolChoice?

    /// Creates a request.
    public init(
        model: String, messages: [Message], tools: [ChatTool] = [], temperature: Double? = nil, maxTokens: Int? = nil,
        topP: Double? = nil, stop: [String] = [], responseFormat: ResponseFormat = .text,
        deadline: ContinuousClock.Instant? = nil
    ) {
        self.model = model
        self.messages = messages
        self.tools = tools
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.topP = topP
        self.stop = stop
        self.responseFormat = responseFormat
        self.deadline = deadline
    }
}

/// A tool as offered to a model: a provider-legal name, a description and an argument schema.
public struct ChatTool: Hashable, Sendable {
    /// The name the model calls it by (`^[a-zA-Z0-9_-]{1,64}$`).
    public var name: String
    /// What it does.
    public var description: String
    /// JSON Schema of its arguments object.
    public var parameters: JSONSchema

    /// Creates a tool offer.
    public init(name: String, description: String, parameters: JSONSchema) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// Whether a model must call a tool on this turn, as each wire format encodes it: OpenAI-compatible `tool_choice`
/// (`"auto"`, `"none"`, `"required"`, `{"type": "function", ...}`), Anthropic `tool_choice` (`{"type": "auto" | "none"
/// | "any" | "tool"}`), Gemini `toolConfig.functionCallingConfig.mode` (`AUTO`, `NONE`, `ANY`, with
/// `allowedFunctionNames`). Ollama's native chat API has no such parameter: `noTool` offers no tools, a named tool is
/// offered alone, and `required` sends nothing (the model may still answer in text).
public enum ToolChoice: Hashable, Sendable {
    /// The model decides.
    case auto
    /// No tool call (`none` on the wire).
    case noTool
    /// Some tool call (any of the offered tools).
    case required
    /// A call of the tool with this (offered) name.
    case tool(String)

    /// `auto`, `none`, `required` or `tool:<name>`, for records.
    public var description: String {
        switch self {
        case .auto: return "auto"
        case .noTool: return "none"
        case .required: return "required"
        case .tool(let name): return "tool:\(name)"
        }
    }
}

/// What shape the answer must have.
public enum ResponseFormat: Hashable, Sendable {
    /// Free text.
    case text
    /// JSON matching `schema`; `name` labels it where the API wants a name.
    case jsonSchema(name: String, schema: JSONSchema)
}
