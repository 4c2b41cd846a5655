import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

@Suite("Engine: the agent loop")
struct AgentLoopTests {
    typealias F = EngineFixtures

    private func crew(_ agent: AgentDefinition) -> CrewDefinition { F.solo(agent) }

    @Test(
        "tools run with validated arguments; errors, bad arguments and unknown or unoffered tools go back to the model, which recovers"
    )
    func recovery() async throws {
        let lookup = ClosureTool(
            ToolSpec(
                id: "web.lookup", description: "Look up",
                parameters: .object(["q": ["type": "string"]], required: ["q"]), access: .read)
        ) { _ in ToolResult(content: "found") }
        let secret = ClosureTool(
            ToolSpec(id: "admin.wipe", description: "Wipe", parameters: .object([:]), access: .admin)
        ) { _ in ToolResult(content: "wiped") }
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.calls([
                ("calculator-evaluate", #"{"expression": "1/0"}"#),
                ("calculator-evaluate", #"{"expr": "6*7"}"#),
                ("nosuch-tool", "{}"),
                ("admin-wipe", "{}"),
                ("web-lookup", "not json"),
            ]),
            ScriptedChatModel.calls([
                ("calculator-evaluate", #"{"expression": "6*7"}"#), ("web-lookup", #"{"q": "x"}"#),
            ]),
            ScriptedChatModel.text("The answer is 42"),
        ])
        let sink = RecordingEventSink()
        let result = try await F.runner(model, tools: [F.calculator, lookup, secret]).run(
            crew(F.researcher), inputs: [:], principal: .local(), agents: F.lookup([F.researcher]), sink: sink)
        #expect(result.output == "The answer is 42")
        let turn = model.requests[1].messages.suffix(5)
        let contents = turn.compactMap { message -> String? in
            if case .tool(_, _, let content, let isError) = message {
                return (isError ? "E " : "") + content
            } else {
                return nil
            }
        }
        #expect(
            contents == [
                "E Error: cannot evaluate that",
                #"E Error: the arguments do not match the tool's parameters: (root): missing required property "expression"; /expr: unexpected property "expr". Fix them and call calculator-evaluate again."#,
                "E Error: there is no tool called nosuch-tool. Your tools: calculator-evaluate, web-lookup.",
                "E Error: you may not use admin-wipe: it is not one of your tools. Your tools: calculator-evaluate, web-lookup.",
                "E Error: the arguments are not valid JSON. Call web-lookup again with a JSON object matching its parameters.",
            ])
        #expect(secret.callCount == 0)
        let third = model.requests[2].messages.suffix(2).compactMap {
            if case .tool(_, _, let content, _) = $0 { return content } else { return nil }
        }
        #expect(third == ["42", "found"])
        #expect(model.requests[0].tools.map(\.name) == ["calculator-evaluate", "web-lookup"])
        let denied = await sink.events.filter { $0.kindName == "tool_denied" }.map(\.payload)
        #expect(denied.map { $0["tool"] } == ["nosuch-tool", "admin.wipe"])
    }

    @Test("mistakes are capped per task")
    func mistakeCap() async throws {
        let model = ScriptedChatModel { _ in ScriptedChatModel.calls([("nosuch-tool", "{}"), ("other-tool", "{}")]) }
        var limits = RunLimits()
        limits.maxToolMistakesPerTask = 3
        let result = try await F.runner(model, limits: limits).run(
            crew(F.researcher), inputs: [:], principal: .local(), agents: F.lookup([F.researcher]),
            sink: RecordingEventSink())
        #expect(result.status == .failed)
        #expect(result.error == .tooManyMistakes(task: "work", count: 4))
        #expect(model.requests.count == 2)
    }

    @Test("the same call with the same arguments is answered from the earlier result, not run again")
    func repeatedCalls() async throws {
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.calls([
                ("calculator-evaluate", #"{"expression": "6*7"}"#),
                ("calculator-evaluate", #"{ "expression" : "6*7" }"#),
            ]),
            ScriptedChatModel.calls([("calculator-evaluate", #"{"expression":"6*7"}"#)]),
            ScriptedChatModel.text("42"),
        ])
        let calculator = ClosureTool(F.calculator.spec) { _ in ToolResult(content: "42") }
        let sink = RecordingEventSink()
        _ = try await F.runner(model, tools: [calculator]).run(
            crew(F.researcher), inputs: [:], principal: .local(), agents: F.lookup([F.researcher]), sink: sink)
        #expect(calculator.callCount == 1)
        let last = model.requests[2].messages.last
        guard case .tool(_, _, let content, _)? = last else {
            Issue.record("no tool result")
            return
        }
        #expect(content.hasPrefix("42\n\n(Note: you already made this exact call"))
        #expect(await sink.events.filter { $0.payload["outcome"] == "repeated" }.count == 2)
    }

    @Test("at max_iterations the agent is asked once more for a final answer, without tools")
    func maxIterations() async throws {
        let agent = F.agent("looper", tools: ["calculator.evaluate"], maxIterations: 3)
        var count = 0
        let model = ScriptedChatModel { request in
            if request.tools.isEmpty { return ScriptedChatModel.text("final") }
            return ScriptedChatModel.calls([
                ("calculator-evaluate", #"{"expression": "6*7", "n": \#(Int.random(in: 0...1_000_000))}"#)
            ])
        }
        _ = count
        count = 0
        let result = try await F.runner(
            model,
            tools: [
                ClosureTool(
                    ToolSpec(
                        id: "calculator.evaluate", description: "x", parameters: JSONSchema(["type": "object"]),
                        access: .read)
                ) { _ in ToolResult(content: "42") }
            ]
        )
        .run(crew(agent), inputs: [:], principal: .local(), agents: F.lookup([agent]), sink: RecordingEventSink())
        #expect(result.output == "final")
        #expect(model.requests.count == 4, "3 iterations plus exactly one final call")
        #expect(model.requests.last?.tools.isEmpty == true)
        #expect(F.lastUser(model.requests.last!) == PromptBuilder.finalAnswerNow)
    }

    @Test("several tool calls in one turn run concurrently; results come back in call order")
    func concurrentTools() async throws {
        // Each call waits (up to 5 s) until all three have started; run one at a time, none would see the others.
        let started = CompletionOrder()
        let tool = ClosureTool(
            ToolSpec(id: "web.lookup", description: "x", parameters: JSONSchema(["type": "object"]), access: .read)
        ) { arguments in
            let name = arguments["name"]?.stringValue ?? "?"
            await started.add(name)
            let deadline = ContinuousClock.now + .seconds(5)
            while await started.items.count < 3, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            let together = await started.items.count == 3
            try await Task.sleep(for: .milliseconds(name == "a" ? 50 : 0))
            return ToolResult(content: "\(name) \(together ? "together" : "alone")")
        }
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.calls([
                ("web-lookup", #"{"name": "a"}"#), ("web-lookup", #"{"name": "b"}"#), ("web-lookup", #"{"name": "c"}"#),
            ]),
            ScriptedChatModel.text("ok"),
        ])
        _ = try await F.runner(model, tools: [tool]).run(
            crew(F.researcher), inputs: [:], principal: .local(), agents: F.lookup([F.researcher]),
            sink: RecordingEventSink())
        let results = model.requests[1].messages.suffix(3).compactMap {
            if case .tool(let id, _, let content, _) = $0 { return "\(id):\(content)" } else { return nil }
        }
        #expect(results == ["call_1:a together", "call_2:b together", "call_3:c together"])
    }

    @Test("structured output: a non-matching answer is sent back with the errors; the task carries the parsed JSON")
    func structuredOutputRetry() async throws {
        let schema = JSONSchema.object(
            ["score": ["type": "integer", "minimum": 0, "maximum": 100]], required: ["score"])
        let crew = CrewDefinition(
            id: "s", name: "S", process: .sequential, agents: ["writer"],
            inputs: [CrewInput(name: "company", isRequired: false, defaultValue: "A")],
            tasks: [
                CrewTask(
                    id: "score", description: "Score the lead", expectedOutput: "A score", agent: "writer",
                    outputSchema: schema)
            ])
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.text("The score is high"),
            ScriptedChatModel.text(#"{"score": 140}"#),
            ScriptedChatModel.text("```json\n{\"score\": 87}\n```"),
        ])
        let sink = RecordingEventSink()
        let result = try await F.runner(model).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([F.writer]), sink: sink)
        #expect(result.outputJSON == ["score": 87])
        #expect(result.tasks[0].json == ["score": 87])
        #expect(model.requests[0].responseFormat == .jsonSchema(name: "score", schema: schema))
        #expect(
            F.lastUser(model.requests[1])
                == "Your final answer does not match the required JSON Schema: the answer is not valid JSON. Reply with only the corrected JSON value."
        )
        #expect(F.lastUser(model.requests[2]).contains("/score: must be ≤ 100"))
        let verdicts = await sink.events.filter { $0.kindName == "guardrail_verdict" }
        #expect(verdicts.count == 2)
    }

    @Test("structured output that never matches fails the task after the retries")
    func structuredOutputGivesUp() async throws {
        let schema = JSONSchema.object(["score": ["type": "integer"]], required: ["score"])
        let crew = CrewDefinition(
            id: "s", name: "S", process: .sequential, agents: ["editor"],
            tasks: [
                CrewTask(
                    id: "score", description: "Score", expectedOutput: "A score", agent: "editor", outputSchema: schema)
            ])
        let model = ScriptedChatModel { _ in ScriptedChatModel.text("nope") }
        let result = try await F.runner(model).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([F.editor]), sink: RecordingEventSink())
        #expect(result.status == .failed)
        #expect(result.error == .invalidOutput(task: "score", detail: "the answer is not valid JSON"))
        #expect(model.requests.count == 3)
    }

    @Test("a guardrail's rejection is fed back; its verdicts are events")
    func guardrail() async throws {
        let crew = CrewDefinition(
            id: "g", name: "G", process: .sequential, agents: ["editor"],
            tasks: [
                CrewTask(
                    id: "post", description: "Write a post", expectedOutput: "A post", agent: "editor",
                    guardrail: "Must not mention prices")
            ])
        let model = ScriptedChatModel { request in
            if case .jsonSchema(name: "verdict", _) = request.responseFormat {
                let work = F.lastUser(request)
                return ScriptedChatModel.text(
                    work.contains("$")
                        ? #"{"passed": false, "feedback": "mentions a price"}"#
                        : #"{"passed": true, "feedback": "fine"}"#)
            }
            return ScriptedChatModel.text(
                F.lastUser(request).contains("did not pass review") ? "Our new plan is great" : "Only $9 a month!")
        }
        let sink = RecordingEventSink()
        let result = try await F.runner(model).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([F.editor]), sink: sink)
        #expect(result.output == "Our new plan is great")
        let verdicts = await sink.events.filter { $0.kindName == "guardrail_verdict" }.map { $0.payload["passed"] }
        #expect(verdicts == [false, true])
    }
}
