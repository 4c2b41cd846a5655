import AgentRuntime
import Foundation
import Testing

/// The canonical JSON of requests and responses: what the journal and the exchange log store, and what a resumed or
/// replayed run reads back.
@Suite("Chat: canonical JSON")
struct ChatJSONTests {
    @Test(
        "a response survives the journal: every finish reason, tool calls, usage and model come back equal",
        arguments: [FinishReason.stop, .length, .toolCalls, .contentFilter, .other("recitation")])
    func responseRoundTrip(reason: FinishReason) throws {
        let response = ChatResponse(
            text: reason == .toolCalls ? nil : "Hello",
            toolCalls: reason == .toolCalls
                ? [ToolCall(id: "call_1", name: "crm-lookup", arguments: #"{"email":"a@b.c"}"#)] : [],
            finishReason: reason, usage: TokenUsage(inputTokens: 12, outputTokens: 7, cachedInputTokens: 4),
            model: "gpt-4o-2024-08-06")
        let stored = try JSONParser.value(response.json.serialized())
        #expect(ChatResponse(json: stored) == response)
        #expect(ChatResponse(json: .string("not an object")) == nil)
    }

    @Test("the fingerprint depends on what determines the answer, not on the deadline or key order")
    func fingerprint() {
        var request = ChatRequest(
            model: "gpt-4o", messages: [.system("Be brief."), .user("Hi")], temperature: 0.2, maxTokens: 100)
        let base = request.fingerprint
        request.deadline = .now + .seconds(30)
        #expect(request.fingerprint == base, "the deadline does not change the answer")
        request.temperature = 0.3
        #expect(request.fingerprint != base)
        #expect(
            base.hasPrefix(#"{"max_tokens":100,"messages":[{"content":"Be brief.","role":"system"}"#), "keys are sorted"
        )
    }

    @Test("every message role has its JSON shape")
    func messages() {
        #expect(Message.user("Hi").json == ["role": "user", "content": "Hi"])
        #expect(
            Message.assistant(text: nil, toolCalls: [ToolCall(id: "c", name: "t", arguments: "{}")]).json
                == [
                    "role": "assistant", "content": .null, "tool_calls": [["id": "c", "name": "t", "arguments": "{}"]],
                ])
        #expect(
            Message.tool(callID: "c", name: "t", content: "42", isError: false).json
                == ["role": "tool", "call_id": "c", "name": "t", "content": "42", "is_error": false])
    }
}
