import AgentRuntime
import Foundation
import Testing

/// Numbers a broken or hostile peer sends (1e300, NaN-like overflows) are read as bounded values or ignored: no
/// conversion traps and takes the process, and every tenant's runs, down.
@Suite("Providers: numbers from the wire")
struct HostileNumbersTests {
    let request = ChatRequest(model: "m", messages: [.user("hi")])

    @Test("Retry-After and retry-after-ms of 1e300 are a long wait, not a crash")
    func retryAfter() {
        let huge = RetryAfter.parse(HTTPHeaders([("Retry-After", "1e300")]))
        #expect(huge != nil && huge! > .seconds(1_000_000))
        #expect(RetryAfter.parse(HTTPHeaders([("retry-after-ms", "1e300")])) != nil)
        #expect(RetryAfter.parseProtobufDuration("1e300s") != nil)
    }

    @Test("token counts of 1e300 in OpenAI, Anthropic and Gemini responses are bounded, not a crash")
    func usage() throws {
        let openAI = OpenAIChatFormat(
            endpoint: .standard(baseURL: URL(string: "https://api.openai.com/v1")!), apiKey: nil)
        let fromOpenAI = try openAI.parseResponse(
            Array(
                #"{"choices": [{"message": {"role": "assistant", "content": "x"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 1e300, "completion_tokens": -1e300}}"#
                    .utf8), for: request)
        #expect(fromOpenAI.usage.inputTokens == 0 && fromOpenAI.usage.outputTokens == 0)
        let anthropic = AnthropicChatFormat(apiKey: nil)
        let fromAnthropic = try anthropic.parseResponse(
            Array(
                #"{"content": [{"type": "text", "text": "x"}], "stop_reason": "end_turn", "usage": {"input_tokens": 1e300, "output_tokens": 1e300}}"#
                    .utf8), for: request)
        #expect(fromAnthropic.usage.inputTokens == 1_000_000_000_000_000)
        let gemini = GeminiChatFormat(apiKey: nil)
        let fromGemini = try gemini.parseResponse(
            Array(
                #"{"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}], "usageMetadata": {"promptTokenCount": 1e300, "candidatesTokenCount": 1e300, "thoughtsTokenCount": 1e300}}"#
                    .utf8), for: request)
        #expect(fromGemini.usage.inputTokens == 0 && fromGemini.usage.outputTokens == 1_000_000_000_000_000)
    }

    @Test("an Int is read from a JSON number only when an Int can hold it")
    func intValue() {
        #expect(JSONValue.double(1e300).intValue == nil)
        #expect(JSONValue.double(-1e300).intValue == nil)
        #expect(JSONValue.double(42.9).intValue == 42)
        #expect(JSONValue.int(7).intValue == 7)
        #expect(JSONValue.string("7").intValue == nil)
    }
}
