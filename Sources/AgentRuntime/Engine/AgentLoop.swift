import Foundation

/// Runs one agent on one task: call the model, run the tools it asks for
/// (concurrently, results in call order), feed fixable mistakes back, and stop
/// at a final answer or at the iteration limit (then ask once more, without tools).
struct AgentLoop: Sendable {
    let agent: AgentDefinition
    let model: ResolvedModel
    let tools: [OfferedTool]
    let path: [String]
    let task: String
    let state: RunState
    let environment: EngineEnvironment
    let principal: Principal
    let responseFormat: ResponseFormat
    let meter: UsageMeter
    /// The tool choice of the loop's first model call (nil: the provider's default); later calls use the default.
    var firstTurnToolChoice: ToolChoice? = nil
    /// Sent back once, as a user message, when a final answer follows no call of a synthesised (delegation) tool in
    /// this loop (nil: final answers are taken as they come).
    var reminder: String? = nil

    /// Tool results longer than this are cut, with a note.
    static let maxToolResultCharacters = 20_000

    /// Runs until a final answer; returns it and the conversation that produced it.
    func run(_ initial: [Message]) async throws -> (text: String, messages: [Message]) {
        var messages = initial
        var mistakes = 0
        var previous: [String: String] = [:]
        var iteration = 0
        var delegated = false
        var reminded = false
        while true {
            if iteration >= agent.maxIterations {
                messages.append(.user(PromptBuilder.finalAnswerNow))
                let response = try await call(messages, offerTools: false)
                let text = response.text ?? ""
                messages.append(.assistant(text))
                return (text, messages)
            }
            iteration += 1
            let response = try await call(
                messages, offerTools: true, toolChoice: iteration == 1 ? firstTurnToolChoice : nil)
            delegated =
                delegated
                || response.toolCalls.contains { call in
                    tools.contains { tool in
                        guard tool.modelName == call.name, case .synthesized = tool.handler else { return false }
                        return true
                    }
                }
            let step = NextStep.decide(
                response, offered: tools, earlier: Set(previous.keys),
                verdicts: await verdicts(for: response.toolCalls),
                // A tenant's MCP tools are known per tenant only: any `mcp.<server>.<tool>` counts as one, so a call
                // of one not offered is refused and audited under its id.
                isRegistered: { environment.tools.tool($0) != nil || $0.isMCP })
            switch step {
            case .finalAnswer(let text):
                messages.append(.assistant(text))
                if let reminder, !delegated, !reminded {
                    reminded = true
                    messages.append(.user(reminder))
                    continue
                }
                return (text, messages)
            case .answerCalls(let planned):
                messages.append(response.message)
                let (results, turnMistakes) = try await carryOut(planned, previous: &previous)
                messages += results
                mistakes += turnMistakes
                if mistakes > environment.limits.maxToolMistakesPerTask {
                    throw EngineError.tooManyMistakes(task: task, count: mistakes)
                }
            }
        }
    }

    /// The policy's decision, asked now, for each offered registered tool that `calls` name.
    private func verdicts(for calls: [ToolCall]) async -> [ToolID: ToolDecision] {
        var verdicts: [ToolID: ToolDecision] = [:]
        for call in calls {
            guard let offered = tools.first(where: { $0.modelName == call.name }),
                case .tool(let tool) = offered.handler,
                verdicts[tool.spec.id] == nil
            else { continue }
            verdicts[tool.spec.id] = await environment.policy.decide(tool.spec, agent: agent, principal: principal)
        }
        return verdicts
    }

    /// One model call with budget checks, events and cost accounting, in a `chat <model>` span.
    func call(_ messages: [Message], offerTools: Bool, toolChoice: ToolChoice? = nil) async throws -> ChatResponse {
        try await traced(messages) {
            try await untracedCall(messages, offerTools: offerTools, toolChoice: toolChoice)
        }
    }

    private func untracedCall(_ messages: [Message], offerTools: Bool, toolChoice: ToolChoice?) async throws
        -> ChatResponse
    {
        try Task.checkCancellation()
        try await checkSpend()
        try await state.beginCall()
        let chatTools = offerTools ? tools.map(\.chatTool) : []
        var request = ChatRequest(
            model: model.reference.model, messages: messages, tools: chatTools, temperature: agent.temperature,
            maxTokens: agent.maxTokens, topP: agent.topP, responseFormat: responseFormat)
        request.deadline = await state.deadline
        if !chatTools.isEmpty { request.toolChoice = toolChoice }
        await state.emit(
            path,
            .llmRequest(model: model.reference.description, messageCount: messages.count, toolCount: chatTools.count))
        let started = environment.time.stopwatch()
        let response: ChatResponse
        let journalKey = state.journal == nil ? "" : JournalSession.key(request)
        if let journal = state.journal,
            let recorded = await journal.replay(.model, key: journalKey).flatMap(ChatResponse.init(json:))
        {
            // An earlier attempt made this call: its answer is journaled, and is not paid for twice.
            response = recorded
            if environment.streaming, state.sink.wantsTextDeltas, let text = recorded.text, !text.isEmpty {
                await state.emit(path, .textDelta(text))
            }
        } else {
            response = try await callModel(request)
            let answering = model.answering(response)
            let liveCost = answering.price?.cost(of: response.usage) ?? 0
            await book(liveCost)
            await bookUsage(response.usage, cost: liveCost, model: answering.reference)
            if let journal = state.journal {
                do { try await journal.record(.model, key: journalKey, data: response.json) } catch {
                    throw EngineError.journalUnavailable(String(describing: error))
                }
            }
        }
        let latency = started.elapsed
        // Booked under the model that answered: a fallback's call at the fallback's price.
        let (answered, price) = model.answering(response)
        let cost = price?.cost(of: response.usage) ?? 0
        await state.record(agent: agent.id.rawValue, model: answered.description, usage: response.usage, cost: cost)
        await meter.add(response.usage, cost: cost)
        await state.emit(
            path,
            .llmResponse(
                model: answered.description, usage: response.usage, costUSD: price == nil ? nil : cost,
                latencyMS: Int(latency.seconds * 1000), finishReason: response.finishReason.description))
        try await state.checkLimits()
        try Self.checkAnswered(response, task: task, provider: model.reference.provider)
        return response
    }

    /// A refusal ends the task as `refused` with the model's words, not as output to retry; an answer stopped by the
    /// provider's content filter is the provider's `content_filtered` failure, however the provider reported it.
    static func checkAnswered(_ response: ChatResponse, task: String, provider: String) throws {
        guard response.toolCalls.isEmpty else { return }
        if let refusal = response.refusal ?? (response.finishReason == .refusal ? response.text : nil) {
            throw EngineError.refused(task: task, message: refusal)
        }
        if response.finishReason == .contentFilter {
            throw EngineError.model(
                ProviderError(
                    code: .contentFiltered, message: "the provider's content filter stopped the answer",
                    provider: provider))
        }
    }

    /// Refuses the call when the tenant has reached a spend cap; the spend is read for every call, so the runs of a
    /// tenant on every replica see each other's costs.
    private func checkSpend() async throws {
        let caps = environment.spendCaps
        guard let ledger = environment.spendLedger, caps.perDayUSD != nil || caps.perMonthUSD != nil else { return }
        let spend: TenantSpend
        do {
            spend = try await ledger.spend(tenant: principal.tenant, day: SpendDay(environment.time.now))
        } catch {
            throw EngineError.spendUnavailable(String(describing: error))
        }
        if let reason = spend.exhausted(caps) { throw EngineError.budgetExhausted(reason) }
    }

    /// Books a live call's cost on the tenant's day. A booking lost to a store outage is not worth failing a call
    /// already paid for: the run's own record keeps its cost.
    private func book(_ cost: Double) async {
        guard let ledger = environment.spendLedger, cost > 0 else { return }
        try? await ledger.addSpend(cost, tenant: principal.tenant, day: SpendDay(environment.time.now))
    }

    /// Books a live call's usage with who made it and the model that answered. Like spend, a booking lost to a store
    /// outage does not fail a call already paid for.
    private func bookUsage(_ usage: TokenUsage, cost: Double, model answered: ModelReference) async {
        guard let ledger = environment.usageLedger else { return }
        try? await ledger.appendUsage(
            UsageRecord(
                runID: state.runID, tenant: principal.tenant, crew: state.crew, agent: agent.id.rawValue, task: task,
                provider: answered.provider, model: answered.model, usage: usage, costUSD: cost,
                time: environment.time.now))
    }

    /// The live model call, its failures mapped to engine errors.
    private func callModel(_ request: ChatRequest) async throws -> ChatResponse {
        let response: ChatResponse
        do {
            if environment.streaming {
                response = try await model.model.stream(request) { delta in
                    // Asked per delta: a live subscriber may join mid-call.
                    if case .text(let text) = delta, state.sink.wantsTextDeltas {
                        await state.emit(path, .textDelta(text))
                    }
                }
            } else {
                response = try await model.model.complete(request)
            }
        } catch let error as ProviderError {
            if error.code == .cancelled || Task.isCancelled { throw EngineError.cancelled }
            if error.code == .timeout, await state.elapsed.seconds >= environment.limits.maxWallTimeSeconds {
                try await state.checkLimits()
            }
            throw EngineError.model(error)
        } catch is CancellationError {
            throw EngineError.cancelled
        }
        return response
    }
}
