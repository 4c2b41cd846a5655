import Foundation

/// One run's execution of its tasks: which task runs when, and one task from prompt to recorded output.
///
/// Prompts and tools come from `Execution+Prompt.swift` (shared with the dry run), output checks from
/// `Execution+Output.swift`, and a manager's delegation tools from `Delegation.swift`.
struct Execution: Sendable {
    let crew: CrewDefinition
    let values: [String: String]
    let principal: Principal
    let agents: @Sendable (AgentID) -> AgentDefinition?
    let state: RunState
    let outputs: TaskOutputs
    let environment: EngineEnvironment

    func run() async throws {
        // Tasks in order in both processes; consecutive `async` tasks whose context is ready run together (under a
        // manager, each task has its own manager conversation).
        try await runSequential()
    }

    /// The ids a task's context needs: its `context`, or every earlier task.
    func dependencies(_ index: Int) -> [TaskID] {
        crew.tasks[index].context ?? crew.tasks[..<index].map(\.id)
    }

    /// Tasks in order; consecutive async tasks whose context is ready run together.
    private func runSequential() async throws {
        var index = 0
        while index < crew.tasks.count {
            let batch = asyncBatch(from: index)
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

    /// The positions that run together from `index`: the task alone, or the async tasks after it that do not need
    /// each other's output.
    func asyncBatch(from index: Int) -> [Int] {
        var batch = [index]
        guard crew.tasks[index].isAsync else { return batch }
        var next = index + 1
        while next < crew.tasks.count, crew.tasks[next].isAsync {
            let batchIDs = Set(batch.map { crew.tasks[$0].id })
            guard dependencies(next).allSatisfy({ !batchIDs.contains($0) }) else { break }
            batch.append(next)
            next += 1
        }
        return batch
    }

    /// The finished outputs a task sees.
    private func context(for task: CrewTask) async -> [PromptBuilder.ContextItem] {
        let position = crew.tasks.firstIndex { $0.id == task.id } ?? 0
        var items: [PromptBuilder.ContextItem] = []
        for id in dependencies(position) {
            if let output = await outputs.get(id) {
                items.append(PromptBuilder.ContextItem(task: id.rawValue, output: output.text))
            }
        }
        return items
    }

    /// The model for `agent`, its resolution failures as engine errors.
    func resolve(_ agent: AgentDefinition) async throws -> ResolvedModel {
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

    private func runTask(_ task: CrewTask) async throws {
        try await traced(task) { try await runUntraced(task) }
    }

    private func runUntraced(_ task: CrewTask) async throws {
        let started = environment.time.stopwatch()
        let meter = UsageMeter()
        let prompt = await prompt(for: task, context: await context(for: task), meter: meter)
        let worker = prompt.worker
        let path = [worker.id.rawValue]
        await state.emit(path, .taskStarted(task: task.id.rawValue, agent: worker.id.rawValue))
        await state.emit(path, .prompt(system: prompt.system, user: prompt.user, tools: prompt.tools.map(\.modelName)))
        var loop = AgentLoop(
            agent: worker, model: try await resolve(worker), tools: prompt.tools, path: path, task: task.id.rawValue,
            state: state,
            environment: environment, principal: principal, responseFormat: responseFormat(task), meter: meter)
        if crew.process == .hierarchical {
            // The manager's first turn on each task must call a tool, and an answer that follows no delegation is
            // sent back once (both per crew).
            loop.firstTurnToolChoice = crew.managerToolChoice?.toolChoice ?? .required
            if crew.managerReminder ?? true { loop.reminder = PromptBuilder.delegationReminder }
        }
        var (text, messages) = try await loop.run([.system(prompt.system), .user(prompt.user)])
        var json: JSONValue?
        // A retry after a failed check is the manager fixing its own answer: no forced call, no reminder.
        var retries = loop
        retries.firstTurnToolChoice = nil
        retries.reminder = nil
        (text, json) = try await finalize(task, loop: retries, text: text, messages: &messages)
        let output = TaskOutput(
            task: task.id, agent: worker.id.rawValue, text: text, json: json, usage: await meter.usage,
            costUSD: await meter.cost,
            duration: started.elapsed)
        await outputs.add(output)
        await state.emit(
            path,
            .taskFinished(
                task: task.id.rawValue, agent: worker.id.rawValue, output: text, usage: output.usage,
                costUSD: output.costUSD))
    }

    private func responseFormat(_ task: CrewTask) -> ResponseFormat {
        guard let schema = task.outputSchema else { return .text }
        return .jsonSchema(name: task.id.rawValue.replacingOccurrences(of: "-", with: "_"), schema: schema)
    }
}
