import AgentRuntime
import Foundation
import Testing

/// What providers need back unchanged: Gemini thought signatures and Anthropic thinking blocks, replayed from the
/// formats in the providers' API references, whole and streamed (split at every byte), and sent back on the next turn.
@Suite("Provider echo: thought signatures and thinking blocks")
struct ProviderEchoTests {
    let gemini = GeminiChatFormat(apiKey: "AIzaSyA-secret-key-for-tests-000000000")
    let anthropic = AnthropicChatFormat(apiKey: "sk-ant-test", thinkingBudget: 2048)
    let request = ChatRequest(model: "gemini-3-pro-preview", messages: [.user("Weather in Paris and London?")])

    // Gemini 3 parallel function calls: the signature is on the first functionCall part only.
    static let geminiParallelCalls = """
        {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"location":"Paris"}},"thoughtSignature":"CiUBVKhc7oX5sigA+/="},{"functionCall":{"name":"get_weather","args":{"location":"London"}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":90,"candidatesTokenCount":20,"thoughtsTokenCount":64,"totalTokenCount":174},"modelVersion":"gemini-3-pro-preview"}
        """

    // Streamed: a thought summary, text in two pieces, then the signed call.
    static let geminiStream = """
        data: {"candidates":[{"content":{"role":"model","parts":[{"text":"**Checking the weather**\\nI need Paris.","thought":true}]},"index":0}],"modelVersion":"gemini-3-pro-preview"}

        data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Let me "}]},"index":0}],"modelVersion":"gemini-3-pro-preview"}

        data: {"candidates":[{"content":{"role":"model","parts":[{"text":"check."}]},"index":0}],"modelVersion":"gemini-3-pro-preview"}

        data: {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"location":"Paris"}},"thoughtSignature":"CiUBVKhc7oX5sigB"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":90,"candidatesTokenCount":20,"totalTokenCount":110},"modelVersion":"gemini-3-pro-preview"}


        """

    // Thinking on a plain answer: the signature arrives on a final empty text part.
    static let geminiTextSignatureStream = """
        data: {"candidates":[{"content":{"role":"model","parts":[{"text":"It is 18 °C "}]},"index":0}]}

        data: {"candidates":[{"content":{"role":"model","parts":[{"text":"in Paris."}]},"index":0}]}

        data: {"candidates":[{"content":{"role":"model","parts":[{"text":"","thoughtSignature":"CiUBVKhc7oX5sigC"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":7,"totalTokenCount":16}}


        """

    @Test("a signed Gemini functionCall goes back unchanged on its part in the next request")
    func geminiRoundTrip() throws {
        let response = try gemini.parseResponse(Array(Self.geminiParallelCalls.utf8), for: request)
        #expect(response.toolCalls.map(\.arguments) == [#"{"location":"Paris"}"#, #"{"location":"London"}"#])
        let received = try JSONParser.value(Self.geminiParallelCalls)["candidates"]?[0]?["content"]?["parts"]
        #expect(response.echo == ProviderEcho(format: "gemini", content: try #require(received)))

        let next = ChatRequest(
            model: request.model,
            messages: request.messages + [
                response.message,
                .tool(callID: "call_0", name: "get_weather", content: #"{"temp_c":18}"#, isError: false),
                .tool(callID: "call_1", name: "get_weather", content: #"{"temp_c":14}"#, isError: false),
            ])
        let body = try JSONParser.value(try #require(try gemini.makeRequest(next, stream: false).body))
        #expect(body["contents"]?[1] == ["role": "model", "parts": try #require(received)])
        #expect(body["contents"]?[1]?["parts"]?[0]?["thoughtSignature"] == "CiUBVKhc7oX5sigA+/=")
    }

    @Test("a streamed Gemini turn keeps its thought, merged text and signed call, split at every byte")
    func geminiStream() async throws {
        let deltas = try await StreamReplay.decodeAtEverySplit(gemini, request, body: Self.geminiStream)
        let response = try #require(StreamReplay.completed(deltas))
        #expect(StreamReplay.text(deltas) == "Let me check.")
        #expect(
            response.echo
                == ProviderEcho(
                    format: "gemini",
                    content: [
                        ["text": "**Checking the weather**\nI need Paris.", "thought": true],
                        ["text": "Let me check."],
                        [
                            "functionCall": ["name": "get_weather", "args": ["location": "Paris"]],
                            "thoughtSignature": "CiUBVKhc7oX5sigB",
                        ],
                    ]))
    }

    @Test("a signature on a final empty text part is kept; a turn without signatures has no echo")
    func geminiTextSignature() async throws {
        let deltas = try await StreamReplay.decodeAtEverySplit(gemini, request, body: Self.geminiTextSignatureStream)
        let response = try #require(StreamReplay.completed(deltas))
        #expect(response.text == "It is 18 °C in Paris.")
        #expect(
            response.echo?.content == [
                ["text": "It is 18 °C in Paris."], ["text": "", "thoughtSignature": "CiUBVKhc7oX5sigC"],
            ])
        let unsigned = """
            {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"location":"Oslo"}}}]},"finishReason":"STOP"}]}
            """
        #expect(try gemini.parseResponse(Array(unsigned.utf8), for: request).echo == nil)
    }

    @Test("an echo from another provider is not sent: the turn is rebuilt from its text and calls")
    func foreignEcho() throws {
        let call = ToolCall(id: "toolu_1", name: "get_weather", arguments: #"{"location":"Paris"}"#)
        let echo = ProviderEcho(
            format: "anthropic", content: [["type": "thinking", "thinking": "x", "signature": "s"]])
        let next = ChatRequest(
            model: request.model, messages: [.user("Weather?"), .assistant(text: nil, toolCalls: [call], echo: echo)])
        let body = try JSONParser.value(try #require(try gemini.makeRequest(next, stream: false).body))
        #expect(
            body["contents"]?[1]
                == [
                    "role": "model",
                    "parts": [["functionCall": ["name": "get_weather", "args": ["location": "Paris"]]]],
                ])
    }

    // Anthropic extended thinking with tool use, as in the Messages API reference.
    static let anthropicThinking = """
        {"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"thinking","thinking":"The user wants the weather in Paris. I'll call get_weather.","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},{"type":"text","text":"I'll check the weather."},{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":400,"output_tokens":120}}
        """

    static let anthropicThinkingStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":400,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants the weather in Paris. "}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"I'll call get_weather."}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: content_block_start
        data: {"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"I'll check the weather."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":2}

        event: content_block_start
        data: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\\"location\\": "}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"\\"Paris\\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":3}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":120}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    @Test(
        "thinking on: the body asks for it, leaves out temperature and top_p, and gives the answer room beyond the budget"
    )
    func anthropicThinkingBody() throws {
        let request = ChatRequest(
            model: "claude-sonnet-4-5", messages: [.user("Weather?")], temperature: 0.2, maxTokens: 1000, topP: 0.9)
        let body = try JSONParser.value(try #require(try anthropic.makeRequest(request, stream: false).body))
        #expect(body["thinking"] == ["type": "enabled", "budget_tokens": 2048])
        #expect(body["max_tokens"] == 3048)
        #expect(body["temperature"] == nil && body["top_p"] == nil)
        let off = try JSONParser.value(
            try #require(try AnthropicChatFormat(apiKey: "k").makeRequest(request, stream: false).body))
        #expect(off["thinking"] == nil && off["temperature"] == 0.2 && off["max_tokens"] == 1000)
    }

    @Test("thinking and redacted_thinking blocks go back unchanged, streamed (split at every byte) or not")
    func anthropicRoundTrip() async throws {
        let request = ChatRequest(model: "claude-sonnet-4-5", messages: [.user("Weather in Paris?")])
        let whole = try anthropic.parseResponse(Array(Self.anthropicThinking.utf8), for: request)
        let blocks = try #require(try JSONParser.value(Self.anthropicThinking)["content"])
        #expect(whole.echo == ProviderEcho(format: "anthropic", content: blocks))
        #expect(whole.text == "I'll check the weather.")

        let deltas = try await StreamReplay.decodeAtEverySplit(anthropic, request, body: Self.anthropicThinkingStream)
        let streamed = try #require(StreamReplay.completed(deltas))
        #expect(streamed == whole)

        let next = ChatRequest(
            model: request.model,
            messages: request.messages + [
                streamed.message,
                .tool(callID: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", content: "18 °C", isError: false),
            ])
        let body = try JSONParser.value(try #require(try anthropic.makeRequest(next, stream: false).body))
        #expect(body["messages"]?[1] == ["role": "assistant", "content": blocks])
        #expect(body["messages"]?[2]?["content"]?[0]?["tool_use_id"] == "toolu_01A09q90qw90lq917835lq9")
    }

    @Test("the echo survives the journal: a replayed response sends the same next request")
    func journalKeepsEcho() throws {
        let response = try gemini.parseResponse(Array(Self.geminiParallelCalls.utf8), for: request)
        #expect(ChatResponse(json: response.json) == response)
        #expect(Message.assistant(text: nil, toolCalls: response.toolCalls, echo: response.echo) == response.message)
    }
}
