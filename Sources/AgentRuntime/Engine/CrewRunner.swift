import Foundation

/// Runs crews: sequential (tasks in order, each seeing earlier outputs) and
/// hierarchical (a manager delegating to coworkers through two synthesised
/// tools). Each run builds its own state; definitions are only read, so one
/// runner and one crew serve any number of concurrent runs.
public struct CrewRunner: Sendable {
    /// The adapters.
    public let environment: EngineEnvironment

    /// Creates a runner.
    public init(environment: EngineEnvironment) { self.environment = environment }

    /// The two delegation tool names offered to managers.
    public static let delegateToolName = "delegate_work"
    /// See ``delegateToolName``.
    public static let askToolName = "ask_question"

    /// Input values with declared defaults applied, as text for placeholders.
    /// Throws ``EngineError/missingInputs(_:)`` before anything runs.
    public static func resolveInputs(_ crew: CrewDefinition, _ inputs: [String: JSONValue]) throws -> [String: String] {
        let unknown = inputs.keys.filter { crew.input(named: $0) == nil }.sorted()
        if !unknown.isEmpty { throw EngineError.unknownInputs(unknown) }
        var values: [String: String] = [:]
        var missing: [String] = []
        for input in crew.inputs {
            if let value = inputs[input.name] ?? input.defaultValue {
                values[input.name] = value.stringValue ?? value.serialized()
            } else if input.isRequired {
                missing.append(input.name)
            }
        }
        if !missing.isEmpty { throw EngineError.missingInputs(missing) }
        return values
    }

    /// A one-task crew that puts `prompt` to `agent` (the playground's "invoke").
    public static func invocation(of agent: AgentDefinition, prompt: String, inputs: [String: JSONValue] = [:]) -> CrewDefinition {
        var names = Set(Template.names(in: prompt))
        for text in [agent.role, agent.goal, agent.backstory] { names.formUnion(Template.names(in: text)) }
        names.formUnion(inputs.keys)
        return CrewDefinition(
            id: CrewID("invoke:\(agent.id)"), name: agent.name, process: .sequential, agents: [agent.id],
            inputs: names.sorted().map { CrewInput(name: $0, isRequired: true) },
            tasks: [CrewTask(id: "answer", description: prompt, expectedOutput: "A complete, helpful answer to the request.", agent: agent.id)])
    }

    /// Runs `crew` for `principal`. Invalid inputs or agents throw before anything starts;
    /// everything later ends in the result's status (failed, cancelled, succeeded).
    public func run(
        _ crew: CrewDefinition, inputs: [String: JSONValue], principal: Principal,
        agents: @escaping @Sendable (AgentID) -> AgentDefinition?, runID: RunID = RunID(UUID().uuidString.lowercased()),
        sink: any EventSink, journal: (any RunJournal)? = nil, attempt: Int = 1, eventsAfter: Int = 0
    ) async throws -> RunResult {
        let values = try Self.resolveInputs(crew, inputs)
        for id in crew.agents + [crew.manager].compactMap({ $0 }) where agents(id) == nil {
            throw EngineError.unknownAgent(id)
        }
        var session: JournalSession?
        if let journal {
            do { session = try await JournalSession(runID: runID, journal: journal, attempt: attempt) } catch {
                throw EngineError.journalUnavailable(String(describing: error))
            }
        }
        let state = RunState(runID: runID, limits: environment.limits, sink: sink, journal: session, eventsAfter: eventsAfter)
        let started = ContinuousClock.now
        await state.emit([], .runStarted(crew: crew.id.rawValue, inputs: .object(JSONObject(inputs.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }))))
        let outputs = TaskOutputs()
        let execution = Execution(crew: crew, values: values, principal: principal, agents: agents, state: state, outputs: outputs, environment: environment)
        var failure: EngineError?
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await execution.run() }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int(environment.limits.maxWallTimeSeconds * 1000)))
                    throw EngineError.budgetExceeded(
                        limit: "max_wall_time_seconds", detail: "the run took longer than \(environment.limits.maxWallTimeSeconds.compact) s")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let error as EngineError {
            failure = error
        } catch is CancellationError {
            failure = .cancelled
        } catch {
            failure = .modelUnavailable(String(describing: error))
        }
        if Task.isCancelled, failure != nil { failure = .cancelled }
        let finished = await outputs.sorted(by: crew.tasks.map(\.id))
        let status: RunStatus
        switch failure {
        case nil:
            status = .succeeded
            await state.emit([], .runFinished(status: .succeeded, output: finished.last?.text))
        case .cancelled?:
            status = .cancelled
            await state.emit([], .runCancelled(reason: "cancelled by the caller"))
        case .awaitingApproval?:
            // Not an end: the run is carried on from its journal once a human decides.
            status = .awaitingApproval
        case let error?:
            status = .failed
            await state.emit([], .runFailed(code: error.code, message: error.description))
        }
        await state.finishDelivery()
        return RunResult(
            runID: runID, crew: crew.id.rawValue, status: status, output: status == .succeeded ? finished.last?.text : nil,
            outputJSON: status == .succeeded ? finished.last?.json : nil, tasks: finished, usage: await state.usage,
            costUSD: await state.cost, byAgent: await state.byAgent, byModel: await state.byModel, error: failure,
            duration: ContinuousClock.now - started)
    }
}

/// Finished task outputs of one run (kept when a later task fails).
actor TaskOutputs {
    private var items: [TaskID: TaskOutput] = [:]
    func add(_ output: TaskOutput) { items[output.task] = output }
    func get(_ id: TaskID) -> TaskOutput? { items[id] }
    func sorted(by order: [TaskID]) -> [TaskOutput] { order.compactMap { items[$0] } }
}

/// One run's execution of its tasks.
struct Execution: Sendable {
    let crew: CrewDefinition
    let values: [String: String]
    let principal: Principal
    let agents: @Sendable (AgentID) -> AgentDefinition?
    let state: RunState
    let outputs: TaskOutputs
    let environment: EngineEnvironment

    func run() async throws {
        switch crew.process {
        case .sequential: try await runSequential()
        case .hierarchical:
            for task in crew.tasks { try await runTask(task) }
        }
    }

    /// The ids a task's context needs: its `context`, or every earlier task.
    private func dependencies(_ index: Int) -> [TaskID] {
        crew.tasks[index].context ?? crew.tasks[..<index].map(\.id)
    }

    /// Tasks in order; consecutive async tasks whose context is ready run together.
    private func runSequential() async throws {
        var index = 0
        while index < crew.tasks.count {
            var batch = [index]
            if crew.tasks[index].isAsync {
                var next = index + 1
                while next < crew.tasks.count, crew.tasks[next].isAsync {
                    let batchIDs = Set(batch.map { crew.tasks[$0].id })
                    guard dependencies(next).allSatisfy({ !batchIDs.contains($0) }) else { break }
                    batch.append(next)
                    next += 1
                }
            }
            if batch.count == 1 {
                try await runTask(crew.tasks[index])
            } else {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for position in batch {
                        let task = crew.tasks[position]
                        group.addTask { try await runTask(task) }
                    }
                    try await group.waitForAll()
                }
            }
            index += batch.count
        }
    }

    private func context(for task: CrewTask) async -> [PromptBuilder.ContextItem] {
        let position = crew.tasks.firstIndex { $0.id == task.id } ?? 0
        var items: [PromptBuilder.ContextItem] = []
        for id in dependencies(position) {
            if let output = await outputs.get(id) { items.append(PromptBuilder.ContextItem(task: id.rawValue, output: output.text)) }
        }
        return items
    }

    private func render(_ text: String) -> String { Template.render(text, values: values).text }

    /// The agent's most relevant knowledge for `query`, within the token budget, with citations.
    func knowledgeText(for agent: AgentDefinition, query: String) async -> String? {
        guard !agent.knowledge.isEmpty, let retriever = environment.knowledge else { return nil }
        let snippets = await retriever.search(query, collections: agent.knowledge, tenant: principal.tenant, limit: 8)
        let section = PromptBuilder.knowledgeSection(snippets, tokenBudget: environment.knowledgeTokenBudget)
        return section.used.isEmpty ? nil : section.text
    }

    private func resolve(_ agent: AgentDefinition) async throws -> ResolvedModel {
        do {
            return try await environment.models.resolve(agent.model, principal: principal)
        } catch let error as ModelResolutionError {
            throw EngineError.modelUnavailable(error.description)
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError.modelUnavailable(String(describing: error))
        }
    }

    /// The tools offered to `agent` (or the task's override): registered, and allowed by policy.
    func offeredTools(for agent: AgentDefinition, override: [ToolID]?) async -> [OfferedTool] {
        var offered: [OfferedTool] = []
        for id in override ?? agent.tools {
            guard let tool = environment.tools.tool(id) else { continue }
            guard case .allow = await environment.policy.decide(tool.spec, agent: agent, principal: principal) else { continue }
            let name = ToolNaming.modelName(id)
            offered.append(OfferedTool(modelName: name, chatTool: ChatTool(name: name, description: tool.spec.description, parameters: tool.spec.parameters), handler: .tool(tool)))
        }
        return offered
    }

    private func responseFormat(_ task: CrewTask) -> ResponseFormat {
        guard let schema = task.outputSchema else { return .text }
        return .jsonSchema(name: task.id.rawValue.replacingOccurrences(of: "-", with: "_"), schema: schema)
    }

    private func runTask(_ task: CrewTask) async throws {
        let started = ContinuousClock.now
        let meter = UsageMeter()
        let description = render(task.description)
        let expected = render(task.expectedOutput)
        let context = await context(for: task)
        let worker: AgentDefinition
        let tools: [OfferedTool]
        switch crew.process {
        case .sequential:
            worker = PromptBuilder.render(agents(task.agent!)!, values: values)
            tools = await offeredTools(for: worker, override: task.tools)
        case .hierarchical:
            worker = manager()
            tools = delegationTools(for: task, manager: worker, expectedOutput: expected, meter: meter)
        }
        let path = [worker.id.rawValue]
        await state.emit(path, .taskStarted(task: task.id.rawValue, agent: worker.id.rawValue))
        let system = PromptBuilder.system(for: worker)
        let knowledge = await knowledgeText(for: worker, query: description + "\n" + expected)
        let user = PromptBuilder.task(description: description, expectedOutput: expected, context: context, outputSchema: task.outputSchema, knowledge: knowledge)
        await state.emit(path, .prompt(system: system, user: user, tools: tools.map(\.modelName)))
        let loop = AgentLoop(
            agent: worker, model: try await resolve(worker), tools: tools, path: path, task: task.id.rawValue, state: state,
            environment: environment, principal: principal, responseFormat: responseFormat(task), meter: meter)
        var (text, messages) = try await loop.run([.system(system), .user(user)])
        var json: JSONValue?
        (text, json) = try await finalize(task, loop: loop, text: text, messages: &messages)
        let output = TaskOutput(
            task: task.id, agent: worker.id.rawValue, text: text, json: json, usage: await meter.usage, costUSD: await meter.cost,
            duration: ContinuousClock.now - started)
        await outputs.add(output)
        await state.emit(path, .taskFinished(task: task.id.rawValue, agent: worker.id.rawValue, output: text, usage: output.usage, costUSD: output.costUSD))
    }

    /// Checks the output against the task's schema and guardrail, asking the agent to revise (capped).
    private func finalize(_ task: CrewTask, loop: AgentLoop, text: String, messages: inout [Message]) async throws -> (String, JSONValue?) {
        var text = text
        var outputRetries = 0
        var guardrailRetries = 0
        while true {
            var json: JSONValue?
            if let schema = task.outputSchema {
                var problem: String?
                if let value = Self.extractJSON(text) {
                    let violations = JSONSchemaValidator(schema).validate(value)
                    if violations.isEmpty { json = value } else { problem = violations.map(\.description).joined(separator: "; ") }
                } else {
                    problem = "the answer is not valid JSON"
                }
                if let problem {
                    await state.emit(loop.path, .guardrailVerdict(task: task.id.rawValue, passed: false, feedback: "output schema: \(problem)"))
                    guard outputRetries < environment.limits.maxOutputRetries else { throw EngineError.invalidOutput(task: task.id.rawValue, detail: problem) }
                    outputRetries += 1
                    messages.append(.user("Your final answer does not match the required JSON Schema: \(problem). Reply with only the corrected JSON value."))
                    (text, messages) = try await loop.run(messages)
                    continue
                }
                text = json!.serialized(pretty: true)
            }
            if let guardrail = task.guardrail {
                let (passed, feedback) = try await review(text, against: guardrail, loop: loop)
                await state.emit(loop.path, .guardrailVerdict(task: task.id.rawValue, passed: passed, feedback: feedback))
                if !passed {
                    guard guardrailRetries < environment.limits.maxGuardrailRetries else { throw EngineError.guardrailFailed(task: task.id.rawValue, feedback: feedback) }
                    guardrailRetries += 1
                    messages.append(.user("Your answer did not pass review: \(feedback)\nRevise your final answer so that it satisfies this requirement: \(guardrail)"))
                    (text, messages) = try await loop.run(messages)
                    continue
                }
            }
            return (text, json)
        }
    }

    static let verdictSchema = JSONSchema.object(["passed": ["type": "boolean"], "feedback": ["type": "string"]], required: ["passed", "feedback"])

    /// Asks the agent's model whether `text` satisfies `guardrail`.
    private func review(_ text: String, against guardrail: String, loop: AgentLoop) async throws -> (Bool, String) {
        let reviewer = AgentLoop(
            agent: loop.agent, model: loop.model, tools: [], path: loop.path, task: loop.task, state: state, environment: environment,
            principal: principal, responseFormat: .jsonSchema(name: "verdict", schema: Self.verdictSchema), meter: loop.meter)
        let messages: [Message] = [
            .system("You are a strict, fair reviewer. You check a piece of work against one requirement and say whether it passes."),
            .user("Requirement: \(guardrail)\n\nWork to check:\n\(text)\n\nDoes the work satisfy the requirement? Answer with only JSON: {\"passed\": true or false, \"feedback\": \"what is wrong and how to fix it, or why it passes\"}."),
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

    // MARK: Hierarchical

    /// The crew's manager agent, or the built-in manager.
    func manager() -> AgentDefinition {
        if let id = crew.manager, let agent = agents(id) { return PromptBuilder.render(agent, values: values) }
        return AgentDefinition(
            id: "manager", name: "Crew Manager", category: "orchestration", role: "Crew Manager",
            goal: "Get the task done to the expected standard by delegating to the right coworkers and checking their work.",
            backstory: "You are an experienced manager who gets the best out of a team. You split work into clear assignments, give each coworker everything they need to know (they cannot see this conversation), review what comes back critically against the expected output, and ask for rework when it falls short. You write the final answer yourself, using your coworkers' results.",
            model: crew.managerModel ?? environment.defaultManagerModel, temperature: 0.3, maxIterations: 15, allowDelegation: true)
    }

    /// The coworkers a task may use: the task's agent only when it names one.
    func coworkers(for task: CrewTask) -> [AgentDefinition] {
        let ids = task.agent.map { [$0] } ?? crew.agents
        return ids.compactMap { agents($0).map { PromptBuilder.render($0, values: values) } }
    }

    static func normalize(_ text: String) -> String {
        text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    private func delegationTools(for task: CrewTask, manager: AgentDefinition, expectedOutput: String, meter: UsageMeter) -> [OfferedTool] {
        let coworkers = coworkers(for: task)
        let names = coworkers.map { "\($0.id) (\($0.role))" }.joined(separator: "; ")
        let coworkerProperty: JSONValue = [
            "type": "string", "enum": .array(coworkers.map { .string($0.id.rawValue) }),
            "description": .string("The coworker, by id: \(names)"),
        ]
        let delegateSchema = JSONSchema.object(
            [
                "task": ["type": "string", "description": "What the coworker must do, specifically"],
                "context": ["type": "string", "description": "Everything the coworker needs to know; they cannot see this conversation"],
                "coworker": coworkerProperty,
            ], required: ["task", "context", "coworker"])
        let askSchema = JSONSchema.object(
            [
                "question": ["type": "string", "description": "The question"],
                "context": ["type": "string", "description": "Everything the coworker needs to know to answer"],
                "coworker": coworkerProperty,
            ], required: ["question", "context", "coworker"])
        func handler(_ kind: String) -> @Sendable (JSONValue, String) async throws -> ToolResult {
            { arguments, _ in
                try await delegate(kind: kind, arguments: arguments, coworkers: coworkers, manager: manager, expectedOutput: expectedOutput, meter: meter)
            }
        }
        return [
            OfferedTool(
                modelName: CrewRunner.delegateToolName,
                chatTool: ChatTool(name: CrewRunner.delegateToolName, description: "Delegate a specific task to one of your coworkers: \(names). Give them the full context; they know nothing else.", parameters: delegateSchema),
                handler: .synthesized(handler("delegate"))),
            OfferedTool(
                modelName: CrewRunner.askToolName,
                chatTool: ChatTool(name: CrewRunner.askToolName, description: "Ask one of your coworkers a question: \(names). Give them the full context; they know nothing else.", parameters: askSchema),
                handler: .synthesized(handler("ask"))),
        ]
    }

    private func delegate(
        kind: String, arguments: JSONValue, coworkers: [AgentDefinition], manager: AgentDefinition, expectedOutput: String, meter: UsageMeter
    ) async throws -> ToolResult {
        let valid = coworkers.map { "\($0.id) (\($0.role))" }.joined(separator: ", ")
        let requested = arguments["coworker"]?.stringValue ?? ""
        let wanted = Self.normalize(requested)
        guard let coworker = coworkers.first(where: { Self.normalize($0.id.rawValue) == wanted || Self.normalize($0.role) == wanted }) else {
            throw ToolError("unknown coworker \"\(requested)\". Valid coworkers: \(valid)")
        }
        let work = (kind == "ask" ? arguments["question"] : arguments["task"])?.stringValue ?? ""
        guard !work.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ToolError(kind == "ask" ? "\"question\" must not be empty" : "\"task\" must not be empty")
        }
        try await state.beginDelegation()
        let path = [manager.id.rawValue, coworker.id.rawValue]
        await state.emit(path, .delegationStarted(coworker: coworker.id.rawValue, kind: kind, task: work))
        let system = PromptBuilder.system(for: coworker)
        let expected = kind == "ask" ? "A clear, direct answer to the question." : expectedOutput
        let user = PromptBuilder.task(
            description: work, expectedOutput: expected, context: [], outputSchema: nil, extraContext: arguments["context"]?.stringValue,
            knowledge: await knowledgeText(for: coworker, query: work + "\n" + expected))
        let tools = await offeredTools(for: coworker, override: nil)
        await state.emit(path, .prompt(system: system, user: user, tools: tools.map(\.modelName)))
        let loop = AgentLoop(
            agent: coworker, model: try await resolve(coworker), tools: tools, path: path, task: "delegated", state: state,
            environment: environment, principal: principal, responseFormat: .text, meter: meter)
        let (text, _) = try await loop.run([.system(system), .user(user)])
        await state.emit(path, .delegationFinished(coworker: coworker.id.rawValue, output: String(text.prefix(2000))))
        return ToolResult(content: text)
    }
}
