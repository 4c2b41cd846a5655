import AgentRuntimeTesting
import Testing

@testable import AgentRuntime

/// The agent loop's decision after a model response, tested as the pure function it is: no model, no loop.
@Suite("Engine: deciding the next step")
struct NextStepTests {
    static let lookup = ClosureTool(
        ToolSpec(
            id: "crm.lookup", description: "Look up a customer",
            parameters: .object(
                ["email": ["type": "string"], "limit": ["type": "integer", "minimum": 1]], required: ["email"]),
            access: .read)
    ) { _ in ToolResult(content: "found") }
    static let delete = ClosureTool(
        ToolSpec(
            id: "crm.delete", description: "Delete a customer", parameters: .object(["id": ["type": "string"]]),
            access: .admin)
    ) { _ in ToolResult(content: "deleted") }

    static func offered(_ tool: any Tool) -> OfferedTool {
        let name = ToolNaming.modelName(tool.spec.id)
        return OfferedTool(
            modelName: name, chatTool: ChatTool(name: name, description: "", parameters: tool.spec.parameters),
            handler: .tool(tool))
    }

    /// A delegation-like tool the engine synthesises: no schema check, no policy.
    static let synthesized = OfferedTool(
        modelName: "ask_question", chatTool: ChatTool(name: "ask_question", description: "", parameters: .object([:])),
        handler: .synthesized { _, _ in ToolResult(content: "answer") })

    let offered = [Self.offered(Self.lookup), Self.offered(Self.delete), Self.synthesized]
    let allowed: [ToolID: ToolDecision] = ["crm.lookup": .allow, "crm.delete": .allow]
    /// The runtime has these tools (some are not offered to this agent).
    let registered: Set<ToolID> = ["crm.lookup", "crm.delete", "wordpress.create_post"]

    func decide(
        _ response: ChatResponse, earlier: Set<String> = [], verdicts: [ToolID: ToolDecision]? = nil
    ) -> NextStep {
        NextStep.decide(
            response, offered: offered, earlier: earlier, verdicts: verdicts ?? allowed,
            isRegistered: { registered.contains($0) })
    }

    func call(_ id: String, _ name: String, _ arguments: String) -> ToolCall {
        ToolCall(id: id, name: name, arguments: arguments)
    }

    @Test("a response without tool calls is the final answer (empty text when the model said nothing)")
    func finalAnswer() {
        #expect(decide(ScriptedChatModel.text("Done.")) == .finalAnswer("Done."))
        #expect(decide(ChatResponse(text: nil, finishReason: .stop, usage: TokenUsage())) == .finalAnswer(""))
    }

    @Test("valid, allowed calls run with their parsed arguments; empty arguments count as {}")
    func runs() {
        let response = ScriptedChatModel.calls([("crm-lookup", #"{"email": "a@b.c"}"#), ("ask_question", "")])
        #expect(
            decide(response)
                == .answerCalls([
                    PlannedCall(
                        call: call("call_1", "crm-lookup", #"{"email": "a@b.c"}"#),
                        action: .run(tool: "crm-lookup", arguments: ["email": "a@b.c"])),
                    PlannedCall(
                        call: call("call_2", "ask_question", ""),
                        action: .run(tool: "ask_question", arguments: .object([:]))),
                ]))
    }

    @Test("every kind of mistake, in call order, with the event recorded and the answer the model reads")
    func mistakes() {
        let response = ScriptedChatModel.calls([
            ("crm-lookup", #"{"email": "#),
            ("crm-lookup", #"{"limit": 0}"#),
            ("crm-delete", #"{"id": "7"}"#),
            ("wordpress-create_post", #"{"title": "x"}"#),
            ("send_rocket", "{}"),
        ])
        let step = decide(
            response, verdicts: ["crm.lookup": .allow, "crm.delete": .deny("admin tools need the tenant_admin role")])
        guard case .answerCalls(let planned) = step else {
            Issue.record("\(step)")
            return
        }
        let available = ["crm-lookup", "crm-delete", "ask_question"]
        #expect(
            planned.map(\.action) == [
                .mistake(.invalidJSON),
                .mistake(
                    .invalidArguments(
                        "crm.lookup", violations: "(root): missing required property \"email\"; /limit: must be ≥ 1")),
                .mistake(.denied("crm.delete", reason: "admin tools need the tenant_admin role")),
                .mistake(.notOffered("wordpress.create_post", available: available)),
                .mistake(.unknownTool(available: available)),
            ])
        let answers = planned.map { item -> String in
            guard case .mistake(let mistake) = item.action else { return "" }
            return mistake.answer(to: item.call)
        }
        #expect(
            answers == [
                "Error: the arguments are not valid JSON. Call crm-lookup again with a JSON object matching its parameters.",
                "Error: the arguments do not match the tool's parameters: (root): missing required property \"email\"; /limit: must be ≥ 1. Fix them and call crm-lookup again.",
                "Error: you may not use crm-delete: admin tools need the tenant_admin role. Continue without it.",
                "Error: you may not use wordpress-create_post: it is not one of your tools. Your tools: crm-lookup, crm-delete, ask_question.",
                "Error: there is no tool called send_rocket. Your tools: crm-lookup, crm-delete, ask_question.",
            ])
        let events = planned.map { item -> RunEvent.Kind? in
            guard case .mistake(let mistake) = item.action else { return nil }
            return mistake.event(for: item.call)
        }
        #expect(
            events == [
                .toolFinished(
                    callID: "call_1", tool: "crm-lookup", outcome: .error, durationMS: 0,
                    result: "invalid JSON arguments"),
                .toolFinished(
                    callID: "call_2", tool: "crm.lookup", outcome: .error, durationMS: 0,
                    result: "invalid arguments: (root): missing required property \"email\"; /limit: must be ≥ 1"),
                .toolDenied(
                    callID: "call_3", tool: "crm.delete", reason: "admin tools need the tenant_admin role",
                    arguments: #"{"id": "7"}"#),
                .toolDenied(
                    callID: "call_4", tool: "wordpress.create_post",
                    reason: "wordpress.create_post is not among the tools offered to this agent",
                    arguments: #"{"title": "x"}"#),
                .toolDenied(callID: "call_5", tool: "send_rocket", reason: "unknown tool", arguments: "{}"),
            ])
    }

    @Test("a tool the policy was not asked about is refused, never run")
    func noVerdictIsDenial() {
        let step = decide(ScriptedChatModel.calls([("crm-delete", #"{"id": "7"}"#)]), verdicts: [:])
        #expect(
            step
                == .answerCalls([
                    PlannedCall(
                        call: call("call_1", "crm-delete", #"{"id": "7"}"#),
                        action: .mistake(.denied("crm.delete", reason: "the policy was not asked")))
                ]))
    }

    @Test("identical calls run once: a repeat in the same turn or of an earlier success is answered from that result")
    func repeats() {
        let earlier = PlannedCall.key(tool: "crm-lookup", arguments: ["email": "old@b.c"])
        let response = ScriptedChatModel.calls([
            ("crm-lookup", #"{"email": "a@b.c", "limit": 2}"#),
            ("crm-lookup", #"{"limit": 2, "email": "a@b.c"}"#),
            ("crm-lookup", #"{"email": "old@b.c"}"#),
        ])
        let key = PlannedCall.key(tool: "crm-lookup", arguments: ["email": "a@b.c", "limit": 2])
        guard case .answerCalls(let planned) = decide(response, earlier: [earlier]) else {
            Issue.record("not calls")
            return
        }
        #expect(
            planned.map(\.action) == [
                .run(tool: "crm-lookup", arguments: ["email": "a@b.c", "limit": 2]), .repeatOf(key: key),
                .repeatOf(key: earlier),
            ])
        #expect(key == #"crm-lookup {"email":"a@b.c","limit":2}"#)
    }
}
