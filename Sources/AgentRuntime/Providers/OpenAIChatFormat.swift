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
    /// The name of the output-token limit field; nil chooses per model: `max_completion_tokens` for OpenAI's
    /// reasoning models (o-series, gpt-5 family), which reject `max_tokens`, and `max_tokens` for the rest.
    public let maxTokensField: String?
    /// Whether to ask for usage in streams (`stream_options.include_usage`).
    public let streamUsage: Bool

    /// Creates the format for one vendor.
    public init(
        provider: String = "openai", endpoint: Endpoint, authentication: Authentication = .bearer, apiKey: String?,
        extraHeaders: HTTPHeaders = HTTPHeaders(), maxTokensField: String? = nil, streamUsage: Bool = true
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

    /// Whether `model` is one of OpenAI's reasoning models (`o1`, `o3-mini`, `o4-mini`, `gpt-5`, `gpt-5-mini`, ...,
    /// also behind a router prefix such as `openai/`): they take `max_completion_tokens` and only the default
    /// temperature and top_p.
    public static func isReasoningModel(_ model: String) -> Bool {
        let name = (model.split(separator: "/").last.map(String.init) ?? model).lowercased()
        if name.hasPrefix("gpt-5") { return !name.hasPrefix("gpt-5-chat") }
        guard name.first == "o", let second = name.dropFirst().first else { return false }
        return second.isNumber
    }

    /// Whether the server enforces `strict: true` JSON schemas (OpenAI and Azure OpenAI); compatible servers get the
    /// schema without it.
    public var supportsStrictSchemas: Bool {
        switch endpoint {
        case .azure: return true
        case .standard(let baseURL): return baseURL.host?.lowercased() == "api.openai.com"
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
            switch request.toolChoice {
            case nil: break
            case .auto?: body["tool_choice"] = "auto"
            case .noTool?: body["tool_choice"] = "none"
            case .required?: body["tool_choice"] = "required"
            case .tool(let name)?: body["tool_choice"] = ["type": "function", "function": ["name": .string(name)]]
            }
        }
        let reasoning = Self.isReasoningModel(request.model)
        if let temperature = request.temperature, !reasoning { body["temperature"] = .double(temperature) }
        if let maxTokens = request.maxTokens {
            body[maxTokensField ?? (reasoning ? "max_completion_tokens" : "max_tokens")] = .int(maxTokens)
        }
        if let topP = request.topP, !reasoning { body["top_p"] = .double(topP) }
        if !request.stop.isEmpty { body["stop"] = .array(request.stop.map { .string($0) }) }
        if case .jsonSchema(let name, let schema) = request.responseFormat {
            var format: JSONObject = ["name": .string(name), "schema": schema.document]
            if supportsStrictSchemas, StrictSchema.fits(schema.document) { format["strict"] = true }
            body["response_format"] = ["type": "json_schema", "json_schema": .object(format)]
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
        case .assistant(let text, let calls, _):
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
        let refusal = message["refusal"]?.stringValue
        var reason = Self.finishReason(choice["finish_reason"]?.stringValue)
        if refusal != nil, calls.isEmpty, reason == nil || reason == .stop { reason = .refusal }
        return ChatResponse(
            text: message["content"]?.stringValue, toolCalls: calls,
            finishReason: reason ?? (calls.isEmpty ? .stop : .toolCalls),
            usage: Self.usage(json["usage"] ?? json["x_groq"]?["usage"]), model: json["model"]?.stringValue,
            refusal: refusal)
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
            // OpenAI and most servers send usage on a last chunk; Groq puts it in `x_groq.usage`.
            for usage in [json["usage"], json["x_groq"]?["usage"]] {
                if let usage, usage != .null { accumulator.usage = OpenAIChatFormat.usage(usage) }
            }
            var deltas: [ChatDelta] = []
            guard case .array(let choices)? = json["choices"], let choice = choices.first else { return deltas }
            if let delta = choice["delta"] {
                if let text = delta["content"]?.stringValue, let emitted = accumulator.appendText(text) {
                    deltas.append(emitted)
                }
                if let refusal = delta["refusal"]?.stringValue { accumulator.appendRefusal(refusal) }
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
        let message = Self.message(of: error)
        let type = error["type"]?.stringValue ?? error["code"]?.stringValue ?? ""
        var failure = ProviderError(
            code: Wire.mentionsContextLength(message)
                ? .contextLengthExceeded
                : type.contains("rate") ? .rateLimited : type.contains("server") ? .server : .invalidRequest,
            message: message, provider: provider)
        Self.refine(&failure, code: error["code"]?.stringValue ?? "")
        return failure
    }

    /// The error's message, with what vendors attach to it: the categories Azure's content filter flagged, and the
    /// generation Groq could not parse as a tool call (`failed_generation`, cut to 500 characters).
    static func message(of error: JSONValue) -> String {
        var message = error["message"]?.stringValue ?? error.stringValue ?? error.serialized()
        if case .object(let results)? = error["innererror"]?["content_filter_result"] {
            let flagged = results.compactMap { category, result -> String? in
                guard result["filtered"] == true || result["detected"] == true else { return nil }
                return result["severity"]?.stringValue.map { "\(category) (\($0))" } ?? category
            }
            if !flagged.isEmpty { message += " [filtered: \(flagged.joined(separator: ", "))]" }
        }
        if let generation = error["failed_generation"]?.stringValue, !generation.isEmpty {
            let excerpt = generation.count > 500 ? String(generation.prefix(500)) + "…" : generation
            message += " failed_generation: \(excerpt)"
        }
        return message
    }

    /// Codes whose meaning the HTTP status does not carry: Azure's `content_filter` is the provider's content filter,
    /// not a malformed request; Groq's `tool_use_failed` is a generation that may well parse on another try.
    static func refine(_ failure: inout ProviderError, code: String) {
        switch code {
        case "content_filter", "content_policy_violation":
            failure.code = .contentFiltered
            failure.isRetryable = false
        case "tool_use_failed":
            failure.isRetryable = true
        default: break
        }
    }

    /// `{"error": {"message", "type", "code"}}` with the status and rate-limit headers.
    public func parseError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> ProviderError {
        let json = try? JSONParser.value(body)
        let error = json?["error"]
        let message =
            error.map(Self.message(of:)) ?? json?["message"]?.stringValue ?? Wire.excerpt(body)
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
        var failure = ProviderError(
            status: status, code: code, message: message, provider: provider, isRetryable: retryable,
            retryAfter: RetryAfter.parse(headers))
        Self.refine(&failure, code: errorCode)
        return failure
    }
}
