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

    /// The delegation tool offered to managers (``DelegationKind/delegate``).
    public static let delegateToolName = DelegationKind.delegate.toolName
    /// The question tool offered to managers (``DelegationKind/ask``).
    public static let askToolName = DelegationKind.ask.toolName

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
    public static func invocation(
        of agent: AgentDefinition, prompt: String, inputs: [String: JSONValue] = [:]
    ) -> CrewDefinition {
        var names = Set(Template.names(in: prompt))
        for text in [agent.role, agent.goal, agent.backstory] { names.formUnion(Template.names(in: text)) }
        names.formUnion(inputs.keys)
        return CrewDefinition(
            id: CrewID("invoke:\(agent.id)"), name: agent.name, process: .sequential, agents: [agent.id],
            inputs: names.sorted().map { CrewInput(name: $0, isRequired: true) },
            tasks: [
                CrewTask(
                    id: "answer", description: prompt, expectedOutput: "A complete, helpful answer to the request.",
                    agent: agent.id)
            ])
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
        return try await traced(crew, runID: runID, principal: principal, attempt: attempt) {
            try await execute(
                crew, values: values, inputs: inputs, principal: principal, agents: agents, runID: runID, sink: sink,
                journal: journal, attempt: attempt, eventsAfter: eventsAfter)
        }
    }

    private func execute(
        _ crew: CrewDefinition, values: [String: String], inputs: [String: JSONValue], principal: Principal,
        agents: @escaping @Sendable (AgentID) -> AgentDefinition?, runID: RunID, sink: any EventSink,
        journal: (any RunJournal)?, attempt: Int, eventsAfter: Int
    ) async throws -> RunResult {
        var session: JournalSession?
        if let journal {
            do { session = try await JournalSession(runID: runID, journal: journal, attempt: attempt) } catch {
                throw EngineError.journalUnavailable(String(describing: error))
            }
        }
        let state = RunState(
            runID: runID, limits: environment.limits, sink: sink, journal: session, eventsAfter: eventsAfter,
            time: environment.time, crew: crew.id.rawValue)
        let started = environment.time.stopwatch()
        await state.emit(
            [],
            .runStarted(
                crew: crew.id.rawValue,
                inputs: .object(JSONObject(inputs.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }))))
        let outputs = TaskOutputs()
        let execution = Execution(
            crew: crew, values: values, principal: principal, agents: agents, state: state, outputs: outputs,
            environment: environment)
        var failure: EngineError?
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await execution.run() }
                group.addTask {
                    try await environment.time.sleep(
                        until: .milliseconds(Int(environment.limits.maxWallTimeSeconds * 1000)), on: started)
                    throw EngineError.budgetExceeded(
                        limit: "max_wall_time_seconds",
                        detail: "the run took longer than \(environment.limits.maxWallTimeSeconds.compact) s")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let error as EngineError {
            failure = error
        } catch is CancellationError {
            failure = .cancelled
        } catch {
            failure = .unexpected(String(describing: error))
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
            runID: runID, crew: crew.id.rawValue, status: status,
            output: status == .succeeded ? finished.last?.text : nil,
            outputJSON: status == .succeeded ? finished.last?.json : nil, tasks: finished, usage: await state.usage,
            costUSD: await state.cost, byAgent: await state.byAgent, byModel: await state.byModel, error: failure,
            duration: started.elapsed)
    }
}
