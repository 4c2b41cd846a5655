import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// The engine with real wire formats over a replayed transport: what the provider needs back reaches the next
/// request, and refusals and content filters end a task as themselves.
@Suite("Engine: provider outcomes over real wire formats")
struct ProviderOutcomeTests {
    typealias F = EngineFixtures

    private func runner(_ model: any ChatModel, streaming: Bool) -> CrewRunner {
        CrewRunner(
            environment: EngineEnvironment(
                models: ScriptedModelResolver(model), tools: ToolRegistry([F.calculator]), streaming: streaming))
    }

    private func crew(schema: JSONSchema? = nil) -> CrewDefinition {
        CrewDefinition(
            id: "solo", name: "Solo", process: .sequential, agents: [F.researcher.id],
            tasks: [
                CrewTask(
                    id: "work", description: "Compute 6*7", expectedOutput: "A number", agent: F.researcher.id,
                    outputSchema: schema)
            ])
    }

    static let signedCall = """
        {"candidates":[{"content":{"role":"model","parts":[{"text":"I'll compute it.","thought":true},{"functionCall":{"name":"calculator-evaluate","args":{"expression":"6*7"}},"thoughtSignature":"CiUBVKhc7oX5-signed"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":50,"candidatesTokenCount":10,"totalTokenCount":60}}
        """
    static let answer = """
        {"candidates":[{"content":{"role":"model","parts":[{"text":"42"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":70,"candidatesTokenCount":1,"totalTokenCount":71}}
        """

    @Test("a Gemini tool round trip sends the thought signature back on its part", arguments: [false, true])
    func geminiSignature(streaming: Bool) async throws {
        func reply(_ body: String) -> ReplayTransport.Reply {
            streaming
                ? ReplayTransport.Reply(chunks: [
                    Array("data: \(body.trimmingCharacters(in: .whitespacesAndNewlines))\n\n".utf8)
                ])
                : ReplayTransport.Reply(body: body)
        }
        let transport = ReplayTransport([reply(Self.signedCall), reply(Self.answer)])
        let model = HTTPChatModel(format: GeminiChatFormat(apiKey: "AIza-test"), transport: transport)
        let result = try await runner(model, streaming: streaming).run(
            crew(), inputs: [:], principal: .local(), agents: F.lookup([F.researcher]), sink: RecordingEventSink())
        #expect(result.status == .succeeded)
        #expect(result.output == "42")
        let second = try JSONParser.value(try #require(transport.requests.last?.body))
        let modelTurn = try #require(second["contents"]?.arrayValue?.first { $0["role"] == "model" })
        let sent = try JSONParser.value(Self.signedCall)["candidates"]?[0]?["content"]?["parts"]
        #expect(modelTurn["parts"] == sent)
    }

    @Test("a streamed Groq answer books the usage Groq reports in x_groq, and its cost")
    func groqUsageBooked() async throws {
        let transport = ReplayTransport([
            ReplayTransport.Reply(chunks: [Array(OpenAIWireFidelityTests.groqStream.utf8)])
        ])
        let model = HTTPChatModel(
            format: OpenAIChatFormat(
                provider: "groq", endpoint: .standard(baseURL: URL(string: "https://api.groq.com/openai/v1")!),
                apiKey: "gsk_test"),
            transport: transport)
        let sink = RecordingEventSink()
        let result = try await runner(model, streaming: true).run(
            crew(), inputs: [:], principal: .local(), agents: F.lookup([F.researcher]), sink: sink)
        #expect(result.output == "Fast inference")
        #expect(result.usage == TokenUsage(inputTokens: 24, outputTokens: 9))
        #expect(result.costUSD > 0)
    }

    static let refusal = """
        {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I'm sorry, I cannot assist with that request."},"finish_reason":"stop"}],"usage":{"prompt_tokens":81,"completion_tokens":11,"total_tokens":92}}
        """

    @Test("a refusal under a JSON schema ends the task as refused with the model's words, without output retries")
    func refused() async throws {
        let transport = ReplayTransport([
            ReplayTransport.Reply(body: Self.refusal), ReplayTransport.Reply(body: Self.refusal),
        ])
        let model = HTTPChatModel(
            format: OpenAIChatFormat(
                endpoint: .standard(baseURL: URL(string: "https://api.openai.com/v1")!), apiKey: "sk-test"),
            transport: transport)
        let schema = JSONSchema([
            "type": "object", "properties": ["value": ["type": "integer"]], "required": ["value"],
            "additionalProperties": false,
        ])
        let result = try await runner(model, streaming: false).run(
            crew(schema: schema), inputs: [:], principal: .local(), agents: F.lookup([F.researcher]),
            sink: RecordingEventSink())
        #expect(result.status == .failed)
        #expect(result.error == .refused(task: "work", message: "I'm sorry, I cannot assist with that request."))
        #expect(result.error?.code == "refused")
        #expect(transport.requests.count == 1)
        #expect(result.usage.inputTokens == 81)
        let sent = try JSONParser.value(try #require(transport.requests.first?.body))
        #expect(sent["response_format"]?["json_schema"]?["strict"] == true)
    }

    @Test("an answer stopped by the content filter fails as model_content_filtered")
    func contentFiltered() async throws {
        let filtered = """
            {"id":"chatcmpl-2","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Here is how to"},"finish_reason":"content_filter"}],"usage":{"prompt_tokens":20,"completion_tokens":4,"total_tokens":24}}
            """
        let transport = ReplayTransport([ReplayTransport.Reply(body: filtered)])
        let model = HTTPChatModel(
            format: OpenAIChatFormat(
                provider: "azure",
                endpoint: .azure(endpoint: URL(string: "https://acme.openai.azure.com")!, apiVersion: "2024-10-21"),
                apiKey: "k"),
            transport: transport)
        let result = try await runner(model, streaming: false).run(
            crew(), inputs: [:], principal: .local(), agents: F.lookup([F.researcher]), sink: RecordingEventSink())
        #expect(result.status == .failed)
        #expect(result.error?.code == "model_content_filtered")
        #expect(result.output == nil)
    }
}
