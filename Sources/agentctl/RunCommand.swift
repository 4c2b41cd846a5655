import AgentRuntime
import Agents
import ArgumentParser
import Foundation

/// `agentctl run` and `agentctl invoke`: run a crew (or one agent) and store the run.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a crew.",
        discussion:
            "Progress goes to stderr, the final output to stdout. Exit status: 0 succeeded, 4 failed, 130 cancelled, 1 invalid inputs or configuration, 2 unknown crew."
    )

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var engine: EngineOptions
    @Argument(help: "The crew id.") var crewID: String
    @Option(name: .customLong("input"), help: "An input as key=value (repeatable).") var inputs: [String] = []
    @Option(name: .long, help: "A JSON file of inputs.") var inputsFile: String?
    @Flag(name: .long, help: "Print the result as JSON on stdout.") var json = false
    @Flag(name: .long, help: "Call no model: print each task's full prompt and the tools it would be offered.")
    var dryRun = false
    @Flag(name: .long, help: "Also print successful tool results.") var verbose = false

    func run() async throws {
        let loaded = try catalog.loadCatalogForReading()
        guard let crew = loaded.crew(CrewID(crewID)) else {
            let hint = loaded.suggestCrew(for: crewID).map { "; did you mean \"\($0)\"?" } ?? ""
            Console.error("error: unknown crew \"\(crewID)\"\(hint)")
            throw ExitCode(ExitStatus.notFound)
        }
        let values = try InputParser.parse(pairs: inputs, file: inputsFile)
        try await Runner(
            catalog: loaded, catalogOptions: catalog, runtime: runtime, engine: engine, json: json, dryRun: dryRun,
            verbose: verbose
        ).execute(crew, inputs: values)
    }
}

/// `agentctl invoke`: one agent, one prompt.
struct InvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke", abstract: "Ask one agent to do one thing (a one-task run).",
        discussion: "Same output and exit statuses as `run`.")

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var engine: EngineOptions
    @Argument(help: "The agent id.") var agentID: String
    @Argument(help: "The request.") var prompt: String
    @Option(name: .customLong("input"), help: "An input as key=value for {placeholders} (repeatable).") var inputs:
        [String] = []
    @Flag(name: .long, help: "Print the result as JSON on stdout.") var json = false
    @Flag(name: .long, help: "Call no model: print the prompt and tools.") var dryRun = false
    @Flag(name: .long, help: "Also print successful tool results.") var verbose = false

    func run() async throws {
        let loaded = try catalog.loadCatalogForReading()
        guard let agent = loaded.agent(AgentID(agentID)) else {
            let hint = loaded.suggestAgent(for: agentID).map { "; did you mean \"\($0)\"?" } ?? ""
            Console.error("error: unknown agent \"\(agentID)\"\(hint)")
            throw ExitCode(ExitStatus.notFound)
        }
        let values = try InputParser.parse(pairs: inputs, file: nil)
        let crew = CrewRunner.invocation(of: agent, prompt: prompt, inputs: values)
        try await Runner(
            catalog: loaded, catalogOptions: catalog, runtime: runtime, engine: engine, json: json, dryRun: dryRun,
            verbose: verbose
        ).execute(crew, inputs: values)
    }
}

/// The shared body of `run` and `invoke`.
struct Runner {
    let catalog: Catalog
    let catalogOptions: CatalogOptions
    let runtime: RuntimeOptions
    let engine: EngineOptions
    let json: Bool
    let dryRun: Bool
    let verbose: Bool
    /// Whether the final output goes to stdout (replay prints its own report instead).
    var printsOutput = true
    /// Who the run acts for instead of `--tenant`/`--role` (a replay: the recorded run's principal).
    var principal: Principal?
    /// Where tool calls are answered from instead of the tools (a replay: the recorded run).
    var toolRecording: (any ToolCallRecording)?

    /// Runs `crew` and stores it; `agents` (default: the catalog) and `models` (default: the configured providers) may be replaced.
    @discardableResult
    func execute(
        _ crew: CrewDefinition, inputs: [String: JSONValue],
        agents override: (@Sendable (AgentID) -> AgentDefinition?)? = nil,
        models: ((any ModelResolver) -> any ModelResolver)? = nil, exitOnFailure: Bool = true
    ) async throws -> RunResult? {
        let catalog = self.catalog
        let agents: @Sendable (AgentID) -> AgentDefinition? = override ?? { catalog.agent($0) }
        let tenants = catalogOptions.loadTenants()
        try engine.checkTenant(tenants, crew: crew, agents: agents)
        let store = dryRun ? nil : try await engine.openStore(runtime: runtime)
        var environment = try await engine.environment(
            runtime: runtime, catalog: catalogOptions, tenants: tenants, store: store, streaming: true)
        if let models { environment.models = models(environment.models) }
        environment.toolRecording = toolRecording
        let runner = CrewRunner(environment: environment)
        if dryRun {
            try printPlan(try await plan(runner, crew, inputs, agents))
            return nil
        }
        do { _ = try CrewRunner.resolveInputs(crew, inputs) } catch let error as EngineError {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.invalid)
        }
        guard let store else { return nil }
        let principal = self.principal ?? engine.principal
        let lifecycle = RunLifecycle(store: store)
        let (record, definition) = try await lifecycle.submit(
            crew, inputs: inputs, principal: principal, agents: agents)
        let result = try await Self.follow(
            lifecycle, record: record, definition: definition, environment: environment, store: store, verbose: verbose)
        return try Self.report(
            result, of: record.id, json: json, printsOutput: printsOutput, exitOnFailure: exitOnFailure)
    }

    /// Prints the output (stdout) and a summary (stderr); exits with the run's status unless told not to.
    static func report(
        _ result: RunResult, of runID: RunID, json: Bool, printsOutput: Bool = true, exitOnFailure: Bool = true
    ) throws -> RunResult {
        if !printsOutput {
        } else if json {
            Console.print(RunJSON.result(result).serialized(pretty: true))
        } else if let output = result.output {
            Console.print(output)
        }
        Console.error(
            String(
                format: "run %@ %@ · %d tokens · $%.6f · %.1f s", runID.rawValue, result.status.rawValue,
                result.usage.totalTokens, result.costUSD, result.duration.seconds))
        guard exitOnFailure else { return result }
        switch result.status {
        case .succeeded: return result
        case .cancelled: throw ExitCode(ExitStatus.cancelled)
        default: throw ExitCode(ExitStatus.runFailed)
        }
    }

    /// Runs the current attempt in the foreground with progress on stderr; Ctrl-C cancels it.
    static func follow(
        _ lifecycle: RunLifecycle, record: RunRecord, definition: RunDefinition, environment: EngineEnvironment,
        store: any PlatformStore, verbose: Bool
    ) async throws -> RunResult {
        let sinks: [any EventSink] = [
            AuditEventSink(
                store: store, principal: definition.principal, recordsResults: environment.audit == nil),
            ProgressPrinter(verbose: verbose),
        ]
        let task = Task {
            await lifecycle.execute(record, definition: definition, environment: environment, sinks: sinks)
        }
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler { task.cancel() }
        interrupt.resume()
        defer { interrupt.cancel() }
        switch await task.value {
        case .success(let result): return result
        case .failure(let error):
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.invalid)
        }
    }

    private func plan(
        _ runner: CrewRunner, _ crew: CrewDefinition, _ inputs: [String: JSONValue],
        _ agents: @escaping @Sendable (AgentID) -> AgentDefinition?
    ) async throws -> [PlannedTask] {
        do { return try await runner.plan(crew, inputs: inputs, principal: engine.principal, agents: agents) } catch let
            error as EngineError
        {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.invalid)
        }
    }

    private func printPlan(_ plan: [PlannedTask]) throws {
        if json {
            Console.print(
                JSONValue.array(
                    plan.map { task in
                        [
                            "task": .string(task.task.rawValue), "agent": .string(task.agent),
                            "model": task.model.map(JSONValue.string) ?? .null,
                            "system": .string(task.system), "user": .string(task.user),
                            "tools": .array(task.tools.map { .string($0) }),
                            "coworkers": .array(
                                task.coworkers.map {
                                    ["id": .string($0.id), "tools": .array($0.tools.map { .string($0) })]
                                }),
                        ]
                    }
                ).serialized(pretty: true))
            return
        }
        for (index, task) in plan.enumerated() {
            var lines = [
                "=== task \(index + 1): \(task.task) · agent \(task.agent) · model \(task.model ?? "(default)")",
                "--- system", task.system, "--- user", task.user,
            ]
            lines.append("--- tools: \(task.tools.isEmpty ? "(none)" : task.tools.joined(separator: ", "))")
            for coworker in task.coworkers {
                lines.append(
                    "--- coworker \(coworker.id) tools: \(coworker.tools.isEmpty ? "(none)" : coworker.tools.joined(separator: ", "))"
                )
            }
            Console.print(lines.joined(separator: "\n") + "\n")
        }
    }
}
