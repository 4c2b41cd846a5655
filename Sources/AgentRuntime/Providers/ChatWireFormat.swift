/// One provider API's wire format: how a ``ChatRequest`` becomes HTTP, and
/// how responses, stream events and error bodies become values.
///
/// Formats are pure (no I/O), so tests replay recorded bytes through them.
/// ``HTTPChatModel`` adds transport, retries and deadlines.
public protocol ChatWireFormat: Sendable {
    /// Decodes one streamed response.
    associatedtype StreamDecoder: ChatStreamDecoder

    /// The provider key used in errors and metrics (`openai`, `anthropic`, ...).
    var provider: String { get }

    /// The API key this format sends, so errors can redact it.
    var credential: String? { get }

    /// The HTTP request for `request`, streamed or not, with authentication.
    func makeRequest(_ request: ChatRequest, stream: Bool) throws -> HTTPRequest

    /// Decodes a successful non-streamed body.
    func parseResponse(_ body: [UInt8], for request: ChatRequest) throws -> ChatResponse

    /// A decoder for one streamed answer to `request`.
    func makeStreamDecoder(for request: ChatRequest) -> StreamDecoder

    /// Turns a non-2xx response into a typed error.
    func parseError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> ProviderError
}

/// Decodes the events of one streamed answer.
public protocol ChatStreamDecoder: Sendable {
    /// How the stream is framed.
    var framing: ServerSentEventParser.Framing { get }

    /// Consumes one event; returns the deltas it carries. Throws ``ProviderError`` for in-stream errors.
    mutating func decode(_ event: ServerSentEvent) throws -> [ChatDelta]

    /// The assembled response once the stream has ended; throws `stream_truncated`
    /// when the provider never said the answer was complete.
    mutating func finish() throws -> ChatResponse
}

/// Collects streamed fragments into a ``ChatResponse``.
public struct StreamAccumulator: Sendable {
    private var text = ""
    private var hasText = false
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]
    /// Usage reported so far.
    public var usage = TokenUsage()
    /// The finish reason, once reported.
    public var finishReason: FinishReason?
    /// The model, once reported.
    public var model: String?
    /// The model's refusal text so far (OpenAI `refusal` fields).
    public var refusal: String?
    /// The turn's content as the provider needs it back (see ``ProviderEcho``), in order.
    var echoItems: [JSONValue] = []
    /// Set once the turn holds something that must be echoed (a signature, a thinking block); nil leaves it out.
    var echoFormat: String?

    /// Creates an empty accumulator.
    public init() {}

    /// Appends text; returns the delta to emit (nil for empty text).
    public mutating func appendText(_ fragment: String) -> ChatDelta? {
        guard !fragment.isEmpty else { return nil }
        text += fragment
        hasText = true
        return .text(fragment)
    }

    /// Adds to tool call `index`; returns the delta to emit.
    public mutating func appendToolCall(index: Int, id: String?, name: String?, arguments: String) -> ChatDelta {
        var call = calls[index] ?? (id: "", name: "", arguments: "")
        if let id, !id.isEmpty { call.id = id }
        if let name, !name.isEmpty, call.name.isEmpty { call.name = name }
        call.arguments += arguments
        calls[index] = call
        return .toolCall(index: index, id: id, name: name, arguments: arguments)
    }

    /// The number of tool calls seen.
    public var toolCallCount: Int { calls.count }

    /// The response so far. Tool calls are ordered by index; missing ids become `call_<index>`;
    /// `normalizeArguments` re-serialises argument JSON compactly.
    public func response(normalizeArguments: Bool = false) -> ChatResponse {
        let toolCalls = calls.keys.sorted().map { index -> ToolCall in
            let call = calls[index]!
            var arguments = call.arguments.isEmpty ? "{}" : call.arguments
            if normalizeArguments, let value = try? JSONParser.value(arguments) { arguments = value.serialized() }
            return ToolCall(id: call.id.isEmpty ? "call_\(index)" : call.id, name: call.name, arguments: arguments)
        }
        var reason = finishReason ?? .stop
        if !toolCalls.isEmpty, reason == .stop { reason = .toolCalls }
        if refusal != nil, reason == .stop { reason = .refusal }
        return ChatResponse(
            text: hasText ? text : nil, toolCalls: toolCalls, finishReason: reason, usage: usage, model: model,
            echo: echoFormat.map { ProviderEcho(format: $0, content: .array(echoItems)) }, refusal: refusal)
    }

    /// Appends refusal text; returns nothing to emit (a refusal is not an answer).
    public mutating func appendRefusal(_ fragment: String) {
        guard !fragment.isEmpty else { return }
        refusal = (refusal ?? "") + fragment
    }
}

/// Conversation turns where consecutive items of one role merge into one turn
/// (Anthropic and Gemini require roles to alternate).
struct TurnList {
    private var turns: [(role: String, items: [JSONValue])] = []

    /// Adds items to the last turn when it has `role`, else starts a turn.
    mutating func add(_ role: String, _ items: [JSONValue]) {
        guard !items.isEmpty else { return }
        if turns.last?.role == role { turns[turns.count - 1].items += items } else { turns.append((role, items)) }
    }

    /// `[{"role": …, <itemsKey>: […]}]`.
    func json(itemsKey: String) -> [JSONValue] {
        turns.map {
            .object(JSONObject([(key: "role", value: .string($0.role)), (key: itemsKey, value: .array($0.items))]))
        }
    }
}

/// Helpers shared by the wire formats.
enum Wire {
    /// Parses a JSON body or throws `invalid_response`.
    static func json(_ bytes: [UInt8], provider: String) throws -> JSONValue {
        do {
            return try JSONParser.value(bytes)
        } catch {
            throw ProviderError(
                code: .invalidResponse, message: "the response is not valid JSON (\(error))", provider: provider)
        }
    }

    static func json(_ text: String, provider: String) throws -> JSONValue {
        try json(Array(text.utf8), provider: provider)
    }

    static func bytes(_ value: JSONValue) -> [UInt8] { Array(value.serialized().utf8) }

    /// The default error code for an HTTP status.
    static func code(forStatus status: Int) -> ProviderError.Code {
        switch status {
        case 400, 413, 422: return .invalidRequest
        case 401: return .authentication
        case 403: return .permissionDenied
        case 404: return .notFound
        case 408: return .timeout
        case 429: return .rateLimited
        case 529: return .overloaded
        default: return status >= 500 || status == 409 ? .server : .invalidRequest
        }
    }

    /// Statuses worth retrying.
    static func isRetryable(status: Int) -> Bool {
        [408, 409, 429, 500, 502, 503, 504, 529].contains(status)
    }

    /// A message mentioning the context window.
    static func mentionsContextLength(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return lowered.contains("context length") || lowered.contains("context_length")
            || lowered.contains("context window")
            || lowered.contains("prompt is too long") || lowered.contains("maximum context")
            || (lowered.contains("exceeds the maximum") && lowered.contains("token"))
            || lowered.contains("too many tokens")
    }

    /// A short excerpt of a non-JSON body for messages.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(empty body)" : text
    }

    /// The messages' system text joined, and the rest.
    static func splitSystem(_ messages: [Message]) -> (system: String?, rest: [Message]) {
        var system: [String] = []
        var rest: [Message] = []
        for message in messages {
            if case .system(let text) = message { system.append(text) } else { rest.append(message) }
        }
        return (system.isEmpty ? nil : system.joined(separator: "\n\n"), rest)
    }
}

extension String {
    func trimmingCharacters(in set: WhitespaceSet) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace || first.isNewline { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace || last.isNewline { scalars.removeLast() }
        return String(scalars)
    }

    enum WhitespaceSet { case whitespacesAndNewlines }
}
