/// Canonical JSON of requests and responses: how model exchanges are recorded,
/// compared (an unchanged prompt has an identical canonical request) and replayed.
extension ChatRequest {
    /// Everything that determines the answer (the deadline excluded), with sorted keys when serialised.
    public var canonicalJSON: JSONValue {
        var object: JSONObject = [
            "model": .string(model), "messages": .array(messages.map(\.json)),
            "tools": .array(
                tools.map {
                    [
                        "name": .string($0.name), "description": .string($0.description),
                        "parameters": $0.parameters.document,
                    ]
                }),
            "stop": .array(stop.map { .string($0) }),
        ]
        if let temperature { object["temperature"] = .double(temperature) }
        if let maxTokens { object["max_tokens"] = .int(maxTokens) }
        if let topP { object["top_p"] = .double(topP) }
        if case .jsonSchema(let name, let schema) = responseFormat {
            object["response_format"] = ["name": .string(name), "schema": schema.document]
        }
        if let toolChoice { object["tool_choice"] = .string(toolChoice.description) }
        return .object(object)
    }

    /// The canonical request as text (sorted keys), the key for replay.
    public var fingerprint: String { canonicalJSON.serialized(sortedKeys: true) }
}

extension Message {
    /// The message as JSON.
    public var json: JSONValue {
        switch self {
        case .system(let text): return ["role": "system", "content": .string(text)]
        case .user(let text): return ["role": "user", "content": .string(text)]
        case .assistant(let text, let calls, let echo):
            var object: JSONObject = [
                "role": "assistant", "content": text.map(JSONValue.string) ?? .null,
                "tool_calls": .array(
                    calls.map { ["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)] }),
            ]
            if let echo { object["echo"] = echo.json }
            return .object(object)
        case .tool(let id, let name, let content, let isError):
            return [
                "role": "tool", "call_id": .string(id), "name": .string(name), "content": .string(content),
                "is_error": .bool(isError),
            ]
        }
    }
}

extension ChatResponse {
    /// The response as JSON.
    public var json: JSONValue {
        var usage: JSONObject = [
            "input_tokens": .int(self.usage.inputTokens), "output_tokens": .int(self.usage.outputTokens),
            "cached_input_tokens": .int(self.usage.cachedInputTokens),
        ]
        if self.usage.isEstimated { usage["estimated"] = true }
        var object: JSONObject = [
            "text": text.map(JSONValue.string) ?? .null,
            "tool_calls": .array(
                toolCalls.map { ["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)] }),
            "finish_reason": .string(finishReason.description), "model": model.map(JSONValue.string) ?? .null,
            "usage": .object(usage),
        ]
        if let echo { object["echo"] = echo.json }
        if let refusal { object["refusal"] = .string(refusal) }
        if let servedBy { object["served_by"] = .string(servedBy.description) }
        return .object(object)
    }

    /// Decodes ``json``.
    public init?(json: JSONValue) {
        guard case .object = json else { return nil }
        var calls: [ToolCall] = []
        if case .array(let items)? = json["tool_calls"] {
            calls = items.map {
                ToolCall(
                    id: $0["id"]?.stringValue ?? "", name: $0["name"]?.stringValue ?? "",
                    arguments: $0["arguments"]?.stringValue ?? "{}")
            }
        }
        let reason: FinishReason
        switch json["finish_reason"]?.stringValue ?? "stop" {
        case "stop": reason = .stop
        case "length": reason = .length
        case "tool_calls": reason = .toolCalls
        case "content_filter": reason = .contentFilter
        case "refusal": reason = .refusal
        case let other: reason = .other(other)
        }
        let usage = json["usage"]
        self.init(
            text: json["text"]?.stringValue, toolCalls: calls, finishReason: reason,
            usage: TokenUsage(
                inputTokens: usage?["input_tokens"]?.intValue ?? 0,
                outputTokens: usage?["output_tokens"]?.intValue ?? 0,
                cachedInputTokens: usage?["cached_input_tokens"]?.intValue ?? 0,
                isEstimated: usage?["estimated"] == true),
            model: json["model"]?.stringValue, echo: ProviderEcho(json: json["echo"]),
            refusal: json["refusal"]?.stringValue)
        servedBy = json["served_by"]?.stringValue.flatMap(ModelReference.init(parsing:))
    }
}
