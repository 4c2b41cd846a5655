import Foundation

/// The Anthropic Messages wire format (`/v1/messages`).
///
/// System text goes in `system`; tool calls are `tool_use` blocks and results
/// `tool_result` blocks in a user turn; consecutive turns of one role are
/// merged, as the API requires alternation. Structured output uses a forced
/// tool whose input is the JSON answer.
public struct AnthropicChatFormat: ChatWireFormat {
    /// The API version header value.
    public static let apiVersion = "2023-06-01"
    /// `max_tokens` is required by the API; this is sent when the request sets none.
    public static let defaultMaxTokens = 4096

    /// The provider key.
    public let provider: String
    /// `https://api.anthropic.com` or a compatible gateway.
    public let baseURL: URL
    /// The key, sent as `x-api-key`.
    public let apiKey: String?
    /// Extra headers (e.g. `anthropic-beta`).
    public let extraHeaders: HTTPHeaders
    /// Extended thinking's `budget_tokens`; nil leaves thinking off. With thinking on, `max_tokens` is the budget
    /// plus the request's own limit, temperature and top_p are left out (the API refuses them), and structured output
    /// offers its answer tool with `tool_choice: auto` (a forced tool is refused).
    public let thinkingBudget: Int?

    /// Creates the format.
    public init(
        provider: String = "anthropic", baseURL: URL = URL(string: "https://api.anthropic.com")!, apiKey: String?,
        extraHeaders: HTTPHeaders = HTTPHeaders(), thinkingBudget: Int? = nil
    ) {
        self.provider = provider
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.extraHeaders = extraHeaders
        self.thinkingBudget = thinkingBudget
    }

    /// The key, for redaction.
    public var credential: String? { apiKey }

    /// The ``ProviderEcho/format`` of Anthropic turns.
    public static let echoFormat = "anthropic"

    /// The tool name used for structured output, when the request asks for it and offers no tools.
    func structuredToolName(_ request: ChatRequest) -> String? {
        guard case .jsonSchema(let name, _) = request.responseFormat, request.tools.isEmpty else { return nil }
        return Self.legalToolName(name)
    }

    static func legalToolName(_ name: String) -> String {
        let cleaned = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" }.prefix(64))
        return cleaned.isEmpty ? "structured_output" : cleaned
    }

    /// The JSON body for `request`.
    public func body(_ request: ChatRequest, stream: Bool) -> JSONValue {
        let (system, rest) = Wire.splitSystem(request.messages)
        var body = JSONObject()
        body["model"] = .string(request.model)
        body["max_tokens"] = .int((request.maxTokens ?? Self.defaultMaxTokens) + (thinkingBudget ?? 0))
        if let thinkingBudget { body["thinking"] = ["type": "enabled", "budget_tokens": .int(thinkingBudget)] }
        if let system { body["system"] = .string(system) }
        body["messages"] = .array(Self.encode(rest))
        var tools = request.tools.map { tool -> JSONValue in
            [
                "name": .string(tool.name), "description": .string(tool.description),
                "input_schema": tool.parameters.document,
            ]
        }
        if let name = structuredToolName(request), case .jsonSchema(_, let schema) = request.responseFormat {
            tools.append([
                "name": .string(name),
                "description": "Give your final answer by calling this tool; its input is the answer.",
                "input_schema": schema.document,
            ])
            body["tool_choice"] = thinkingBudget == nil ? ["type": "tool", "name": .string(name)] : ["type": "auto"]
        }
        if !tools.isEmpty { body["tools"] = .array(tools) }
        if !request.tools.isEmpty, let choice = request.toolChoice {
            // With extended thinking the API accepts only `auto` and `none`: a forced call is sent as `auto`.
            switch choice {
            case .auto: body["tool_choice"] = ["type": "auto"]
            case .noTool: body["tool_choice"] = ["type": "none"]
            case .required: body["tool_choice"] = thinkingBudget == nil ? ["type": "any"] : ["type": "auto"]
            case .tool(let name):
                body["tool_choice"] =
                    thinkingBudget == nil ? ["type": "tool", "name": .string(name)] : ["type": "auto"]
            }
        }
        // The API accepts temperatures 0–1; higher values are clamped.
        if let temperature = request.temperature, thinkingBudget == nil {
            body["temperature"] = .double(min(1, max(0, temperature)))
        }
        if let topP = request.topP, thinkingBudget == nil { body["top_p"] = .double(topP) }
        if !request.stop.isEmpty { body["stop_sequences"] = .array(request.stop.map { .string($0) }) }
        if stream { body["stream"] = true }
        return .object(body)
    }

    static func encode(_ messages: [Message]) -> [JSONValue] {
        var turns = TurnList()
        func add(_ role: String, _ blocks: [JSONValue]) { turns.add(role, blocks) }
        for message in messages {
            switch message {
            case .system(let text): add("user", [["type": "text", "text": .string(text)]])
            case .user(let text): add("user", [["type": "text", "text": .string(text)]])
            case .assistant(_, _, let echo?) where echo.format == echoFormat:
                // Thinking blocks go back exactly as they came, signature included, before the turn's tool calls.
                if case .array(let blocks) = echo.content { add("assistant", blocks) }
            case .assistant(let text, let calls, _):
                var blocks: [JSONValue] = []
                if let text, !text.isEmpty { blocks.append(["type": "text", "text": .string(text)]) }
                for call in calls {
                    let input =
                        (try? JSONParser.value(call.arguments)).flatMap { value -> JSONValue? in
                            if case .object = value { return value } else { return nil }
                        } ?? .object(JSONObject())
                    blocks.append([
                        "type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input,
                    ])
                }
                add("assistant", blocks)
            case .tool(let callID, _, let content, let isError):
                var block: JSONObject = [
                    "type": "tool_result", "tool_use_id": .string(callID), "content": .string(content),
                ]
                if isError { block["is_error"] = true }
                add("user", [.object(block)])
            }
        }
        return turns.json(itemsKey: "content")
    }

    /// The HTTP request.
    public func makeRequest(_ request: ChatRequest, stream: Bool) throws -> HTTPRequest {
        var headers: HTTPHeaders = ["Content-Type": "application/json", "anthropic-version": Self.apiVersion]
        if stream { headers.set("Accept", "text/event-stream") }
        if let apiKey { headers.set("x-api-key", apiKey) }
        for field in extraHeaders { headers.set(field.name, field.value) }
        return HTTPRequest(
            method: "POST", url: baseURL.appendingPathComponent("v1/messages"), headers: headers,
            body: Wire.bytes(body(request, stream: stream)))
    }

    static func finishReason(_ text: String?) -> FinishReason? {
        switch text {
        case nil: return nil
        case "end_turn", "stop_sequence": return .stop
        case "max_tokens": return .length
        case "tool_use": return .toolCalls
        case "refusal": return .contentFilter
        case let other?: return .other(other)
        }
    }

    static func usage(_ value: JSONValue?, into usage: inout TokenUsage) {
        guard let value else { return }
        let cacheRead = value["cache_read_input_tokens"]?.doubleValue
        let cacheWrite = value["cache_creation_input_tokens"]?.doubleValue
        if let input = value["input_tokens"]?.doubleValue {
            usage.inputTokens = Int(bounding: input + (cacheRead ?? 0) + (cacheWrite ?? 0))
            usage.cachedInputTokens = Int(bounding: cacheRead ?? 0)
        }
        if let output = value["output_tokens"]?.doubleValue { usage.outputTokens = Int(bounding: output) }
    }

    /// Decodes a `message` object.
    public func parseResponse(_ body: [UInt8], for request: ChatRequest) throws -> ChatResponse {
        let json = try Wire.json(body, provider: provider)
        if json["type"] == "error" { throw errorFromBody(json, status: nil) }
        guard case .array(let blocks)? = json["content"] else {
            throw ProviderError(code: .invalidResponse, message: "the response has no content", provider: provider)
        }
        let structured = structuredToolName(request)
        var text: String?
        var calls: [ToolCall] = []
        var reason = Self.finishReason(json["stop_reason"]?.stringValue) ?? .stop
        for block in blocks {
            switch block["type"]?.stringValue {
            case "text": text = (text ?? "") + (block["text"]?.stringValue ?? "")
            case "tool_use":
                let input = (block["input"] ?? .object(JSONObject())).serialized()
                if let structured, block["name"]?.stringValue == structured {
                    text = (text ?? "") + input
                    reason = .stop
                } else {
                    calls.append(
                        ToolCall(
                            id: block["id"]?.stringValue ?? "call_\(calls.count)",
                            name: block["name"]?.stringValue ?? "", arguments: input))
                }
            default: break
            }
        }
        var usage = TokenUsage()
        Self.usage(json["usage"], into: &usage)
        return ChatResponse(
            text: text, toolCalls: calls, finishReason: reason, usage: usage, model: json["model"]?.stringValue,
            echo: Self.echo(blocks))
    }

    /// The turn's blocks, to send back verbatim, when they hold thinking (`thinking` with its `signature`, or
    /// `redacted_thinking`): the API requires them unchanged in the next request of a tool-use turn.
    static func echo(_ blocks: [JSONValue]) -> ProviderEcho? {
        let thinks = blocks.contains {
            let type = $0["type"]?.stringValue
            return type == "thinking" || type == "redacted_thinking"
        }
        return thinks ? ProviderEcho(format: echoFormat, content: .array(blocks)) : nil
    }

    /// A stream decoder.
    public func makeStreamDecoder(for request: ChatRequest) -> StreamDecoder {
        StreamDecoder(format: self, structuredTool: structuredToolName(request))
    }

    /// Decodes `message_start`, `content_block_*`, `message_delta`, `message_stop`, `ping` and `error` events.
    public struct StreamDecoder: ChatStreamDecoder {
        let format: AnthropicChatFormat
        let structuredTool: String?
        var accumulator = StreamAccumulator()
        var toolIndexByBlock: [Int: Int] = [:]
        var structuredBlocks: Set<Int> = []
        var stopped = false
        /// The content blocks as they build up, by index, for the turn's echo.
        var blocks: [Int: JSONObject] = [:]
        var partialInputs: [Int: String] = [:]

        /// SSE.
        public var framing: ServerSentEventParser.Framing { .serverSentEvents }

        /// One event.
        public mutating func decode(_ event: ServerSentEvent) throws -> [ChatDelta] {
            let json = try Wire.json(event.data, provider: format.provider)
            let type = json["type"]?.stringValue ?? event.event ?? ""
            switch type {
            case "message_start":
                accumulator.model = json["message"]?["model"]?.stringValue
                AnthropicChatFormat.usage(json["message"]?["usage"], into: &accumulator.usage)
                return []
            case "content_block_start":
                let index = json["index"]?.intValue ?? 0
                let block = json["content_block"]
                if case .object(let object)? = block { blocks[index] = object }
                switch block?["type"]?.stringValue {
                case "text":
                    return [accumulator.appendText(block?["text"]?.stringValue ?? "")].compactMap { $0 }
                case "tool_use":
                    if let structuredTool, block?["name"]?.stringValue == structuredTool {
                        structuredBlocks.insert(index)
                        return []
                    }
                    let toolIndex = accumulator.toolCallCount
                    toolIndexByBlock[index] = toolIndex
                    return [
                        accumulator.appendToolCall(
                            index: toolIndex, id: block?["id"]?.stringValue, name: block?["name"]?.stringValue,
                            arguments: "")
                    ]
                default:
                    return []
                }
            case "content_block_delta":
                let index = json["index"]?.intValue ?? 0
                let delta = json["delta"]
                switch delta?["type"]?.stringValue {
                case "text_delta":
                    append("text", delta?["text"]?.stringValue, to: index)
                    return [accumulator.appendText(delta?["text"]?.stringValue ?? "")].compactMap { $0 }
                case "thinking_delta":
                    append("thinking", delta?["thinking"]?.stringValue, to: index)
                    return []
                case "signature_delta":
                    append("signature", delta?["signature"]?.stringValue, to: index)
                    return []
                case "input_json_delta":
                    let fragment = delta?["partial_json"]?.stringValue ?? ""
                    partialInputs[index, default: ""] += fragment
                    if structuredBlocks.contains(index) { return [accumulator.appendText(fragment)].compactMap { $0 } }
                    guard let toolIndex = toolIndexByBlock[index] else { return [] }
                    return [accumulator.appendToolCall(index: toolIndex, id: nil, name: nil, arguments: fragment)]
                default:
                    return []
                }
            case "message_delta":
                if let reason = AnthropicChatFormat.finishReason(json["delta"]?["stop_reason"]?.stringValue) {
                    accumulator.finishReason =
                        structuredTool != nil && reason == .toolCalls && accumulator.toolCallCount == 0 ? .stop : reason
                }
                AnthropicChatFormat.usage(json["usage"], into: &accumulator.usage)
                return []
            case "message_stop":
                stopped = true
                return []
            case "error":
                throw format.errorFromBody(json, status: nil)
            default:
                return []  // ping, content_block_stop, and future event types
            }
        }

        /// Adds streamed text to a string field of block `index`.
        private mutating func append(_ field: String, _ fragment: String?, to index: Int) {
            guard let fragment, var block = blocks[index] else { return }
            block[field] = .string((block[field]?.stringValue ?? "") + fragment)
            blocks[index] = block
        }

        /// The blocks as the non-streamed API would have returned them.
        private var assembledBlocks: [JSONValue] {
            blocks.keys.sorted().map { index in
                var block = blocks[index]!
                if let input = partialInputs[index] {
                    block["input"] = input.isEmpty ? .object(JSONObject()) : (try? JSONParser.value(input)) ?? .null
                }
                return .object(block)
            }
        }

        /// The response once `message_stop` has arrived.
        public mutating func finish() throws -> ChatResponse {
            guard stopped else {
                throw ProviderError(
                    code: .streamTruncated, message: "the stream ended before message_stop", provider: format.provider)
            }
            var response = accumulator.response(normalizeArguments: true)
            response.echo = AnthropicChatFormat.echo(assembledBlocks)
            if structuredTool != nil, let text = response.text, let value = try? JSONParser.value(text) {
                response.text = value.serialized()
            }
            return response
        }
    }

    func errorFromBody(_ json: JSONValue, status: Int?) -> ProviderError {
        let type = json["error"]?["type"]?.stringValue ?? ""
        let message = json["error"]?["message"]?.stringValue ?? json.serialized()
        var code: ProviderError.Code
        switch type {
        case "authentication_error": code = .authentication
        case "permission_error": code = .permissionDenied
        case "not_found_error": code = .notFound
        case "rate_limit_error": code = .rateLimited
        case "overloaded_error": code = .overloaded
        case "api_error": code = .server
        case "request_too_large": code = .invalidRequest
        case "invalid_request_error":
            code = Wire.mentionsContextLength(message) ? .contextLengthExceeded : .invalidRequest
        default: code = status.map(Wire.code(forStatus:)) ?? .server
        }
        if code == .invalidRequest, Wire.mentionsContextLength(message) { code = .contextLengthExceeded }
        return ProviderError(status: status, code: code, message: message, provider: provider)
    }

    /// `{"type": "error", "error": {"type", "message"}}` with the status and `retry-after`.
    public func parseError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> ProviderError {
        var error: ProviderError
        if let json = try? JSONParser.value(body), json["error"] != nil {
            error = errorFromBody(json, status: status)
        } else {
            error = ProviderError(
                status: status, code: Wire.code(forStatus: status), message: Wire.excerpt(body), provider: provider)
        }
        error.isRetryable = Wire.isRetryable(status: status)
        error.retryAfter = RetryAfter.parse(headers)
        return error
    }
}
