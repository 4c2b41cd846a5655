import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// Replays of the OpenAI Chat Completions wire format (as in OpenAI's API reference).
@Suite("OpenAI-compatible wire format")
struct OpenAIChatFormatTests {
    static let key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    let format = OpenAIChatFormat(endpoint: .standard(baseURL: URL(string: "https://api.openai.com/v1")!), apiKey: key)
    let request = ChatRequest(
        model: "gpt-4o-mini", messages: [.system("Be brief."), .user("What is the weather in Paris and Oslo?")])

    static let textResponse = """
        {
          "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
          "object": "chat.completion",
          "created": 1741570283,
          "model": "gpt-4o-mini-2024-07-18",
          "choices": [
            {
              "index": 0,
              "message": {
                "role": "assistant",
                "content": "Hello! How can I help you today?",
                "refusal": null,
                "annotations": []
              },
              "logprobs": null,
              "finish_reason": "stop"
            }
          ],
          "usage": {
            "prompt_tokens": 1117,
            "completion_tokens": 9,
            "total_tokens": 1126,
            "prompt_tokens_details": { "cached_tokens": 1024, "audio_tokens": 0 },
            "completion_tokens_details": { "reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0 }
          },
          "service_tier": "default",
          "system_fingerprint": "fp_06737a9306"
        }
        """

    static let textStream = """
        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"Hello! How can I "},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"help you today? Ünïcødé ✓"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":1117,"completion_tokens":9,"total_tokens":1126,"prompt_tokens_details":{"cached_tokens":1024}}}

        data: [DONE]


        """

    static let toolStream = """
        data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}\r
        \r
        data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"lo"}}]},"finish_reason":null}]}\r
        \r
        data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"cation\\": \\"Paris\\"}"}}]},"finish_reason":null}]}\r
        \r
        data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_ABCe9pD3xa9XTPNJ32zg2hcB","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}\r
        \r
        : keep-alive\r
        \r
        data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\\"location\\": "}}]},"finish_reason":null}]}\r
        \r
        data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"\\"Oslo\\"}"}}]},"finish_reason":null}]}\r
        \r
        data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\r
        \r
        data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":82,"completion_tokens":40,"total_tokens":122}}\r
        \r
        data: [DONE]\r
        \r

        """

    static let toolResponse = """
        {"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function","function":{"name":"get_weather","arguments":"{\\"location\\": \\"Paris\\"}"}},{"id":"call_ABCe9pD3xa9XTPNJ32zg2hcB","type":"function","function":{"name":"get_weather","arguments":"{\\"location\\": \\"Oslo\\"}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":82,"completion_tokens":40,"total_tokens":122}}
        """

    @Test("encodes system, user, assistant tool calls, tool results, tools and sampling settings")
    func encodesRequest() throws {
        let request = ChatRequest(
            model: "gpt-4o-mini",
            messages: [
                .system("Be brief."), .user("Weather?"),
                .assistant(
                    text: nil,
                    toolCalls: [ToolCall(id: "call_1", name: "get_weather", arguments: #"{"location":"Paris"}"#)]),
                .tool(callID: "call_1", name: "get_weather", content: "18C"),
            ],
            tools: [
                ChatTool(
                    name: "get_weather", description: "Weather",
                    parameters: .object(["location": ["type": "string"]], required: ["location"]))
            ],
            temperature: 0.2, maxTokens: 300, topP: 0.9, stop: ["END"],
            responseFormat: .jsonSchema(name: "answer", schema: JSONSchema(["type": "object"])))
        let http = try format.makeRequest(request, stream: true)
        #expect(http.url.absoluteString == "https://api.openai.com/v1/chat/completions")
        #expect(http.headers["authorization"] == "Bearer \(Self.key)")
        let body = try JSONParser.value(http.body!)
        #expect(body["model"] == "gpt-4o-mini")
        #expect(
            body["messages"] == [
                ["role": "system", "content": "Be brief."],
                ["role": "user", "content": "Weather?"],
                [
                    "role": "assistant", "content": nil,
                    "tool_calls": [
                        [
                            "id": "call_1", "type": "function",
                            "function": ["name": "get_weather", "arguments": #"{"location":"Paris"}"#],
                        ]
                    ],
                ],
                ["role": "tool", "tool_call_id": "call_1", "content": "18C"],
            ])
        #expect(
            body["tools"]?.serialized()
                == #"[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"],"additionalProperties":false}}}]"#
        )
        #expect(body["temperature"] == 0.2)
        #expect(body["max_tokens"] == 300)
        #expect(body["top_p"] == 0.9)
        #expect(body["stop"] == ["END"])
        #expect(
            body["response_format"] == [
                "type": "json_schema", "json_schema": ["name": "answer", "schema": ["type": "object"]],
            ])
        #expect(body["stream"] == true)
        #expect(body["stream_options"] == ["include_usage": true])
    }

    @Test("Azure: deployment URL with api-version and the api-key header")
    func azure() throws {
        let azure = OpenAIChatFormat(
            provider: "azure",
            endpoint: .azure(endpoint: URL(string: "https://acme.openai.azure.com")!, apiVersion: "2024-10-21"),
            authentication: .apiKeyHeader, apiKey: "azure-key-123456")
        let http = try azure.makeRequest(ChatRequest(model: "gpt4o-prod", messages: [.user("hi")]), stream: false)
        #expect(
            http.url.absoluteString
                == "https://acme.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21"
        )
        #expect(http.headers["api-key"] == "azure-key-123456")
        #expect(http.headers["authorization"] == nil)
    }

    @Test("Ollama and vLLM: a base URL and no key")
    func local() throws {
        let ollama = OpenAIChatFormat(
            provider: "ollama", endpoint: .standard(baseURL: URL(string: "http://127.0.0.1:11434/v1")!),
            authentication: .none, apiKey: nil)
        let http = try ollama.makeRequest(ChatRequest(model: "llama3.2", messages: [.user("hi")]), stream: false)
        #expect(http.url.absoluteString == "http://127.0.0.1:11434/v1/chat/completions")
        #expect(http.headers["authorization"] == nil)
    }

    @Test("decodes a non-streamed text answer with usage and cached tokens")
    func text() throws {
        let response = try format.parseResponse(Array(Self.textResponse.utf8), for: request)
        #expect(
            response
                == ChatResponse(
                    text: "Hello! How can I help you today?", finishReason: .stop,
                    usage: TokenUsage(inputTokens: 1117, outputTokens: 9, cachedInputTokens: 1024),
                    model: "gpt-4o-mini-2024-07-18"))
    }

    @Test("a streamed text answer equals the non-streamed one, split at every byte")
    func streamedText() async throws {
        let deltas = try await StreamReplay.decodeAtEverySplit(format, request, body: Self.textStream)
        #expect(StreamReplay.text(deltas) == "Hello! How can I help you today? Ünïcødé ✓")
        let streamed = try #require(StreamReplay.completed(deltas))
        #expect(streamed.usage == TokenUsage(inputTokens: 1117, outputTokens: 9, cachedInputTokens: 1024))
        #expect(streamed.finishReason == .stop)
        #expect(streamed.model == "gpt-4o-mini-2024-07-18")
    }

    @Test("two streamed tool calls with split arguments assemble like the non-streamed answer")
    func streamedToolCalls() async throws {
        let deltas = try await StreamReplay.decodeAtEverySplit(format, request, body: Self.toolStream)
        let streamed = try #require(StreamReplay.completed(deltas))
        let whole = try format.parseResponse(Array(Self.toolResponse.utf8), for: request)
        #expect(streamed.toolCalls == whole.toolCalls)
        #expect(streamed.finishReason == .toolCalls)
        #expect(streamed.usage == whole.usage)
        #expect(streamed.toolCalls.map(\.arguments) == [#"{"location": "Paris"}"#, #"{"location": "Oslo"}"#])
        #expect(
            deltas.contains(
                .toolCall(index: 1, id: "call_ABCe9pD3xa9XTPNJ32zg2hcB", name: "get_weather", arguments: "")))
    }

    @Test("a stream cut off before [DONE] or a finish reason is stream_truncated")
    func truncated() {
        let cut = String(
            Self.textStream.prefix(
                upTo: Self.textStream.range(
                    of:
                        "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{},"
                )!.lowerBound))
        #expect(
            throws: ProviderError(
                code: .streamTruncated, message: "the stream ended before [DONE] or a finish reason", provider: "openai"
            )
        ) {
            _ = try StreamReplay.decode(format, request, chunks: [Array(cut.utf8)])
        }
    }

    @Test("401: authentication, not retryable, and the key never appears in the message")
    func unauthorized() {
        let body =
            #"{"error":{"message":"Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwxyz0123456789. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#
        let error = format.parseError(status: 401, headers: [:], body: Array(body.utf8))
        #expect(error.code == .authentication)
        #expect(!error.isRetryable)
        #expect(error.status == 401)
    }

    @Test("429 with Retry-After: rate_limited, retryable, with the wait")
    func rateLimited() {
        let body =
            #"{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#
        let error = format.parseError(
            status: 429, headers: ["retry-after": "2", "x-ratelimit-remaining-requests": "0"], body: Array(body.utf8))
        #expect(error.code == .rateLimited)
        #expect(error.isRetryable)
        #expect(error.retryAfter == .seconds(2))
        let precise = format.parseError(
            status: 429, headers: ["retry-after-ms": "120", "retry-after": "1"], body: Array(body.utf8))
        #expect(precise.retryAfter == .milliseconds(120))
    }

    @Test("429 insufficient_quota is not retried")
    func quota() {
        let body =
            #"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#
        let error = format.parseError(status: 429, headers: [:], body: Array(body.utf8))
        #expect(error.code == .quotaExceeded)
        #expect(!error.isRetryable)
    }

    @Test("400 context length exceeded")
    func contextLength() {
        let body =
            #"{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#
        let error = format.parseError(status: 400, headers: [:], body: Array(body.utf8))
        #expect(error.code == .contextLengthExceeded)
        #expect(!error.isRetryable)
    }

    @Test("an error inside the stream ends it with the provider's message")
    func midStreamError() {
        let body =
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\ndata: {\"error\":{\"message\":\"The server had an error processing your request.\",\"type\":\"server_error\",\"code\":null}}\n\n"
        #expect(
            throws: ProviderError(
                code: .server, message: "The server had an error processing your request.", provider: "openai")
        ) {
            _ = try StreamReplay.decode(format, request, chunks: [Array(body.utf8)])
        }
    }
}
