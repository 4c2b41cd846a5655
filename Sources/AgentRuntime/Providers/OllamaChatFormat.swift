import Foundation

/// Ollama's native chat API (`POST {baseURL}/api/chat`), as Ollama's own clients speak it.
///
/// Streams are newline-delimited JSON: one object per line, `message.content` pieces, tool calls whole in one line
/// (`message.tool_calls` with `arguments` as a JSON object, not a string), and a last line with `done: true`,
/// `done_reason` and the counts `prompt_eval_count` / `eval_count`. A failure mid-stream is a line
/// `{"error": "…"}`. Sampling settings go in `options` (`num_predict` is the output limit); structured output is
/// `format` with the JSON schema. Ollama's OpenAI-compatible `/v1` stays available through `kind: openai`.
public struct OllamaChatFormat: ChatWireFormat {
    /// The provider key.
    public let provider: String
    /// The server, e.g. `http://127.0.0.1:11434` (without `/api`).
    public let baseURL: URL
    /// A key for servers behind a proxy that wants one (`Authorization: Bearer`); local servers need none.
    public let apiKey: String?
    /// Extra headers.
    public let extraHeaders: HTTPHeaders

    /// Creates the format.
    public init(
        provider: String = "ollama", baseURL: URL = URL(string: "http://127.0.0.1:11434")!, apiKey: String? = nil,
        extraHeaders: HTTPHeaders = HTTPHeaders()
    ) {
        self.provider = provider
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.extraHeaders = extraHeaders
    }

    /// The key, for redaction.
    public var credential: String? { apiKey }

    /// The JSON body for `request`.
    public func body(_ request: ChatRequest, stream: Bool) -> JSONValue {
        var body = JSONObject()
        body["model"] = .string(request.model)
        body["messages"] = .array(request.messages.map(Self.encode))
        // The native API has no tool choice: `noTool` offers no tools, a named tool is offered alone, `required` and
        // `auto` send the tools as they are.
        var offered = request.tools
        switch request.toolChoice {
        case .noTool?: offered = []
        case .tool(let name)?: offered = offered.filter { $0.name == name }
        default: break
        }
        if !offered.isEmpty {
            body["tools"] = .array(
                offered.map { tool in
                    [
                        "type": "function",
                        "function": [
                            "name": .string(tool.name), "description": .string(tool.description),
                            "parameters": tool.parameters.document,
                        ],
                    ]
                })
        }
        if case .jsonSchema(_, let schema) = request.responseFormat { body["format"] = schema.document }
        var options = JSONObject()
        if let temperature = request.temperature { options["temperature"] = .double(temperature) }
        if let topP = request.topP { options["top_p"] = .double(topP) }
        if let maxTokens = request.maxTokens { options["num_predict"] = .int(maxTokens) }
        if !request.stop.isEmpty { options["stop"] = .array(request.stop.map { .string($0) }) }
        if !options.members.isEmpty { body["options"] = .object(options) }
        body["stream"] = .bool(stream)
        return .object(body)
    }

    static func encode(_ message: Message) -> JSONValue {
        switch message {
        case .system(let text): return ["role": "system", "content": .string(text)]
        case .user(let text): return ["role": "user", "content": .string(text)]
        case .assistant(let text, let calls, _):
            var object: JSONObject = ["role": "assistant", "content": .string(text ?? "")]
            if !calls.isEmpty {
                object["tool_calls"] = .array(
                    calls.map { call in
                        let arguments =
                            (try? JSONParser.value(call.arguments)).flatMap { value -> JSONValue? in
                                if case .object = value { return value } else { return nil }
                            } ?? .object(JSONObject())
                        return ["function": ["name": .string(call.name), "arguments": arguments]]
                    })
            }
            return .object(object)
        case .tool(_, let name, let content, _):
            return ["role": "tool", "content": .string(content), "tool_name": .string(name)]
        }
    }

    /// The HTTP request.
    public func makeRequest(_ request: ChatRequest, stream: Bool) throws -> HTTPRequest {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if stream { headers.set("Accept", "application/x-ndjson") }
        if let apiKey { headers.set("Authorization", "Bearer \(apiKey)") }
        for field in extraHeaders { headers.set(field.name, field.value) }
        return HTTPRequest(
            method: "POST", url: baseURL.appendingPathComponent("api/chat"), headers: headers,
            body: Wire.bytes(body(request, stream: stream)))
    }

    static func finishReason(_ text: String?) -> FinishReason {
        switch text {
        case nil, "stop": return .stop
        case "length": return .length
        case let other?: return .other(other)
        }
    }

    /// Adds one line (or the whole response) to `accumulator`; returns its deltas. True `done` ends the answer.
    func absorb(
        _ json: JSONValue, into accumulator: inout StreamAccumulator
    ) throws -> (deltas: [ChatDelta], done: Bool) {
        if let error = json["error"], error != .null {
            let message = error.stringValue ?? error["message"]?.stringValue ?? error.serialized()
            throw ProviderError(
                code: Wire.mentionsContextLength(message) ? .contextLengthExceeded : .server, message: message,
                provider: provider)
        }
        if let model = json["model"]?.stringValue { accumulator.model = model }
        var deltas: [ChatDelta] = []
        if let message = json["message"] {
            if let text = message["content"]?.stringValue, let delta = accumulator.appendText(text) {
                deltas.append(delta)
            }
            if case .array(let calls)? = message["tool_calls"] {
                for call in calls {
                    let function = call["function"]
                    let arguments: String
                    switch function?["arguments"] {
                    case .string(let text)?: arguments = text
                    case let value?: arguments = value.serialized()
                    case nil: arguments = "{}"
                    }
                    let index = accumulator.toolCallCount
                    deltas.append(
                        accumulator.appendToolCall(
                            index: index, id: call["id"]?.stringValue ?? "call_\(index)",
                            name: function?["name"]?.stringValue, arguments: arguments))
                }
            }
        }
        guard json["done"] == true else { return (deltas, false) }
        accumulator.finishReason = Self.finishReason(json["done_reason"]?.stringValue)
        accumulator.usage = TokenUsage(
            inputTokens: json["prompt_eval_count"]?.intValue ?? 0, outputTokens: json["eval_count"]?.intValue ?? 0)
        return (deltas, true)
    }

    /// Decodes a non-streamed `/api/chat` answer.
    public func parseResponse(_ body: [UInt8], for request: ChatRequest) throws -> ChatResponse {
        var accumulator = StreamAccumulator()
        let (_, done) = try absorb(Wire.json(body, provider: provider), into: &accumulator)
        guard done else {
            throw ProviderError(code: .invalidResponse, message: "the response is not done", provider: provider)
        }
        return accumulator.response()
    }

    /// A stream decoder.
    public func makeStreamDecoder(for request: ChatRequest) -> StreamDecoder { StreamDecoder(format: self) }

    /// Decodes NDJSON lines until `done: true`.
    public struct StreamDecoder: ChatStreamDecoder {
        let format: OllamaChatFormat
        var accumulator = StreamAccumulator()
        var done = false

        /// One JSON object per line.
        public var framing: ServerSentEventParser.Framing { .newlineDelimitedJSON }

        /// One line.
        public mutating func decode(_ event: ServerSentEvent) throws -> [ChatDelta] {
            let (deltas, finished) = try format.absorb(
                Wire.json(event.data, provider: format.provider), into: &accumulator)
            if finished { done = true }
            return deltas
        }

        /// The response once the `done` line has arrived.
        public mutating func finish() throws -> ChatResponse {
            guard done else {
                throw ProviderError(
                    code: .streamTruncated, message: "the stream ended before a line with \"done\": true",
                    provider: format.provider)
            }
            return accumulator.response()
        }
    }

    /// `{"error": "…"}` with the status: 404 is a model that is not pulled, 400 a bad request, 5xx the server.
    public func parseError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> ProviderError {
        let json = try? JSONParser.value(body)
        let message = json?["error"]?.stringValue ?? json?["error"]?["message"]?.stringValue ?? Wire.excerpt(body)
        var code = Wire.code(forStatus: status)
        if code == .invalidRequest, Wire.mentionsContextLength(message) { code = .contextLengthExceeded }
        return ProviderError(
            status: status, code: code, message: message, provider: provider,
            isRetryable: Wire.isRetryable(status: status), retryAfter: RetryAfter.parse(headers))
    }
}
