import AgentRuntime
import Foundation
import Testing

/// Replays of the Anthropic Messages wire format (as in Anthropic's API reference).
@Suite("Anthropic wire format")
struct AnthropicChatFormatTests {
    let format = AnthropicChatFormat(apiKey: "sk-ant-api03-secretsecretsecret")
    let request = ChatRequest(
        model: "claude-sonnet-4-5", messages: [.system("Be brief."), .user("Weather in Paris and Oslo?")])

    static let textResponse = """
        {"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hi! My name is Claude."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":1800,"output_tokens":503}}
        """

    static let textStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":1800,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi! My name "}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"is Claude."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":503}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    static let toolStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking both cities."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"location\\": \\"Pa"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ris\\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: content_block_start
        data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_02Ab","name":"get_weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\\"location\\":"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":" \\"Oslo\\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":2}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    static let toolResponse = """
        {"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Checking both cities."},{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{"location":"Paris"}},{"type":"tool_use","id":"toolu_02Ab","name":"get_weather","input":{"location":"Oslo"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":89}}
        """

    @Test("encodes system separately, tool_use and tool_result blocks, merged turns and headers")
    func encodesRequest() throws {
        let request = ChatRequest(
            model: "claude-sonnet-4-5",
            messages: [
                .system("Be brief."), .user("Weather?"),
                .assistant(
                    text: "Looking.",
                    toolCalls: [
                        ToolCall(id: "toolu_1", name: "get_weather", arguments: #"{"location":"Paris"}"#),
                        ToolCall(id: "toolu_2", name: "get_weather", arguments: #"{"location":"Oslo"}"#),
                    ]),
                .tool(callID: "toolu_1", name: "get_weather", content: "18C"),
                .tool(callID: "toolu_2", name: "get_weather", content: "unknown city", isError: true),
            ],
            tools: [ChatTool(name: "get_weather", description: "Weather", parameters: JSONSchema(["type": "object"]))],
            temperature: 1.4, topP: 0.9, stop: ["END"])
        let http = try format.makeRequest(request, stream: true)
        #expect(http.url.absoluteString == "https://api.anthropic.com/v1/messages")
        #expect(http.headers["x-api-key"] == "sk-ant-api03-secretsecretsecret")
        #expect(http.headers["anthropic-version"] == "2023-06-01")
        let body = try JSONParser.value(http.body!)
        #expect(body["system"] == "Be brief.")
        #expect(body["max_tokens"] == 4096)
        #expect(body["temperature"] == 1.0)
        #expect(body["stop_sequences"] == ["END"])
        #expect(body["stream"] == true)
        #expect(
            body["tools"] == [["name": "get_weather", "description": "Weather", "input_schema": ["type": "object"]]])
        #expect(
            body["messages"] == [
                ["role": "user", "content": [["type": "text", "text": "Weather?"]]],
                [
                    "role": "assistant",
                    "content": [
                        ["type": "text", "text": "Looking."],
                        ["type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": ["location": "Paris"]],
                        ["type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": ["location": "Oslo"]],
                    ],
                ],
                [
                    "role": "user",
                    "content": [
                        ["type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"],
                        ["type": "tool_result", "tool_use_id": "toolu_2", "content": "unknown city", "is_error": true],
                    ],
                ],
            ])
    }

    @Test("decodes a text answer; cache reads count as cached input")
    func text() throws {
        let response = try format.parseResponse(Array(Self.textResponse.utf8), for: request)
        #expect(
            response
                == ChatResponse(
                    text: "Hi! My name is Claude.", finishReason: .stop,
                    usage: TokenUsage(inputTokens: 3895, outputTokens: 503, cachedInputTokens: 1800),
                    model: "claude-sonnet-4-5-20250929"))
    }

    @Test("a streamed text answer (with pings) equals the non-streamed one, split at every byte")
    func streamedText() async throws {
        let deltas = try await StreamReplay.decodeAtEverySplit(format, request, body: Self.textStream)
        #expect(
            StreamReplay.completed(deltas) == (try format.parseResponse(Array(Self.textResponse.utf8), for: request)))
        #expect(deltas.filter { if case .text = $0 { true } else { false } }.count == 2)
    }

    @Test("two streamed tool_use blocks with split input JSON equal the non-streamed answer")
    func streamedToolCalls() async throws {
        let deltas = try await StreamReplay.decodeAtEverySplit(format, request, body: Self.toolStream)
        let streamed = try #require(StreamReplay.completed(deltas))
        let whole = try format.parseResponse(Array(Self.toolResponse.utf8), for: request)
        #expect(streamed == whole)
        #expect(
            streamed.toolCalls == [
                ToolCall(
                    id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", arguments: #"{"location":"Paris"}"#),
                ToolCall(id: "toolu_02Ab", name: "get_weather", arguments: #"{"location":"Oslo"}"#),
            ])
        #expect(streamed.finishReason == .toolCalls)
    }

    @Test("structured output forces a tool and returns its input as the text")
    func structuredOutput() async throws {
        let schema = JSONSchema(["type": "object", "properties": ["score": ["type": "integer"]], "required": ["score"]])
        let request = ChatRequest(
            model: "claude-sonnet-4-5", messages: [.user("Score it")],
            responseFormat: .jsonSchema(name: "lead score", schema: schema))
        let body = try JSONParser.value(try format.makeRequest(request, stream: false).body!)
        #expect(body["tool_choice"] == ["type": "tool", "name": "lead_score"])
        #expect(body["tools"]?.serialized().contains(#""input_schema":{"type":"object""#) == true)
        let whole =
            #"{"id":"m","type":"message","role":"assistant","model":"c","content":[{"type":"tool_use","id":"t","name":"lead_score","input":{"score":87}}],"stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":5}}"#
        let response = try format.parseResponse(Array(whole.utf8), for: request)
        #expect(response.text == #"{"score":87}"#)
        #expect(response.toolCalls.isEmpty)
        #expect(response.finishReason == .stop)
        let stream = """
            event: message_start\ndata: {"type":"message_start","message":{"model":"c","usage":{"input_tokens":10,"output_tokens":1}}}\n
            event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"lead_score","input":{}}}\n
            event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"score\\": 8"}}\n
            event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"7}"}}\n
            event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":5}}\n
            event: message_stop\ndata: {"type":"message_stop"}\n\n
            """
        let streamed = try await StreamReplay.completed(StreamReplay.decodeAtEverySplit(format, request, body: stream))
        #expect(streamed == response)
    }

    @Test("529 overloaded is retryable")
    func overloaded() {
        let body =
            #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#
        let error = format.parseError(status: 529, headers: [:], body: Array(body.utf8))
        #expect(error.code == .overloaded)
        #expect(error.isRetryable)
        #expect(error.message == "Overloaded")
    }

    @Test("401 authentication_error and 429 with retry-after")
    func authAndRateLimit() {
        let auth = format.parseError(
            status: 401, headers: [:],
            body: Array(#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#.utf8)
        )
        #expect(auth.code == .authentication)
        #expect(!auth.isRetryable)
        let limited = format.parseError(
            status: 429, headers: ["retry-after": "17", "anthropic-ratelimit-requests-remaining": "0"],
            body: Array(
                #"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#
                    .utf8))
        #expect(limited.code == .rateLimited)
        #expect(limited.retryAfter == .seconds(17))
    }

    @Test("400 prompt too long is context_length_exceeded")
    func contextLength() {
        let body =
            #"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}"#
        let error = format.parseError(status: 400, headers: [:], body: Array(body.utf8))
        #expect(error.code == .contextLengthExceeded)
        #expect(!error.isRetryable)
    }

    @Test("a mid-stream error event ends the stream as overloaded")
    func midStreamError() {
        let body = """
            event: message_start\ndata: {"type":"message_start","message":{"model":"c","usage":{"input_tokens":10,"output_tokens":1}}}\n
            event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n
            event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n
            event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n
            """
        #expect(throws: ProviderError(code: .overloaded, message: "Overloaded", provider: "anthropic")) {
            _ = try StreamReplay.decode(format, request, chunks: [Array(body.utf8)])
        }
    }

    @Test("a stream without message_stop is truncated")
    func truncated() {
        let cut = String(Self.textStream.prefix(upTo: Self.textStream.range(of: "event: message_stop")!.lowerBound))
        #expect(throws: ProviderError.self) { _ = try StreamReplay.decode(format, request, chunks: [Array(cut.utf8)]) }
    }
}
