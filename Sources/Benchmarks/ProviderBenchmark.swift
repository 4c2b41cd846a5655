import AgentRuntime
import Foundation

/// Client overhead per model call, without the network: build the HTTP request,
/// parse a ~2 KB response, and parse a 200-chunk stream, for each wire format.
enum ProviderBenchmark {
    static func run(_ arguments: [String]) throws {
        let options = BenchmarkOptions(arguments)
        let iterations = Int(options.value("--iterations") ?? "") ?? 2000
        let request = sampleRequest()
        print("provider client overhead (\(iterations) iterations each; µs per operation, p50 / p99)")
        try measure(
            "openai",
            OpenAIChatFormat(
                endpoint: .standard(baseURL: URL(string: "https://api.openai.com/v1")!), apiKey: "sk-bench"),
            request, response: openAIResponse(), stream: openAIStream(), iterations: iterations)
        try measure(
            "anthropic", AnthropicChatFormat(apiKey: "sk-ant-bench"), request, response: anthropicResponse(),
            stream: anthropicStream(),
            iterations: iterations)
        try measure(
            "gemini", GeminiChatFormat(apiKey: "AIza-bench"), request, response: geminiResponse(),
            stream: geminiStream(),
            iterations: iterations)
    }

    static func measure<Format: ChatWireFormat>(
        _ name: String, _ format: Format, _ request: ChatRequest, response: String, stream: [String], iterations: Int
    ) throws {
        let responseBytes = Array(response.utf8)
        let chunks = stream.map { Array($0.utf8) }
        var build: [Double] = []
        var parse: [Double] = []
        var streamed: [Double] = []
        let clock = ContinuousClock()
        var sink = 0
        for _ in 0..<iterations {
            build.append(
                clock.measure { sink &+= (try? format.makeRequest(request, stream: true))?.body?.count ?? 0 }
                    .microseconds)
            parse.append(
                clock.measure { sink &+= (try? format.parseResponse(responseBytes, for: request))?.text?.count ?? 0 }
                    .microseconds)
            streamed.append(
                clock.measure {
                    var decoder = format.makeStreamDecoder(for: request)
                    var parser = ServerSentEventParser(framing: decoder.framing)
                    for chunk in chunks {
                        for event in parser.feed(chunk) { sink &+= (try? decoder.decode(event))?.count ?? 0 }
                    }
                    sink &+= (try? decoder.finish())?.text?.count ?? 0
                }.microseconds)
        }
        precondition(sink > 0)
        func stats(_ samples: [Double]) -> String {
            let sorted = samples.sorted()
            return String(
                format: "%7.1f / %7.1f", CatalogBenchmark.percentile(sorted, 0.5),
                CatalogBenchmark.percentile(sorted, 0.99))
        }
        print(
            "\(name.padding(toLength: 10, withPad: " ", startingAt: 0)) build request \(stats(build))   parse \(responseBytes.count) B response \(stats(parse))   parse \(chunks.count)-chunk stream \(stats(streamed))"
        )
    }

    static func sampleRequest() -> ChatRequest {
        let schema = JSONSchema.object(
            ["query": ["type": "string"], "limit": ["type": "integer"]], required: ["query"])
        return ChatRequest(
            model: "bench-model",
            messages: [
                .system(String(repeating: "You are a meticulous marketing analyst. ", count: 20)),
                .user("Summarise last week's traffic and suggest three actions."),
                .assistant(
                    text: nil,
                    toolCalls: [
                        ToolCall(
                            id: "call_1", name: "google_analytics__run_report",
                            arguments: #"{"query":"sessions by source","limit":10}"#)
                    ]),
                .tool(
                    callID: "call_1", name: "google_analytics__run_report",
                    content: String(repeating: "organic,1200;", count: 40)),
                .user("Now draft the summary."),
            ],
            tools: (0..<3).map {
                ChatTool(name: "tool_\($0)", description: "A tool for benchmarking", parameters: schema)
            },
            temperature: 0.3, maxTokens: 800)
    }

    static let paragraph =
        "Organic sessions rose 12% week over week, led by the pricing guide; paid social CPC fell 8% after the creative refresh. "

    static func openAIResponse() -> String {
        #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"\#(String(repeating: paragraph, count: 15))"},"finish_reason":"stop"}],"usage":{"prompt_tokens":900,"completion_tokens":420,"prompt_tokens_details":{"cached_tokens":512}}}"#
    }

    static func openAIStream() -> [String] {
        var chunks = (0..<198).map { index in
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token\(index) \"},\"finish_reason\":null}]}\n\n"
        }
        chunks.append(
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        )
        chunks.append(
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":900,\"completion_tokens\":198}}\n\ndata: [DONE]\n\n")
        return chunks
    }

    static func anthropicResponse() -> String {
        #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"\#(String(repeating: paragraph, count: 15))"}],"stop_reason":"end_turn","usage":{"input_tokens":900,"output_tokens":420}}"#
    }

    static func anthropicStream() -> [String] {
        var chunks = [
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":900,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
        ]
        chunks += (0..<197).map {
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"token\($0) \"}}\n\n"
        }
        chunks.append(
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":197}}\n\n"
        )
        chunks.append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
        return chunks
    }

    static func geminiResponse() -> String {
        #"{"candidates":[{"content":{"parts":[{"text":"\#(String(repeating: paragraph, count: 15))"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":900,"candidatesTokenCount":420},"modelVersion":"gemini-2.5-flash"}"#
    }

    static func geminiStream() -> [String] {
        var chunks = (0..<199).map {
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"token\($0) \"}],\"role\":\"model\"},\"index\":0}],\"modelVersion\":\"gemini-2.5-flash\"}\r\n\r\n"
        }
        chunks.append(
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"end\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":900,\"candidatesTokenCount\":200}}\r\n\r\n"
        )
        return chunks
    }
}

extension Duration {
    var microseconds: Double { milliseconds * 1000 }
}
