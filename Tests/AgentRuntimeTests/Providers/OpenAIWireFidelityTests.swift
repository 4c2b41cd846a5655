import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// What OpenAI, Azure and Groq send beyond the common path, replayed from their API references: refusals, strict
/// schemas, the reasoning models' token field, content filters, Groq's usage and failed tool generations.
@Suite("OpenAI-compatible wire fidelity: refusals, strict schemas, reasoning models, filters, Groq")
struct OpenAIWireFidelityTests {
    let openai = OpenAIChatFormat(
        endpoint: .standard(baseURL: URL(string: "https://api.openai.com/v1")!), apiKey: "sk-test")
    let azure = OpenAIChatFormat(
        provider: "azure",
        endpoint: .azure(endpoint: URL(string: "https://acme.openai.azure.com")!, apiVersion: "2024-10-21"),
        authentication: .apiKeyHeader, apiKey: "azure-key")
    let groq = OpenAIChatFormat(
        provider: "groq", endpoint: .standard(baseURL: URL(string: "https://api.groq.com/openai/v1")!),
        apiKey: "gsk_test")
    let vllm = OpenAIChatFormat(
        provider: "vllm", endpoint: .standard(baseURL: URL(string: "http://10.0.0.7:8000/v1")!), apiKey: nil)

    static let strictSchema = JSONSchema([
        "type": "object",
        "properties": [
            "title": ["type": "string"],
            "tags": ["type": "array", "items": ["type": "string"]],
            "author": [
                "type": "object", "properties": ["name": ["type": "string"]], "required": ["name"],
                "additionalProperties": false,
            ],
            "rating": ["anyOf": [["type": "integer"], ["type": "null"]]],
        ],
        "required": ["title", "tags", "author", "rating"],
        "additionalProperties": false,
    ])

    func body(_ format: OpenAIChatFormat, _ request: ChatRequest) throws -> JSONValue {
        try JSONParser.value(try #require(try format.makeRequest(request, stream: false).body))
    }

    static let refusal = """
        {"id":"chatcmpl-9nYAG9LPNonX8DAyrkwYfemr3C8HC","object":"chat.completion","created":1721596428,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I'm sorry, I cannot assist with that request."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":81,"completion_tokens":11,"total_tokens":92},"system_fingerprint":"fp_3407719c7f"}
        """

    static let refusalStream = """
        data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1721596428,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":""},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1721596428,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"refusal":"I'm sorry, "},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1721596428,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"refusal":"I cannot assist with that request."},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1721596428,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

        data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1721596428,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":81,"completion_tokens":11,"total_tokens":92}}

        data: [DONE]


        """

    @Test("a refusal is its own outcome with the model's words, whole or streamed (split at every byte)")
    func refusal() async throws {
        let request = ChatRequest(model: "gpt-4o", messages: [.user("...")])
        let whole = try openai.parseResponse(Array(Self.refusal.utf8), for: request)
        #expect(whole.refusal == "I'm sorry, I cannot assist with that request.")
        #expect(whole.text == nil)
        #expect(whole.finishReason == .refusal)
        let deltas = try await StreamReplay.decodeAtEverySplit(openai, request, body: Self.refusalStream)
        #expect(StreamReplay.completed(deltas) == whole)
        #expect(StreamReplay.text(deltas).isEmpty)
    }

    @Test("strict: true goes with schemas that meet OpenAI's strict rules, to OpenAI and Azure only")
    func strict() throws {
        let request = ChatRequest(
            model: "gpt-4o", messages: [.user("x")],
            responseFormat: .jsonSchema(name: "post", schema: Self.strictSchema))
        #expect(try body(openai, request)["response_format"]?["json_schema"]?["strict"] == true)
        #expect(try body(azure, request)["response_format"]?["json_schema"]?["strict"] == true)
        #expect(try body(vllm, request)["response_format"]?["json_schema"]?["strict"] == nil)
        #expect(try body(vllm, request)["response_format"]?["json_schema"]?["schema"] == Self.strictSchema.document)

        func loose(_ change: (inout JSONObject) -> Void) throws -> JSONValue? {
            guard case .object(var schema) = Self.strictSchema.document else { return nil }
            change(&schema)
            let request = ChatRequest(
                model: "gpt-4o", messages: [.user("x")],
                responseFormat: .jsonSchema(name: "post", schema: JSONSchema(.object(schema))))
            return try body(openai, request)["response_format"]?["json_schema"]?["strict"]
        }
        #expect(try loose { $0["additionalProperties"] = nil } == nil)
        #expect(try loose { $0["required"] = ["title"] } == nil)
        #expect(
            try loose {
                $0["properties"] = ["title": ["type": "string", "minLength": 3]]
                $0["required"] = ["title"]
            } == nil)
        #expect(
            try loose {
                $0["properties"] = ["title": [:]]
                $0["required"] = ["title"]
            } == nil)
        #expect(
            try loose {
                $0["properties"] = ["title": ["type": "string"]]
                $0["required"] = ["title"]
            } == true)
    }

    @Test(
        "reasoning models get max_completion_tokens and no sampling parameters; others max_tokens; the setting wins",
        arguments: [
            ("o3-mini", true), ("o1", true), ("o4-mini-2025-04-16", true), ("gpt-5", true), ("gpt-5-mini", true),
            ("openai/gpt-5-nano", true), ("gpt-4o", false), ("gpt-4.1-mini", false), ("gpt-5-chat-latest", false),
            ("omni-moderation", false), ("llama-3.3-70b-versatile", false),
        ])
    func tokenField(model: String, reasoning: Bool) throws {
        let request = ChatRequest(model: model, messages: [.user("x")], temperature: 0.7, maxTokens: 300, topP: 0.9)
        let sent = try body(openai, request)
        #expect(sent[reasoning ? "max_completion_tokens" : "max_tokens"] == 300)
        #expect(sent[reasoning ? "max_tokens" : "max_completion_tokens"] == nil)
        #expect((sent["temperature"] == nil) == reasoning)
        #expect((sent["top_p"] == nil) == reasoning)
        let pinned = OpenAIChatFormat(
            endpoint: .standard(baseURL: URL(string: "https://api.openai.com/v1")!), apiKey: "k",
            maxTokensField: "max_tokens")
        #expect(try body(pinned, request)["max_tokens"] == 300)
    }

    static let azureFilter = """
        {"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"severity":"safe"},"jailbreak":{"filtered":false,"detected":false},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"medium"}}}}}
        """

    @Test("Azure's content-filter 400 is content_filtered, naming the flagged category, and is not retried")
    func azureContentFilter() {
        let error = azure.parseError(status: 400, headers: [:], body: Array(Self.azureFilter.utf8))
        #expect(error.code == .contentFiltered)
        #expect(!error.isRetryable)
        #expect(error.message.hasSuffix("[filtered: violence (medium)]"))
        #expect(error.message.hasPrefix("The response was filtered due to the prompt"))
    }

    @Test("finish_reason content_filter is reported as such, whole and streamed")
    func finishContentFilter() async throws {
        let request = ChatRequest(model: "gpt-4o", messages: [.user("x")])
        let body = """
            {"id":"chatcmpl-2","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Here is how to"},"finish_reason":"content_filter","content_filter_results":{"violence":{"filtered":true,"severity":"high"}}}],"usage":{"prompt_tokens":20,"completion_tokens":4,"total_tokens":24}}
            """
        #expect(try azure.parseResponse(Array(body.utf8), for: request).finishReason == .contentFilter)
        let stream = """
            data: {"id":"chatcmpl-2","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Here is how to"},"finish_reason":null}]}

            data: {"id":"chatcmpl-2","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"content_filter","content_filter_results":{"violence":{"filtered":true,"severity":"high"}}}]}

            data: [DONE]


            """
        let deltas = try await StreamReplay.decodeAtEverySplit(azure, request, body: stream)
        #expect(StreamReplay.completed(deltas)?.finishReason == .contentFilter)
    }

    // Groq: usage on the last chunk under x_groq, as Groq's API reference shows.
    static let groqStream = """
        data: {"id":"chatcmpl-c9a1","object":"chat.completion.chunk","created":1733000000,"model":"llama-3.3-70b-versatile","system_fingerprint":"fp_c0cfa69934","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"x_groq":{"id":"req_01jdq5q0mfezk8d3ebv6y5j7yq"}}

        data: {"id":"chatcmpl-c9a1","object":"chat.completion.chunk","created":1733000000,"model":"llama-3.3-70b-versatile","system_fingerprint":"fp_c0cfa69934","choices":[{"index":0,"delta":{"content":"Fast inference"},"logprobs":null,"finish_reason":null}]}

        data: {"id":"chatcmpl-c9a1","object":"chat.completion.chunk","created":1733000000,"model":"llama-3.3-70b-versatile","system_fingerprint":"fp_c0cfa69934","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"x_groq":{"id":"req_01jdq5q0mfezk8d3ebv6y5j7yq","usage":{"queue_time":0.017,"prompt_tokens":24,"prompt_time":0.0021,"completion_tokens":9,"completion_time":0.0164,"total_tokens":33,"total_time":0.0185}}}

        data: [DONE]


        """

    @Test("a Groq stream's usage comes from x_groq.usage, split at every byte")
    func groqUsage() async throws {
        let request = ChatRequest(model: "llama-3.3-70b-versatile", messages: [.user("Why fast?")])
        let deltas = try await StreamReplay.decodeAtEverySplit(groq, request, body: Self.groqStream)
        let response = try #require(StreamReplay.completed(deltas))
        #expect(response.usage == TokenUsage(inputTokens: 24, outputTokens: 9))
        #expect(response.text == "Fast inference")
    }

    @Test("a stream that ends with no usage at all is estimated and marked so, never booked as zero")
    func estimatedUsage() async throws {
        let request = ChatRequest(
            model: "llama-3.3-70b-versatile", messages: [.user(String(repeating: "word ", count: 80))])
        let stream = Self.groqStream.replacingOccurrences(
            of:
                #","usage":{"queue_time":0.017,"prompt_tokens":24,"prompt_time":0.0021,"completion_tokens":9,"completion_time":0.0164,"total_tokens":33,"total_time":0.0185}"#,
            with: "")
        let transport = ReplayTransport([ReplayTransport.Reply(chunks: [Array(stream.utf8)])])
        let model = HTTPChatModel(format: groq, transport: transport)
        let response = try await model.stream(request) { _ in }
        #expect(response.usage == TokenUsage(inputTokens: 100, outputTokens: 4, isEstimated: true))
        #expect(response.json["usage"]?["estimated"] == true)

        let reported = ReplayTransport([ReplayTransport.Reply(chunks: [Array(Self.groqStream.utf8)])])
        let booked = try await HTTPChatModel(format: groq, transport: reported).stream(request) { _ in }
        #expect(!booked.usage.isEstimated && booked.usage.inputTokens == 24)
    }

    static let toolUseFailed = """
        {"error":{"message":"Failed to call a function. Please adjust your prompt. See 'failed_generation' for more details.","type":"invalid_request_error","code":"tool_use_failed","failed_generation":"<function=get_weather{\\"location\\": \\"Paris\\"}</function>"}}
        """

    @Test("Groq's tool_use_failed shows the failed generation and may be tried again")
    func groqToolUseFailed() {
        let error = groq.parseError(status: 400, headers: [:], body: Array(Self.toolUseFailed.utf8))
        #expect(error.code == .invalidRequest)
        #expect(error.isRetryable)
        #expect(
            error.message
                == #"Failed to call a function. Please adjust your prompt. See 'failed_generation' for more details. failed_generation: <function=get_weather{"location": "Paris"}</function>"#
        )
        let inStream = "data: " + Self.toolUseFailed.trimmingCharacters(in: .whitespacesAndNewlines) + "\n\n"
        #expect(throws: ProviderError.self) {
            _ = try StreamReplay.decode(groq, ChatRequest(model: "m", messages: []), chunks: [Array(inStream.utf8)])
        }
    }
}
