import Foundation

/// The engine's spans, after the OpenTelemetry GenAI semantic conventions: `invoke_agent <crew>` per run,
/// `invoke_agent <agent>` per task and per delegation, `chat <model>` per model call, `execute_tool <tool>` per tool
/// call. Prompts, completions and tool arguments and results are added only with
/// ``EngineEnvironment/traceIncludesContent``.
extension CrewRunner {
    func traced(
        _ crew: CrewDefinition, runID: RunID, principal: Principal, attempt: Int,
        _ body: () async throws -> RunResult
    ) async throws -> RunResult {
        let tracer = environment.tracer
        guard tracer.isRecording else { return try await body() }
        return try await tracer.withSpan(
            "invoke_agent \(crew.id)",
            attributes: [
                "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": .string(crew.name),
                "gen_ai.agent.id": .string(crew.id.rawValue), "agentruntime.crew": .string(crew.id.rawValue),
                "agentruntime.run.id": .string(runID.rawValue),
                "agentruntime.tenant": .string(principal.tenant.rawValue),
                "agentruntime.run.attempt": .int(attempt),
            ]
        ) { span in
            let result = try await body()
            span.setAttributes([
                "agentruntime.run.status": .string(result.status.rawValue),
                "gen_ai.usage.input_tokens": .int(result.usage.inputTokens),
                "gen_ai.usage.output_tokens": .int(result.usage.outputTokens),
                "agentruntime.cost_usd": .double(result.costUSD),
            ])
            if let error = result.error, result.status == .failed || result.status == .cancelled {
                span.recordError(type: error.code, message: error.description)
            }
            return result
        }
    }
}

extension Execution {
    /// `body` in an `invoke_agent <agent>` span for `task`.
    func traced(_ task: CrewTask, _ body: () async throws -> Void) async throws {
        let tracer = environment.tracer
        guard tracer.isRecording else { return try await body() }
        let agent =
            crew.process == .hierarchical ? crew.manager?.rawValue ?? "manager" : task.agent?.rawValue ?? "agent"
        try await tracer.withSpan(
            "invoke_agent \(agent)",
            attributes: [
                "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.id": .string(agent),
                "gen_ai.agent.name": .string(agent), "agentruntime.task": .string(task.id.rawValue),
                "agentruntime.run.id": .string(state.runID.rawValue),
                "agentruntime.tenant": .string(principal.tenant.rawValue),
            ]
        ) { _ in try await body() }
    }

    /// `body` in an `invoke_agent <coworker>` span (a delegation).
    func tracedAgent<Result: Sendable>(
        _ coworker: AgentDefinition, _ body: () async throws -> Result
    ) async throws -> Result {
        let tracer = environment.tracer
        guard tracer.isRecording else { return try await body() }
        return try await tracer.withSpan(
            "invoke_agent \(coworker.id)",
            attributes: [
                "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.id": .string(coworker.id.rawValue),
                "gen_ai.agent.name": .string(coworker.name), "agentruntime.run.id": .string(state.runID.rawValue),
                "agentruntime.tenant": .string(principal.tenant.rawValue),
            ]
        ) { _ in try await body() }
    }
}

extension AgentLoop {
    /// A model call in a `chat <model>` span (a client span: the provider is another service).
    func traced(_ messages: [Message], _ body: () async throws -> ChatResponse) async throws -> ChatResponse {
        let tracer = environment.tracer
        guard tracer.isRecording else { return try await body() }
        var attributes: [String: SpanValue] = [
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": .string(model.reference.provider),
            "gen_ai.request.model": .string(model.reference.model), "gen_ai.agent.id": .string(agent.id.rawValue),
            "agentruntime.run.id": .string(state.runID.rawValue),
            "agentruntime.tenant": .string(principal.tenant.rawValue),
        ]
        attributes["gen_ai.request.temperature"] = .double(agent.temperature)
        if let maxTokens = agent.maxTokens { attributes["gen_ai.request.max_tokens"] = .int(maxTokens) }
        if let topP = agent.topP { attributes["gen_ai.request.top_p"] = .double(topP) }
        if environment.traceIncludesContent {
            attributes["gen_ai.input.messages"] = .string(JSONValue.array(messages.map(\.json)).serialized())
        }
        let price = model.price
        let includeContent = environment.traceIncludesContent
        return try await tracer.withSpan(
            "chat \(model.reference.model)", kind: .client, attributes: attributes
        ) { span in
            let response = try await body()
            var result: [String: SpanValue] = [
                "gen_ai.response.model": .string(response.model ?? model.reference.model),
                "gen_ai.usage.input_tokens": .int(response.usage.inputTokens),
                "gen_ai.usage.output_tokens": .int(response.usage.outputTokens),
                "gen_ai.response.finish_reasons": .strings([response.finishReason.description]),
            ]
            if let price { result["agentruntime.cost_usd"] = .double(price.cost(of: response.usage)) }
            if includeContent { result["gen_ai.output.messages"] = .string(response.message.json.serialized()) }
            span.setAttributes(result)
            return response
        }
    }

    /// A tool call in an `execute_tool <tool>` span.
    func traced(
        _ offered: OfferedTool, call: ToolCall, _ body: () async throws -> (String, Bool)
    ) async throws -> (String, Bool) {
        let tracer = environment.tracer
        guard tracer.isRecording else { return try await body() }
        let name: String
        if case .tool(let tool) = offered.handler { name = tool.spec.id.rawValue } else { name = call.name }
        var attributes: [String: SpanValue] = [
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": .string(name),
            "gen_ai.tool.call.id": .string(call.id), "gen_ai.tool.type": "function",
            "agentruntime.run.id": .string(state.runID.rawValue),
            "agentruntime.tenant": .string(principal.tenant.rawValue),
        ]
        if environment.traceIncludesContent {
            attributes["gen_ai.tool.call.arguments"] = .string(await state.redactArguments(call.arguments))
        }
        let includeContent = environment.traceIncludesContent
        return try await tracer.withSpan("execute_tool \(name)", attributes: attributes) { span in
            let (content, isError) = try await body()
            var result: [String: SpanValue] = ["agentruntime.tool.outcome": isError ? "error" : "success"]
            if includeContent { result["gen_ai.tool.call.result"] = .string(String(content.prefix(4000))) }
            span.setAttributes(result)
            if isError { span.recordError(type: "tool_error", message: "the tool call failed") }
            return (content, isError)
        }
    }
}
