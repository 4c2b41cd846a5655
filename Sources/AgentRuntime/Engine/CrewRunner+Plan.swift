/// What a task would be given, without calling any model (`--dry-run`).
public struct PlannedTask: Hashable, Sendable {
    /// The task.
    public var task: TaskID
    /// Who runs it (the manager in hierarchical crews).
    public var agent: String
    /// The model it would use (nil: the default model).
    public var model: String?
    /// The exact system prompt.
    public var system: String
    /// The exact task prompt; earlier outputs appear as `<output of task "x">`.
    public var user: String
    /// The tool names offered to the model.
    public var tools: [String]
    /// For managers: each coworker and the tools it would be offered.
    public var coworkers: [(id: String, tools: [String])]

    /// Equal when every field is equal.
    public static func == (lhs: PlannedTask, rhs: PlannedTask) -> Bool {
        lhs.task == rhs.task && lhs.agent == rhs.agent && lhs.model == rhs.model && lhs.system == rhs.system
            && lhs.user == rhs.user
            && lhs.tools == rhs.tools && lhs.coworkers.map(\.id) == rhs.coworkers.map(\.id)
            && lhs.coworkers.map(\.tools) == rhs.coworkers.map(\.tools)
    }

    /// Hashes the identifying fields.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(task)
        hasher.combine(agent)
        hasher.combine(user)
    }
}

extension CrewRunner {
    /// The prompts and tools each task would get, without calling a model.
    public func plan(
        _ crew: CrewDefinition, inputs: [String: JSONValue], principal: Principal,
        agents: @escaping @Sendable (AgentID) -> AgentDefinition?
    ) async throws -> [PlannedTask] {
        let values = try Self.resolveInputs(crew, inputs)
        for id in crew.agents + [crew.manager].compactMap({ $0 }) where agents(id) == nil {
            throw EngineError.unknownAgent(id)
        }
        let execution = Execution(
            crew: crew, values: values, principal: principal, agents: agents,
            state: RunState(
                runID: "dry-run", limits: environment.limits, sink: FanOutEventSink([]), time: environment.time),
            outputs: TaskOutputs(),
            environment: environment)
        var planned: [PlannedTask] = []
        for (index, task) in crew.tasks.enumerated() {
            let context = execution.dependencies(index).map {
                PromptBuilder.ContextItem(task: $0.rawValue, output: "<output of task \"\($0)\">")
            }
            let prompt = await execution.prompt(for: task, context: context, meter: UsageMeter())
            var coworkers: [(id: String, tools: [String])] = []
            if crew.process == .hierarchical {
                for coworker in execution.coworkers(for: task) {
                    coworkers.append(
                        (
                            coworker.id.rawValue,
                            await execution.offeredTools(for: coworker, override: nil).map(\.modelName)
                        ))
                }
            }
            planned.append(
                PlannedTask(
                    task: task.id, agent: prompt.worker.id.rawValue, model: prompt.worker.model?.description,
                    system: prompt.system,
                    user: prompt.user, tools: prompt.tools.map(\.modelName), coworkers: coworkers))
        }
        return planned
    }
}
