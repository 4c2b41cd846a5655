import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// Replays of Ollama's native chat API (`/api/chat`, as in Ollama's API reference): NDJSON streams, tool calls with
/// object arguments, usage counts on the last line, errors as a line.
@Suite("Ollama native wire format")
struct OllamaChatFormatTests {
    let format = OllamaChatFormat(baseURL: URL(string: "http://127.0.0.1:11434")!)
    let request = ChatRequest(
        model: "llama3.2", messages: [.system("Be brief."), .user("What is the weather today in Paris?")],
        tools: [
            ChatTool(
                name: "get_current_weather", description: "Get the current weather for a location",
                parameters: JSONSchema([
                    "type": "object",
                    "properties": ["location": ["type": "string"], "format": ["type": "string"]],
                    "required": ["location", "format"],
                ]))
        ])

    static let toolStream = """
        {"model":"llama3.2","created_at":"2024-07-22T20:33:28.123648Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_current_weather","arguments":{"format":"celsius","location":"Paris, FR"}}}]},"done":false}
        {"model":"llama3.2","created_at":"2024-07-22T20:33:28.134521Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":885095291,"load_duration":3753500,"prompt_eval_count":122,"prompt_eval_duration":328493000,"eval_count":33,"eval_duration":552222000}

        """

    static let toolResponse = """
        {"model":"llama3.2","created_at":"2024-07-22T20:33:28.123648Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_current_weather","arguments":{"format":"celsius","location":"Paris, FR"}}}]},"done_reason":"stop","done":true,"total_duration":885095291,"load_duration":3753500,"prompt_eval_count":122,"prompt_eval_duration":328493000,"eval_count":33,"eval_duration":552222000}
        """

    static let textStream = """
        {"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"The"},"done":false}
        {"model":"llama3.2","created_at":"2023-08-04T08:52:19.405406455-07:00","message":{"role":"assistant","content":" sky is blue."},"done":false}
        {"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,"prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}

        """

    @Test("encodes /api/chat: tools, options, format, object arguments and tool results by name")
    func encodesRequest() throws {
        var request = self.request
        request.messages += [
            .assistant(
                text: nil,
                toolCalls: [
                    ToolCall(id: "call_0", name: "get_current_weather", arguments: #"{"location":"Paris, FR"}"#)
                ]),
            .tool(callID: "call_0", name: "get_current_weather", content: "22 °C", isError: false),
        ]
        request.temperature = 0.2
        request.maxTokens = 300
        request.stop = ["END"]
        request.responseFormat = .jsonSchema(name: "weather", schema: JSONSchema(["type": "object"]))
        let http = try format.makeRequest(request, stream: true)
        #expect(http.url.absoluteString == "http://127.0.0.1:11434/api/chat")
        #expect(http.headers["authorization"] == nil)
        let body = try JSONParser.value(try #require(http.body))
        #expect(body["stream"] == true)
        #expect(body["options"] == ["temperature": 0.2, "num_predict": 300, "stop": ["END"]])
        #expect(body["format"] == ["type": "object"])
        #expect(body["tools"]?[0]?["function"]?["name"] == "get_current_weather")
        #expect(
            body["messages"]?[2]
                == [
                    "role": "assistant", "content": "",
                    "tool_calls": [
                        ["function": ["name": "get_current_weather", "arguments": ["location": "Paris, FR"]]]
                    ],
                ])
        #expect(body["messages"]?[3] == ["role": "tool", "content": "22 °C", "tool_name": "get_current_weather"])
        #expect(
            try JSONParser.value(try #require(try format.makeRequest(request, stream: false).body))["stream"] == false)
    }

    @Test("a streamed tool call, split at every byte, equals the non-streamed answer, with usage from the counts")
    func streamedToolCall() async throws {
        let deltas = try await StreamReplay.decodeAtEverySplit(format, request, body: Self.toolStream)
        let streamed = try #require(StreamReplay.completed(deltas))
        #expect(streamed == (try format.parseResponse(Array(Self.toolResponse.utf8), for: request)))
        #expect(
            streamed.toolCalls == [
                ToolCall(
                    id: "call_0", name: "get_current_weather",
                    arguments: #"{"format":"celsius","location":"Paris, FR"}"#)
            ])
        #expect(streamed.finishReason == .toolCalls)
        #expect(streamed.usage == TokenUsage(inputTokens: 122, outputTokens: 33))
    }

    @Test("streamed text arrives piece by piece; the last line ends it")
    func streamedText() async throws {
        let deltas = try await StreamReplay.decodeAtEverySplit(format, request, body: Self.textStream)
        #expect(deltas.prefix(2) == [.text("The"), .text(" sky is blue.")])
        let response = try #require(StreamReplay.completed(deltas))
        #expect(response.text == "The sky is blue.")
        #expect(response.usage == TokenUsage(inputTokens: 26, outputTokens: 282))
        #expect(response.model == "llama3.2")
    }

    @Test("an error line mid-stream fails the stream with Ollama's message; a stream without done is truncated")
    func errors() throws {
        let failing = """
            {"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"The"},"done":false}
            {"error":"an error was encountered while running the model: unexpected EOF"}

            """
        #expect(
            throws: ProviderError(
                code: .server, message: "an error was encountered while running the model: unexpected EOF",
                provider: "ollama")
        ) { _ = try StreamReplay.decode(format, request, chunks: [Array(failing.utf8)]) }
        let cut = String(Self.textStream.split(separator: "\n")[0]) + "\n"
        #expect(throws: ProviderError.self) {
            _ = try StreamReplay.decode(format, request, chunks: [Array(cut.utf8)])
        }
        let missing = format.parseError(
            status: 404, headers: [:],
            body: Array(#"{"error":"model \"llama9\" not found, try pulling it first"}"#.utf8))
        #expect(missing.code == .notFound)
        #expect(missing.message == #"model "llama9" not found, try pulling it first"#)
    }

    @Test("kind ollama in the configuration and OLLAMA_HOST speak /api/chat; /v1 stays with kind openai")
    func configured() async throws {
        let transport = ReplayTransport([ReplayTransport.Reply(body: Self.toolResponse)])
        let config = RuntimeConfig.fromEnvironment(["OLLAMA_HOST": "127.0.0.1:11500"])
        let registry = ProviderRegistry(config: config, transport: transport, environment: [:])
        let resolved = try await registry.resolve(ModelReference(provider: "ollama", model: "llama3.2"))
        #expect(try await resolved.model.complete(request).toolCalls.count == 1)
        #expect(transport.requests.first?.url.absoluteString == "http://127.0.0.1:11500/api/chat")
    }
}
