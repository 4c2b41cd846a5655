import Foundation

/// The OpenAI Chat Completions wire format, for OpenAI and every compatible
/// server: Azure OpenAI, Groq, Ollama (`/v1`), vLLM, or any `base_url`.
public struct OpenAIChatFormat: ChatWireFormat {
    /// Where requests go.
    public enum Endpoint: Hashable, Sendable {
        /// `{baseURL}/chat/completions` (OpenAI, Groq, Ollama `/v1`, vLLM, ...).
        case standard(baseURL: URL)
        /// `{endpoint}/openai/deployments/{model}/chat/completions?api-version=…` (the model name is the deployment).
        case azure(endpoint: URL, apiVersion: String)
    }

    /// How the key is sent.
    public enum Authentication: Hashable, Sendable {
        /// `Authorization: Bearer <key>` (OpenAI, Groq, vLLM; Azure with Entra tokens).
        case bearer
        /// `api-key: <key>` (Azure keys).
        case apiKeyHeader
        /// No key (local Ollama or vLLM).
        case none
    }

    /// The provider key (`openai`, `azure`, `groq`, `ollama`, `vllm`, ...).
    public let provider: String
    /// Where requests go.
    public let endpoint: Endpoint
    /// How the key is sent.
    public let authentication: Authentication
    /// The key.
    public let apiKey: String?
    /// Extra headers for every request (e.g. `OpenAI-Organization`).
    public let extraHeaders: HTTPHeaders
    /// The name of the output-token limit field (`max_tokens`, or `max_completion_tokens` for newer OpenAI models).
    public let maxTokensField: String
    /// Whether to ask for usage in streams (`stream_options.include_usage`).
    public let streamUsage: Bool

    /// Creates the format for one vendor.
    public init(
        provider: String = "openai", endpoint: Endpoint, authentication: Authentication = .bearer, apiKey: String?,
        extraHeaders: HTTPHeaders = HTTPHeaders(), maxTokensField: String = "max_tokens", streamUsage: Bool = true
    ) {
        self.provider = provider
        self.endpoint = endpoint
        self.authentication = authentication
        self.apiKey = apiKey
        self.extraHeaders = extraHeaders
        self.maxTokensField = maxTokensField
        self.streamUsage = streamUsage
    }

    /// The key, for redaction.
    public var credential: String? { apiKey }

    /// The URL a request for `model` goes to.
    public func url(for model: String) -> URL {
        switch endpoint {
        case .standard(let baseURL):
            return baseURL.appendingPathComponent("chat/completions")
        case .azure(let base, let apiVersion):
            var components = URLComponents(
                url: base.appendingPathComponent("openai/deployments/\(model)/chat/completions"),
                resolvingAgainstBaseURL: false)!
            components.queryItems = [URLQueryItem(name: "api-version", value: apiVersion)]
            return components.url!
        }
    }

    /// The JSON body for `request`.
    public func body(_ request: ChatRequest, stream: Bool) -> JSONValue {
        var body = JSONObject()
        body["model"] = .string(request.model)
        body["messages"] = .array(request.messages.map(Self.encode))
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    [
                        "type": "function",
                        "function": [
                            "name": .string(tool.name), "description": .string(tool.description),
                            "parameters": tool.parameters.document,
                        ],
                    ]
                })
        }
        if let temperature = request.temperature { body["temperature"] = .double(temperature) }
        if let maxTokens = request.maxTokens { body[maxTokensField] = .int(maxTokens) }
        if let topP = request.topP { body["top_p"] = .double(topP) }
        if !request.stop.isEmpty { body["stop"] = .array(request.stop.map { .string($0) }) }
        if case .jsonSchema(let name, let schema) = request.responseFormat {
            body["response_format"] = [
                "type": "json_schema",
                "json_schema": ["name": .string(name), "schema": schema.document],
            ]
        }
        if stream {
            body["stream"] = true
            if streamUsage { body["stream_options"] = ["include_usage": true] }
        }
        return .object(body)
    }

    static func encode(_ message: Message) -> JSONValue {
        switch message {
        case .system(let text): return ["role": "system", "content": .string(text)]
        case .user(let text): return ["role": "user", "content": .string(text)]
        case .assistant(let text, let calls):
            var object: JSONObject = ["role": "assistant", "content": text.map(JSONValue.string) ?? .null]
            if !calls.isEmpty {
                object["tool_calls"] = .array(
                    calls.map { call in
                        [
                            "id": .string(call.id), "type": "function",
                            "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
                        ]
                    })
            }
            return .object(object)
        case .tool(let callID, _, let content, _):
            return ["role": "tool", "tool_call_id": .string(callID), "content": .string(content)]
        }
    }

    /// The HTTP request.
    public func makeRequest(_ request: ChatRequest, stream: Bool) throws -> HTTPRequest {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if stream { headers.set("Accept", "text/event-stream") }
        switch authentication {
        case .bearer: if let apiKey { headers.set("Authorization", "Bearer \(apiKey)") }
        case .apiKeyHeader: if let apiKey { headers.set("api-key", apiKey) }
        case .none: break
        }
        for field in extraHeaders { headers.set(field.name, field.value) }
        return HTTPRequest(
            method: "POST", url: url(for: request.model), headers: headers,
            body: Wire.bytes(body(request, stream: stream)))
    }

    /// Decodes `{choices: [{message, finish_reason}], usage}`.
    public func parseResponse(_ body: [UInt8], for request: ChatRequest) throws -> ChatResponse {
        let json = try Wire.json(body, provider: provider)
        if let error = json["error"], error != .null { throw inStreamError(error) }
        guard case .array(let choices)? = json["choices"], let choice = choices.first, let message = choice["message"]
        else {
            throw ProviderError(code: .invalidResponse, message: "the response has no choices", provider: provider)
        }
        var calls: [ToolCall] = []
        if case .array(let items)? = message["tool_calls"] {
            for (index, item) in items.enumerated() {
                calls.append(
                    ToolCall(
                        id: item["id"]?.stringValue ?? "call_\(index)",
                        name: item["function"]?["name"]?.stringValue ?? "",
                        arguments: item["function"]?["arguments"]?.stringValue ?? "{}"))
            }
        }
        let text = message["content"]?.stringValue ?? message["refusal"]?.stringValue
        var reason = Self.finishReason(choice["finish_reason"]?.stringValue)
        if message["refusal"]?.stringValue != nil { reason = .contentFilter }
        return ChatResponse(
            text: text, toolCalls: calls, finishReason: reason ?? (calls.isEmpty ? .stop : .toolCalls),
            usage: Self.usage(json["usage"]), model: json["model"]?.stringValue)
    }

    static func finishReason(_ text: String?) -> FinishReason? {
        switch text {
        case nil: return nil
        case "stop": return .stop
        case "length": return .length
        case "tool_calls", "function_call": return .toolCalls
        case "content_filter": return .contentFilter
        case let other?: return .other(other)
        }
    }

    static func usage(_ value: JSONValue?) -> TokenUsage {
        guard let value, value != .null else { return TokenUsage() }
        return TokenUsage(
            inputTokens: value["prompt_tokens"]?.intValue ?? 0,
            outputTokens: value["completion_tokens"]?.intValue ?? 0,
            cachedInputTokens: value["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0)
    }

    /// A stream decoder.
    public func makeStreamDecoder(for request: ChatRequest) -> StreamDecoder { StreamDecoder(format: self) }

    /// Decodes `chat.completion.chunk` events until `[DONE]`.
    public struct StreamDecoder: ChatStreamDecoder {
        let format: OpenAIChatFormat
        var accumulator = StreamAccumulator()
        var done = false

        /// SSE.
        public var framing: ServerSentEventParser.Framing { .serverSentEvents }

        /// One chunk.
        public mutating func decode(_ event: ServerSentEvent) throws -> [ChatDelta] {
            if event.data == "[DONE]" {
                done = true
                return []
            }
            let json = try Wire.json(event.data, provider: format.provider)
            if let error = json["error"], error != .null { throw format.inStreamError(error) }
            if let model = json["model"]?.stringValue, !model.isEmpty { accumulator.model = model }
            if let usage = json["usage"], usage != .null { accumulator.usage = OpenAIChatFormat.usage(usage) }
            var deltas: [ChatDelta] = []
            guard case .array(let choices)? = json["choices"], let choice = choices.first else { return deltas }
            if let delta = choice["delta"] {
                if let text = delta["content"]?.stringValue, let emitted = accumulator.appendText(text) {
                    deltas.append(emitted)
                }
                if case .array(let calls)? = delta["tool_calls"] {
                    for (position, call) in calls.enumerated() {
                        let index = call["index"]?.intValue ?? position
                        deltas.append(
                            accumulator.appendToolCall(
                                index: index, id: call["id"]?.stringValue, name: call["function"]?["name"]?.stringValue,
                                arguments: call["function"]?["arguments"]?.stringValue ?? ""))
                    }
                }
            }
            if let reason = OpenAIChatFormat.finishReason(choice["finish_reason"]?.stringValue) {
                accumulator.finishReason = reason
            }
            return deltas
        }

        /// The response, once `[DONE]` or a finish reason has arrived.
        public mutating func finish() throws -> ChatResponse {
            guard done || accumulator.finishReason != nil else {
                throw ProviderError(
                    code: .streamTruncated, message: "the stream ended before [DONE] or a finish reason",
                    provider: format.provider)
            }
            return accumulator.response()
        }
    }

    func inStreamError(_ error: JSONValue) -> ProviderError {
        let message = error["message"]?.stringValue ?? error.serialized()
        let type = error["type"]?.stringValue ?? error["code"]?.stringValue ?? ""
        let code: ProviderError.Code =
            Wire.mentionsContextLength(message)
            ? .contextLengthExceeded
            : type.contains("rate") ? .rateLimited : type.contains("server") ? .server : .invalidRequest
        return ProviderError(code: code, message: message, provider: provider)
    }

    /// `{"error": {"message", "type", "code"}}` with the status and rate-limit headers.
    public func parseError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> ProviderError {
        let json = try? JSONParser.value(body)
        let error = json?["error"]
        let message =
            error?["message"]?.stringValue ?? error?.stringValue ?? json?["message"]?.stringValue ?? Wire.excerpt(body)
        let errorCode = error?["code"]?.stringValue ?? ""
        let errorType = error?["type"]?.stringValue ?? ""
        var code = Wire.code(forStatus: status)
        var retryable = Wire.isRetryable(status: status)
        if errorCode == "context_length_exceeded" || (status == 400 && Wire.mentionsContextLength(message)) {
            code = .contextLengthExceeded
        } else if errorCode == "insufficient_quota" || errorType == "insufficient_quota" {
            code = .quotaExceeded
            retryable = false
        } else if status == 400, errorCode == "invalid_api_key" {
            code = .authentication
        }
        return ProviderError(
            status: status, code: code, message: message, provider: provider, isRetryable: retryable,
            retryAfter: RetryAfter.parse(headers))
    }
}
