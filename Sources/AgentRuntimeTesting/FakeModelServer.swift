import AgentRuntime
import Foundation

/// Plays an OpenAI-compatible model over real HTTP (on ``LoopbackHTTPServer``),
/// deterministically: a manager offered `delegate_work` delegates once to its
/// first coworker and then summarises; a request for JSON gets a value that
/// matches its schema (guardrail verdicts pass); anything else gets a short
/// text naming the role and task. Latency and streaming are configurable.
public enum FakeModelServer {
    /// Starts a server answering `/v1/chat/completions` after `latency`.
    public static func start(latency: Duration = .zero) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in response(to: request, latency: latency) }
    }

    /// The HTTP response for one request.
    public static func response(
        to request: LoopbackHTTPServer.Request, latency: Duration
    ) -> LoopbackHTTPServer.Response {
        guard request.path.hasSuffix("/chat/completions"), let body = try? JSONParser.value(request.body) else {
            return .init(status: 404, body: #"{"error":{"message":"unknown route","type":"invalid_request_error"}}"#)
        }
        if latency > .zero { Thread.sleep(forTimeInterval: latency.seconds) }
        return reply(answer(body), to: body)
    }

    /// `answer` as a Chat Completions response to `body` (streamed when it asks for a stream).
    public static func reply(_ answer: Answer, to body: JSONValue) -> LoopbackHTTPServer.Response {
        let model = body["model"]?.stringValue ?? "fake"
        let usage: JSONValue = [
            "prompt_tokens": .int(answer.inputTokens), "completion_tokens": .int(answer.outputTokens),
            "total_tokens": .int(answer.inputTokens + answer.outputTokens),
        ]
        guard body["stream"] == true else {
            var message: JSONObject = ["role": "assistant", "content": answer.text.map(JSONValue.string) ?? .null]
            if let call = answer.call {
                message["tool_calls"] = [
                    [
                        "id": "call_1", "type": "function",
                        "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
                    ]
                ]
            }
            let json: JSONValue = [
                "id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": .string(model),
                "choices": [
                    [
                        "index": 0, "message": .object(message),
                        "finish_reason": .string(answer.call == nil ? "stop" : "tool_calls"),
                    ]
                ],
                "usage": usage,
            ]
            return .init(body: json.serialized())
        }
        var steps: [LoopbackHTTPServer.Step] = []
        func chunk(_ delta: JSONValue, finish: String? = nil) -> LoopbackHTTPServer.Step {
            let json: JSONValue = [
                "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": .string(model),
                "choices": [["index": 0, "delta": delta, "finish_reason": finish.map(JSONValue.string) ?? .null]],
            ]
            return .text("data: \(json.serialized())\n\n")
        }
        if let text = answer.text {
            let words = text.split(separator: " ", omittingEmptySubsequences: false)
            let size = max(1, words.count / 8 + 1)
            for start in stride(from: 0, to: words.count, by: size) {
                let piece =
                    words[start..<min(words.count, start + size)].joined(separator: " ")
                    + (start + size < words.count ? " " : "")
                steps.append(chunk(["content": .string(piece)]))
            }
        }
        if let call = answer.call {
            steps.append(
                chunk([
                    "tool_calls": [
                        [
                            "index": 0, "id": "call_1", "type": "function",
                            "function": ["name": .string(call.name), "arguments": ""],
                        ]
                    ]
                ]))
            let middle = call.arguments.index(call.arguments.startIndex, offsetBy: call.arguments.count / 2)
            steps.append(
                chunk([
                    "tool_calls": [["index": 0, "function": ["arguments": .string(String(call.arguments[..<middle]))]]]
                ]))
            steps.append(
                chunk([
                    "tool_calls": [["index": 0, "function": ["arguments": .string(String(call.arguments[middle...]))]]]
                ]))
        }
        steps.append(chunk([:], finish: answer.call == nil ? "stop" : "tool_calls"))
        steps.append(
            .text(
                "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":\(usage.serialized())}\n\ndata: [DONE]\n\n"
            ))
        return .init(steps: steps)
    }

    /// What the fake model says to a Chat Completions body.
    public struct Answer: Sendable {
        /// Text, if any.
        public var text: String?
        /// A tool call, if any.
        public var call: (name: String, arguments: String)?
        /// Reported prompt tokens.
        public var inputTokens: Int
        /// Reported completion tokens.
        public var outputTokens: Int

        /// Creates an answer.
        public init(
            text: String? = nil, call: (name: String, arguments: String)? = nil, inputTokens: Int = 10,
            outputTokens: Int = 5
        ) {
            self.text = text
            self.call = call
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
        }
    }

    /// Decides the answer.
    public static func answer(_ body: JSONValue) -> Answer {
        guard case .array(let messages)? = body["messages"] else {
            return Answer(text: "?", inputTokens: 1, outputTokens: 1)
        }
        let promptCharacters = messages.reduce(0) { $0 + ($1["content"]?.stringValue?.count ?? 0) }
        let toolNames: [String] = {
            if case .array(let tools)? = body["tools"] {
                return tools.compactMap { $0["function"]?["name"]?.stringValue }
            } else {
                return []
            }
        }()
        let toolResults = messages.filter { $0["role"] == "tool" }.compactMap { $0["content"]?.stringValue }
        let system = messages.first { $0["role"] == "system" }?["content"]?.stringValue ?? ""
        let role =
            system.components(separatedBy: "\n").first.map {
                $0.replacingOccurrences(of: "You are ", with: "").trimmingCharacters(
                    in: CharacterSet(charactersIn: "."))
            } ?? "assistant"
        let lastUser = messages.last { $0["role"] == "user" }?["content"]?.stringValue ?? ""
        let taskLine =
            lastUser.components(separatedBy: "\n").first?.replacingOccurrences(of: "Current task: ", with: "") ?? ""
        let schema = body["response_format"]?["json_schema"]?["schema"]

        var text: String?
        var call: (String, String)?
        if toolNames.contains(CrewRunner.delegateToolName), toolResults.isEmpty,
            let coworker = body["tools"].flatMap({ tools -> String? in
                guard case .array(let list) = tools else { return nil }
                return list.first { $0["function"]?["name"] == .string(CrewRunner.delegateToolName) }?["function"]?[
                    "parameters"]?["properties"]?["coworker"]?["enum"].flatMap { value -> String? in
                        if case .array(let names) = value { return names.first?.stringValue } else { return nil }
                    }
            })
        {
            let arguments: JSONValue = [
                "task": .string("Do this part: \(taskLine.prefix(120))"),
                "context": "Everything you need is in the task.", "coworker": .string(coworker),
            ]
            call = (CrewRunner.delegateToolName, arguments.serialized())
        } else if let schema {
            text = example(schema, root: schema).serialized()
        } else if let result = toolResults.last {
            text = "\(role) summary: \(result.prefix(160))"
        } else {
            text = "\(role) answer: \(taskLine.prefix(160))"
        }
        return Answer(
            text: text, call: call.map { (name: $0.0, arguments: $0.1) }, inputTokens: max(1, promptCharacters / 4),
            outputTokens: max(1, ((text ?? call?.1) ?? "").count / 4))
    }

    /// A value matching `schema` (required properties, first enum values, minimal sizes; `passed` is true).
    public static func example(_ schema: JSONValue, root: JSONValue, depth: Int = 0) -> JSONValue {
        guard depth < 12 else { return .null }
        if let reference = schema["$ref"]?.stringValue, reference.hasPrefix("#/") {
            var node = root
            for part in reference.dropFirst(2).split(separator: "/") { node = node[String(part)] ?? .null }
            return example(node, root: root, depth: depth + 1)
        }
        if let constant = schema["const"] { return constant }
        if case .array(let options)? = schema["enum"], let first = options.first { return first }
        if case .array(let options)? = schema["anyOf"] ?? schema["oneOf"], let first = options.first {
            return example(first, root: root, depth: depth + 1)
        }
        let type: String =
            schema["type"]?.stringValue
            ?? {
                if case .array(let types)? = schema["type"] {
                    return types.first?.stringValue ?? "object"
                } else {
                    return schema["properties"] != nil ? "object" : "string"
                }
            }()
        switch type {
        case "object":
            var object = JSONObject()
            let required: [String] = {
                if case .array(let names)? = schema["required"] {
                    return names.compactMap(\.stringValue)
                } else {
                    return []
                }
            }()
            if case .object(let properties)? = schema["properties"] {
                for member in properties where required.contains(member.key) || depth == 0 {
                    object[member.key] =
                        member.key == "passed" ? true : example(member.value, root: root, depth: depth + 1)
                }
            }
            return .object(object)
        case "array":
            let count = Int(schema["minItems"]?.doubleValue ?? 1)
            let items = schema["items"] ?? ["type": "string"]
            return .array(
                (0..<max(count, 1)).map { index in
                    let value = example(items, root: root, depth: depth + 1)
                    if case .string(let text) = value, schema["uniqueItems"] == true {
                        return .string("\(text) \(index + 1)")
                    }
                    return value
                })
        case "integer":
            let minimum = schema["minimum"]?.doubleValue ?? 0
            return .int(Int(max(minimum, min(schema["maximum"]?.doubleValue ?? 50, 50))))
        case "number":
            let minimum = schema["minimum"]?.doubleValue ?? 0
            return .double(max(minimum, min(schema["maximum"]?.doubleValue ?? 50, 50)))
        case "boolean": return true
        case "null": return .null
        default:
            var text = "example"
            if let minimum = schema["minLength"]?.doubleValue, Double(text.count) < minimum {
                text = String(repeating: "x", count: Int(minimum))
            }
            if let format = schema["format"]?.stringValue {
                switch format {
                case "date": text = "2026-01-15"
                case "date-time": text = "2026-01-15T09:00:00Z"
                case "email": text = "person@example.com"
                case "uri", "url": text = "https://example.com"
                default: break
                }
            }
            return .string(text)
        }
    }
}
