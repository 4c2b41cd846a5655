import AgentRuntime
import Foundation
import Testing

/// A request's tool choice in each wire format's body: what the manager's forced first turn sends.
@Suite("Providers: tool choice")
struct ToolChoiceTests {
    static let tool = ChatTool(
        name: "delegate_work", description: "Delegate", parameters: .object(["task": ["type": "string"]]))

    static func request(_ choice: ToolChoice?, tools: [ChatTool] = [Self.tool]) -> ChatRequest {
        var request = ChatRequest(model: "m", messages: [.system("Lead."), .user("Do it")], tools: tools)
        request.toolChoice = choice
        return request
    }

    @Test("OpenAI-compatible: tool_choice \"required\", \"auto\", \"none\", a named function; nothing when unset")
    func openAI() {
        let format = OpenAIChatFormat(
            endpoint: .standard(baseURL: URL(string: "http://127.0.0.1:8080/v1")!), apiKey: nil)
        #expect(format.body(Self.request(.required), stream: false)["tool_choice"] == "required")
        #expect(format.body(Self.request(.auto), stream: false)["tool_choice"] == "auto")
        #expect(format.body(Self.request(.noTool), stream: false)["tool_choice"] == "none")
        #expect(
            format.body(Self.request(.tool("delegate_work")), stream: false)["tool_choice"]
                == ["type": "function", "function": ["name": "delegate_work"]])
        #expect(format.body(Self.request(nil), stream: false)["tool_choice"] == nil)
        #expect(format.body(Self.request(.required, tools: []), stream: false)["tool_choice"] == nil)
    }

    @Test("Anthropic: {\"type\": \"any\"} for required, a named tool, auto, none; auto with extended thinking")
    func anthropic() {
        let format = AnthropicChatFormat(apiKey: "k")
        #expect(format.body(Self.request(.required), stream: false)["tool_choice"] == ["type": "any"])
        #expect(format.body(Self.request(.auto), stream: false)["tool_choice"] == ["type": "auto"])
        #expect(format.body(Self.request(.noTool), stream: false)["tool_choice"] == ["type": "none"])
        #expect(
            format.body(Self.request(.tool("delegate_work")), stream: false)["tool_choice"]
                == ["type": "tool", "name": "delegate_work"])
        #expect(format.body(Self.request(nil), stream: false)["tool_choice"] == nil)
        let thinking = AnthropicChatFormat(apiKey: "k", thinkingBudget: 2048)
        #expect(thinking.body(Self.request(.required), stream: false)["tool_choice"] == ["type": "auto"])
    }

    @Test("Gemini: toolConfig.functionCallingConfig.mode ANY (with allowedFunctionNames for a named tool), AUTO, NONE")
    func gemini() {
        let format = GeminiChatFormat(apiKey: "k")
        #expect(format.body(Self.request(.required))["toolConfig"] == ["functionCallingConfig": ["mode": "ANY"]])
        #expect(format.body(Self.request(.auto))["toolConfig"] == ["functionCallingConfig": ["mode": "AUTO"]])
        #expect(format.body(Self.request(.noTool))["toolConfig"] == ["functionCallingConfig": ["mode": "NONE"]])
        #expect(
            format.body(Self.request(.tool("delegate_work")))["toolConfig"]
                == ["functionCallingConfig": ["mode": "ANY", "allowedFunctionNames": ["delegate_work"]]])
        #expect(format.body(Self.request(nil))["toolConfig"] == nil)
    }

    @Test("Ollama (native API, no tool choice): required sends the tools as they are, none none, a named tool alone")
    func ollama() {
        let format = OllamaChatFormat(baseURL: URL(string: "http://127.0.0.1:11434")!)
        let other = ChatTool(name: "ask_question", description: "Ask", parameters: .object([:]))
        let required = format.body(Self.request(.required, tools: [Self.tool, other]), stream: false)
        #expect(required["tool_choice"] == nil)
        #expect(required["tools"]?.arrayValue?.count == 2)
        #expect(format.body(Self.request(.noTool, tools: [Self.tool, other]), stream: false)["tools"] == nil)
        let named = format.body(Self.request(.tool("ask_question"), tools: [Self.tool, other]), stream: false)
        #expect(named["tools"]?.arrayValue?.map { $0["function"]?["name"] } == ["ask_question"])
    }

    @Test("the tool choice is part of the canonical request (a forced turn is not answered by a recorded free one)")
    func canonical() {
        #expect(Self.request(.required).fingerprint != Self.request(nil).fingerprint)
        #expect(Self.request(nil).canonicalJSON["tool_choice"] == nil)
    }
}
