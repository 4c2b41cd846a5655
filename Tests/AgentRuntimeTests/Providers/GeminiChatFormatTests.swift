import AgentRuntime
import Foundation
import Testing

/// Replays of the Gemini API wire format (as in Google's API reference).
@Suite("Gemini wire format")
struct GeminiChatFormatTests {
    let format = GeminiChatFormat(apiKey: "AIzaSyA-secret-key-for-tests-000000000")
    let request = ChatRequest(
        model: "gemini-2.5-flash", messages: [.system("Be brief."), .user("Weather in Paris and Oslo?")])

    static let textResponse = """
        {
          "candidates": [
            {
              "content": { "parts": [ { "text": "AI learns patterns from data." } ], "role": "model" },
              "finishReason": "STOP",
              "index": 0
            }
          ],
          "usageMetadata": { "promptTokenCount": 8, "candidatesTokenCount": 6, "totalTokenCount": 54, "cachedContentTokenCount": 4, "thoughtsTokenCount": 40 },
          "modelVersion": "gemini-2.5-flash",
          "responseId": "Bw8MaKGwNJ-C1dkP1Z3X0AQ"
        }
        """

    static let textStream = """
        data: {"candidates": [{"content": {"parts": [{"text": "AI learns "}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8},"modelVersion": "gemini-2.5-flash"}\r
        \r
        data: {"candidates": [{"content": {"parts": [{"text": "patterns from data."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 6,"totalTokenCount": 54,"cachedContentTokenCount": 4,"thoughtsTokenCount": 40},"modelVersion": "gemini-2.5-flash"}\r
        \r

        """

    static let toolStream = """
        data: {"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather","args": {"location": "Paris"}}}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 70,"totalTokenCount": 70},"modelVersion": "gemini-2.5-flash"}

        data: {"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather","args": {"location": "Oslo"}}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 70,"candidatesTokenCount": 30,"totalTokenCount": 100},"modelVersion": "gemini-2.5-flash"}


        """

    static let toolResponse = """
        {"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"location":"Paris"}}},{"functionCall":{"name":"get_weather","args":{"location":"Oslo"}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":70,"candidatesTokenCount":30,"totalTokenCount":100},"modelVersion":"gemini-2.5-flash"}
        """

    @Test("encodes systemInstruction, model turns with functionCall, functionResponse, tools and generationConfig")
    func encodesRequest() throws {
        let request = ChatRequest(
            model: "gemini-2.5-flash",
            messages: [
                .system("Be brief."), .user("Weather?"),
                .assistant(
                    text: nil,
                    toolCalls: [ToolCall(id: "call_0", name: "get_weather", arguments: #"{"location":"Paris"}"#)]),
                .tool(callID: "call_0", name: "get_weather", content: #"{"temp_c":18}"#),
            ],
            tools: [ChatTool(name: "get_weather", description: "Weather", parameters: JSONSchema(["type": "object"]))],
            temperature: 0.3, maxTokens: 500, topP: 0.8, stop: ["END"],
            responseFormat: .jsonSchema(name: "x", schema: JSONSchema(["type": "object"])))
        let http = try format.makeRequest(request, stream: true)
        #expect(
            http.url.absoluteString
                == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        )
        #expect(http.headers["x-goog-api-key"] == "AIzaSyA-secret-key-for-tests-000000000")
        let body = try JSONParser.value(http.body!)
        #expect(body["systemInstruction"] == ["parts": [["text": "Be brief."]]])
        #expect(
            body["contents"] == [
                ["role": "user", "parts": [["text": "Weather?"]]],
                [
                    "role": "model",
                    "parts": [["functionCall": ["name": "get_weather", "args": ["location": "Paris"]]]],
                ],
                [
                    "role": "user",
                    "parts": [["functionResponse": ["name": "get_weather", "response": ["temp_c": 18]]]],
                ],
            ])
        #expect(
            body["tools"] == [
                [
                    "functionDeclarations": [
                        ["name": "get_weather", "description": "Weather", "parametersJsonSchema": ["type": "object"]]
                    ]
                ]
            ])
        #expect(
            body["generationConfig"] == [
                "temperature": 0.3, "maxOutputTokens": 500, "topP": 0.8, "stopSequences": ["END"],
                "responseMimeType": "application/json", "responseJsonSchema": ["type": "object"],
            ])
        let whole = try format.makeRequest(request, stream: false)
        #expect(
            whole.url.absoluteString
                == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent")
    }

    @Test("decodes a text answer; thinking tokens count as output")
    func text() throws {
        let response = try format.parseResponse(Array(Self.textResponse.utf8), for: request)
        #expect(
            response
                == ChatResponse(
                    text: "AI learns patterns from data.", finishReason: .stop,
                    usage: TokenUsage(inputTokens: 8, outputTokens: 46, cachedInputTokens: 4), model: "gemini-2.5-flash"
                ))
    }

    @Test("a streamed text answer equals the non-streamed one, split at every byte")
    func streamedText() async throws {
        let deltas = try await StreamReplay.decodeAtEverySplit(format, request, body: Self.textStream)
        #expect(
            StreamReplay.completed(deltas) == (try format.parseResponse(Array(Self.textResponse.utf8), for: request)))
    }

    @Test("two streamed function calls equal the non-streamed answer")
    func streamedToolCalls() async throws {
        let deltas = try await StreamReplay.decodeAtEverySplit(format, request, body: Self.toolStream)
        let streamed = try #require(StreamReplay.completed(deltas))
        #expect(streamed == (try format.parseResponse(Array(Self.toolResponse.utf8), for: request)))
        #expect(
            streamed.toolCalls == [
                ToolCall(id: "call_0", name: "get_weather", arguments: #"{"location":"Paris"}"#),
                ToolCall(id: "call_1", name: "get_weather", arguments: #"{"location":"Oslo"}"#),
            ])
        #expect(streamed.finishReason == .toolCalls)
    }

    @Test("429 RESOURCE_EXHAUSTED with RetryInfo gives the provider's delay")
    func retryInfo() {
        let body = """
            {"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.", "status": "RESOURCE_EXHAUSTED",
              "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
                {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}
              ]}}
            """
        let error = format.parseError(status: 429, headers: [:], body: Array(body.utf8))
        #expect(error.code == .rateLimited)
        #expect(error.isRetryable)
        #expect(error.retryAfter == .seconds(37))
    }

    @Test("an invalid key (400 API_KEY_INVALID) is an authentication error, not retried")
    func invalidKey() {
        let body =
            #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}"#
        let error = format.parseError(status: 400, headers: [:], body: Array(body.utf8))
        #expect(error.code == .authentication)
        #expect(!error.isRetryable)
    }

    @Test("400 token count over the limit is context_length_exceeded; 503 is overloaded")
    func otherErrors() {
        let context =
            #"{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}"#
        #expect(format.parseError(status: 400, headers: [:], body: Array(context.utf8)).code == .contextLengthExceeded)
        let overloaded =
            #"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#
        let error = format.parseError(status: 503, headers: [:], body: Array(overloaded.utf8))
        #expect(error.code == .overloaded)
        #expect(error.isRetryable)
    }

    @Test("a stream without a finish reason is truncated")
    func truncated() {
        let cut = String(
            Self.textStream.prefix(
                upTo: Self.textStream.range(
                    of: "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"patterns")!.lowerBound))
        #expect(
            throws: ProviderError(
                code: .streamTruncated, message: "the stream ended before a finish reason", provider: "gemini")
        ) {
            _ = try StreamReplay.decode(format, request, chunks: [Array(cut.utf8)])
        }
    }
}
