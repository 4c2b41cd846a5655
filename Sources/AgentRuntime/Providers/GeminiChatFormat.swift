import Foundation

/// The Gemini API wire format: `models/{model}:generateContent` and
/// `:streamGenerateContent?alt=sse`, authenticated with `x-goog-api-key`.
///
/// System text goes in `systemInstruction`; tool calls are `functionCall`
/// parts of a `model` turn and results `functionResponse` parts of a `user`
/// turn. Gemini does not give call ids, so calls are numbered `call_<n>`.
public struct GeminiChatFormat: ChatWireFormat {
    /// The provider key.
    public let provider: String
    /// `https://generativelanguage.googleapis.com/v1beta` or a compatible endpoint.
    public let baseURL: URL
    /// The key, sent as `x-goog-api-key`.
    public let apiKey: String?
    /// Extra headers.
    public let extraHeaders: HTTPHeaders

    /// Creates the format.
    public init(
        provider: String = "gemini", baseURL: URL = URL(string: "https://generativelanguage.googleapis.com/v1beta")!,
        apiKey: String?, extraHeaders: HTTPHeaders = HTTPHeaders()
    ) {
        self.provider = provider
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.extraHeaders = extraHeaders
    }

    /// The key, for redaction.
    public var credential: String? { apiKey }

    /// The ``ProviderEcho/format`` of Gemini turns.
    public static let echoFormat = "gemini"

    /// The JSON body for `request`.
    public func body(_ request: ChatRequest) -> JSONValue {
        let (system, rest) = Wire.splitSystem(request.messages)
        var body = JSONObject()
        body["contents"] = .array(Self.encode(rest))
        if let system { body["systemInstruction"] = ["parts": [["text": .string(system)]]] }
        if !request.tools.isEmpty {
            body["tools"] = [
                [
                    "functionDeclarations": .array(
                        request.tools.map { tool in
                            [
                                "name": .string(tool.name), "description": .string(tool.description),
                                "parametersJsonSchema": tool.parameters.document,
                            ]
                        })
                ]
            ]
            switch request.toolChoice {
            case nil: break
            case .auto?: body["toolConfig"] = ["functionCallingConfig": ["mode": "AUTO"]]
            case .noTool?: body["toolConfig"] = ["functionCallingConfig": ["mode": "NONE"]]
            case .required?: body["toolConfig"] = ["functionCallingConfig": ["mode": "ANY"]]
            case .tool(let name)?:
                body["toolConfig"] = [
                    "functionCallingConfig": ["mode": "ANY", "allowedFunctionNames": [.string(name)]]
                ]
            }
        }
        var config = JSONObject()
        if let temperature = request.temperature { config["temperature"] = .double(temperature) }
        if let maxTokens = request.maxTokens { config["maxOutputTokens"] = .int(maxTokens) }
        if let topP = request.topP { config["topP"] = .double(topP) }
        if !request.stop.isEmpty { config["stopSequences"] = .array(request.stop.map { .string($0) }) }
        if case .jsonSchema(_, let schema) = request.responseFormat {
            config["responseMimeType"] = "application/json"
            config["responseJsonSchema"] = schema.document
        }
        if !config.members.isEmpty { body["generationConfig"] = .object(config) }
        return .object(body)
    }

    static func encode(_ messages: [Message]) -> [JSONValue] {
        var turns = TurnList()
        func add(_ role: String, _ parts: [JSONValue]) { turns.add(role, parts) }
        for message in messages {
            switch message {
            case .system(let text), .user(let text): add("user", [["text": .string(text)]])
            case .assistant(_, _, let echo?) where echo.format == echoFormat:
                // Thought signatures go back exactly as they came, on the parts they came on.
                if case .array(let parts) = echo.content { add("model", parts) }
            case .assistant(let text, let calls, _):
                var parts: [JSONValue] = []
                if let text, !text.isEmpty { parts.append(["text": .string(text)]) }
                for call in calls {
                    let args = (try? JSONParser.value(call.arguments)) ?? .object(JSONObject())
                    parts.append(["functionCall": ["name": .string(call.name), "args": args]])
                }
                add("model", parts)
            case .tool(_, let name, let content, let isError):
                var response: JSONValue
                if let value = try? JSONParser.value(content), case .object = value {
                    response = value
                } else {
                    response = [isError ? "error" : "result": .string(content)]
                }
                add("user", [["functionResponse": ["name": .string(name), "response": response]]])
            }
        }
        return turns.json(itemsKey: "parts")
    }

    /// The HTTP request.
    public func makeRequest(_ request: ChatRequest, stream: Bool) throws -> HTTPRequest {
        let path = "models/\(request.model):\(stream ? "streamGenerateContent" : "generateContent")"
        var url = baseURL.appendingPathComponent(path)
        if stream {
            var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
            components.queryItems = [URLQueryItem(name: "alt", value: "sse")]
            url = components.url!
        }
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let apiKey { headers.set("x-goog-api-key", apiKey) }
        for field in extraHeaders { headers.set(field.name, field.value) }
        return HTTPRequest(method: "POST", url: url, headers: headers, body: Wire.bytes(body(request)))
    }

    static func finishReason(_ text: String?) -> FinishReason? {
        switch text {
        case nil, "FINISH_REASON_UNSPECIFIED": return nil
        case "STOP": return .stop
        case "MAX_TOKENS": return .length
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY": return .contentFilter
        case let other?: return .other(other.lowercased())
        }
    }

    static func usage(_ value: JSONValue?) -> TokenUsage? {
        guard let value else { return nil }
        return TokenUsage(
            inputTokens: value["promptTokenCount"]?.intValue ?? 0,
            outputTokens: Int(
                bounding: (value["candidatesTokenCount"]?.doubleValue ?? 0)
                    + (value["thoughtsTokenCount"]?.doubleValue ?? 0)),
            cachedInputTokens: value["cachedContentTokenCount"]?.intValue ?? 0)
    }

    /// Adds one response chunk (whole response or streamed piece) to `accumulator`; returns its deltas.
    func absorb(_ json: JSONValue, into accumulator: inout StreamAccumulator) throws -> [ChatDelta] {
        if let error = json["error"], error != .null { throw errorFromBody(json, status: nil) }
        if let model = json["modelVersion"]?.stringValue { accumulator.model = model }
        if let usage = Self.usage(json["usageMetadata"]) { accumulator.usage = usage }
        var deltas: [ChatDelta] = []
        guard case .array(let candidates)? = json["candidates"], let candidate = candidates.first else {
            if let blocked = json["promptFeedback"]?["blockReason"]?.stringValue {
                accumulator.finishReason = .contentFilter
                throw ProviderError(
                    code: .contentFiltered, message: "the prompt was blocked (\(blocked))", provider: provider)
            }
            return deltas
        }
        if case .array(let parts)? = candidate["content"]?["parts"] {
            for part in parts {
                Self.record(part, into: &accumulator)
                if part["thought"] == true { continue }
                if let text = part["text"]?.stringValue, let delta = accumulator.appendText(text) {
                    deltas.append(delta)
                }
                if let call = part["functionCall"] {
                    let index = accumulator.toolCallCount
                    deltas.append(
                        accumulator.appendToolCall(
                            index: index, id: call["id"]?.stringValue ?? "call_\(index)",
                            name: call["name"]?.stringValue,
                            arguments: (call["args"] ?? .object(JSONObject())).serialized()))
                }
            }
        }
        if let reason = Self.finishReason(candidate["finishReason"]?.stringValue) { accumulator.finishReason = reason }
        return deltas
    }

    /// Keeps `part` for the turn's echo. Streamed plain text merges into the plain text part before it, so the turn
    /// goes back as the model wrote it rather than in stream-sized pieces; a part carrying a `thoughtSignature` (on a
    /// `functionCall`, or on text when thinking) makes the turn go back verbatim, signatures on the parts they came on.
    static func record(_ part: JSONValue, into accumulator: inout StreamAccumulator) {
        guard case .object(let object) = part else { return }
        if object["thoughtSignature"] != nil { accumulator.echoFormat = echoFormat }
        func isPlainText(_ object: JSONObject) -> Bool {
            object["text"]?.stringValue != nil && object.keys.allSatisfy { $0 == "text" || $0 == "thought" }
        }
        if case .object(var last)? = accumulator.echoItems.last, isPlainText(last), isPlainText(object),
            last["thought"] == object["thought"], let head = last["text"]?.stringValue,
            let tail = object["text"]?.stringValue
        {
            last["text"] = .string(head + tail)
            accumulator.echoItems[accumulator.echoItems.count - 1] = .object(last)
        } else if object.keys != ["text"] || object["text"] != "" {
            accumulator.echoItems.append(part)
        }
    }

    /// Decodes a `GenerateContentResponse`.
    public func parseResponse(_ body: [UInt8], for request: ChatRequest) throws -> ChatResponse {
        var accumulator = StreamAccumulator()
        _ = try absorb(Wire.json(body, provider: provider), into: &accumulator)
        guard accumulator.finishReason != nil || accumulator.toolCallCount > 0 else {
            throw ProviderError(code: .invalidResponse, message: "the response has no candidate", provider: provider)
        }
        return accumulator.response()
    }

    /// A stream decoder.
    public func makeStreamDecoder(for request: ChatRequest) -> StreamDecoder { StreamDecoder(format: self) }

    /// Decodes SSE chunks, each a partial `GenerateContentResponse`.
    public struct StreamDecoder: ChatStreamDecoder {
        let format: GeminiChatFormat
        var accumulator = StreamAccumulator()

        /// SSE.
        public var framing: ServerSentEventParser.Framing { .serverSentEvents }

        /// One chunk.
        public mutating func decode(_ event: ServerSentEvent) throws -> [ChatDelta] {
            try format.absorb(Wire.json(event.data, provider: format.provider), into: &accumulator)
        }

        /// The response once a finish reason has arrived.
        public mutating func finish() throws -> ChatResponse {
            guard accumulator.finishReason != nil else {
                throw ProviderError(
                    code: .streamTruncated, message: "the stream ended before a finish reason",
                    provider: format.provider)
            }
            return accumulator.response()
        }
    }

    func errorFromBody(_ json: JSONValue, status: Int?) -> ProviderError {
        let error = json["error"]
        let message = error?["message"]?.stringValue ?? json.serialized()
        let statusWord = error?["status"]?.stringValue ?? ""
        let httpStatus = status ?? error?["code"]?.intValue
        var code: ProviderError.Code
        switch statusWord {
        case "UNAUTHENTICATED": code = .authentication
        case "PERMISSION_DENIED": code = .permissionDenied
        case "NOT_FOUND": code = .notFound
        case "RESOURCE_EXHAUSTED": code = .rateLimited
        case "UNAVAILABLE": code = .overloaded
        case "DEADLINE_EXCEEDED": code = .timeout
        case "INTERNAL": code = .server
        case "INVALID_ARGUMENT", "FAILED_PRECONDITION":
            code = Wire.mentionsContextLength(message) ? .contextLengthExceeded : .invalidRequest
        default: code = httpStatus.map(Wire.code(forStatus:)) ?? .server
        }
        var retryAfter: Duration?
        if case .array(let details)? = error?["details"] {
            for detail in details {
                if detail["reason"]?.stringValue == "API_KEY_INVALID" { code = .authentication }
                if let delay = detail["retryDelay"]?.stringValue {
                    retryAfter = RetryAfter.parseProtobufDuration(delay)
                }
            }
        }
        return ProviderError(
            status: httpStatus, code: code, message: message, provider: provider, retryAfter: retryAfter)
    }

    /// `{"error": {"code", "message", "status", "details"}}`, with `RetryInfo.retryDelay` honoured.
    public func parseError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> ProviderError {
        var error: ProviderError
        if let json = try? JSONParser.value(body), json["error"] != nil {
            error = errorFromBody(json, status: status)
        } else {
            error = ProviderError(
                status: status, code: Wire.code(forStatus: status), message: Wire.excerpt(body), provider: provider)
        }
        error.isRetryable = Wire.isRetryable(status: status)
        if let header = RetryAfter.parse(headers) { error.retryAfter = header }
        return error
    }
}
