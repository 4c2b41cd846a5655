extension Execution {
    /// Checks the output against the task's schema and guardrail, asking the agent to revise (capped).
    func finalize(
        _ task: CrewTask, loop: AgentLoop, text: String, messages: inout [Message]
    ) async throws -> (String, JSONValue?) {
        var text = text
        var outputRetries = 0
        var guardrailRetries = 0
        while true {
            var json: JSONValue?
            if let schema = task.outputSchema {
                var problem: String?
                if let value = Self.extractJSON(text) {
                    let violations = JSONSchemaValidator(schema).validate(value)
                    if violations.isEmpty {
                        json = value
                    } else {
                        problem = violations.map(\.description).joined(separator: "; ")
                    }
                } else {
                    problem = "the answer is not valid JSON"
                }
                if let problem {
                    await state.emit(
                        loop.path,
                        .guardrailVerdict(task: task.id.rawValue, passed: false, feedback: "output schema: \(problem)"))
                    guard outputRetries < environment.limits.maxOutputRetries else {
                        throw EngineError.invalidOutput(task: task.id.rawValue, detail: problem)
                    }
                    outputRetries += 1
                    messages.append(
                        .user(
                            "Your final answer does not match the required JSON Schema: \(problem). Reply with only the corrected JSON value."
                        ))
                    (text, messages) = try await loop.run(messages)
                    continue
                }
                text = json!.serialized(pretty: true)
            }
            if let guardrail = task.guardrail {
                let (passed, feedback) = try await review(text, against: guardrail, loop: loop)
                await state.emit(
                    loop.path, .guardrailVerdict(task: task.id.rawValue, passed: passed, feedback: feedback))
                if !passed {
                    guard guardrailRetries < environment.limits.maxGuardrailRetries else {
                        throw EngineError.guardrailFailed(task: task.id.rawValue, feedback: feedback)
                    }
                    guardrailRetries += 1
                    messages.append(
                        .user(
                            "Your answer did not pass review: \(feedback)\nRevise your final answer so that it satisfies this requirement: \(guardrail)"
                        ))
                    (text, messages) = try await loop.run(messages)
                    continue
                }
            }
            return (text, json)
        }
    }

    static let verdictSchema = JSONSchema.object(
        ["passed": ["type": "boolean"], "feedback": ["type": "string"]], required: ["passed", "feedback"])

    /// Asks the agent's model whether `text` satisfies `guardrail`.
    private func review(_ text: String, against guardrail: String, loop: AgentLoop) async throws -> (Bool, String) {
        let reviewer = AgentLoop(
            agent: loop.agent, model: loop.model, tools: [], path: loop.path, task: loop.task, state: state,
            environment: environment,
            principal: principal, responseFormat: .jsonSchema(name: "verdict", schema: Self.verdictSchema),
            meter: loop.meter)
        let messages: [Message] = [
            .system(
                "You are a strict, fair reviewer. You check a piece of work against one requirement and say whether it passes."
            ),
            .user(
                "Requirement: \(guardrail)\n\nWork to check:\n\(text)\n\nDoes the work satisfy the requirement? Answer with only JSON: {\"passed\": true or false, \"feedback\": \"what is wrong and how to fix it, or why it passes\"}."
            ),
        ]
        let response = try await reviewer.call(messages, offerTools: false)
        guard let verdict = Self.extractJSON(response.text ?? ""), case .bool(let passed)? = verdict["passed"] else {
            return (false, "the reviewer's verdict could not be read: \(response.text ?? "")")
        }
        return (passed, verdict["feedback"]?.stringValue ?? "")
    }

    /// The JSON in a model's answer: the whole text, a fenced block, or the outermost braces.
    static func extractJSON(_ text: String) -> JSONValue? {
        var candidate = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if candidate.hasPrefix("```") {
            candidate = candidate.drop { $0 != "\n" }.trimmingCharacters(in: .whitespacesAndNewlines)
            if candidate.hasSuffix("```") { candidate = String(candidate.dropLast(3)) }
        }
        if let value = try? JSONParser.value(candidate) { return value }
        guard let open = candidate.firstIndex(where: { $0 == "{" || $0 == "[" }),
            let close = candidate.lastIndex(where: { $0 == "}" || $0 == "]" }), open < close
        else { return nil }
        return try? JSONParser.value(String(candidate[open...close]))
    }
}
