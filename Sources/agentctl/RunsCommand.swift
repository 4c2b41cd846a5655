import AgentRuntime
import Agents
import ArgumentParser
import Foundation

/// `agentctl runs list|show|events`.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "Inspect stored runs.",
        subcommands: [List.self, Show.self, Events.self, Resume.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
        @OptionGroup var runtime: RuntimeOptions
        @OptionGroup var engine: EngineOptions
        @Option(name: .long, help: "Only runs with this status.") var status: String?
        @Option(name: .long, help: "Only runs of this crew.") var crew: String?
        @Option(name: .long, help: "How many.") var limit: Int = 20
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            var statusFilter: RunStatus?
            if let status {
                guard let parsed = RunStatus(rawValue: status) else {
                    throw ValidationError(
                        "--status must be one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                statusFilter = parsed
            }
            let store = try await engine.openStore(runtime: runtime)
            let runs = try await store.runs(
                tenant: TenantID(engine.tenant), user: nil, status: statusFilter, crew: crew, limit: limit, offset: 0)
            if json {
                Console.print(JSONValue.array(runs.map(RunJSON.record)).serialized(pretty: true))
                return
            }
            Console.print(
                Table.render(
                    header: ["RUN", "CREW", "STATUS", "TOKENS", "COST", "CREATED"],
                    rows: runs.map {
                        [
                            $0.id.rawValue, $0.crew, $0.status.rawValue, String($0.usage.totalTokens),
                            String(format: "$%.6f", $0.costUSD), $0.createdAt.formatted(.iso8601),
                        ]
                    }))
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Carry on a run that did not finish, from its journal.",
            discussion:
                "Steps the run already finished are answered from its journal (no model call is paid twice, no tool call is repeated); the rest run live, with the definitions the run started with. An interrupted run can always be resumed; one still marked running only with --force (when no process is running it: serve resumes its own at start-up). Same output and exit statuses as `run`."
        )
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var runtime: RuntimeOptions
        @OptionGroup var engine: EngineOptions
        @Argument(help: "The run id.") var runID: String
        @Flag(name: .long, help: "Resume a run still marked running (its process is gone).") var force = false
        @Flag(name: .long, help: "Print the result as JSON on stdout.") var json = false
        @Flag(name: .long, help: "Also print successful tool results.") var verbose = false

        func run() async throws {
            let store = try await engine.openStore(runtime: runtime)
            guard let existing = try await store.run(RunID(runID), tenant: TenantID(engine.tenant)) else {
                Console.error("error: no run \"\(runID)\" for tenant \(engine.tenant)")
                throw ExitCode(ExitStatus.notFound)
            }
            guard RunLifecycle.resumable(existing.status), existing.status != .running || force else {
                let hint =
                    existing.status == .running
                    ? " (if no process is running it any more, add --force)" : "; only unfinished runs can be resumed"
                Console.error("error: run \(runID) is \(existing.status.rawValue)\(hint)")
                throw ExitCode(ExitStatus.invalid)
            }
            let lifecycle = RunLifecycle(store: store)
            guard
                let prepared = try await lifecycle.prepareResume(existing.id, tenant: existing.tenant, force: force)
            else {
                Console.error(
                    "error: run \(runID) cannot be resumed: a live worker holds it (add --force if its process is gone), or it was started before runs kept their definitions"
                )
                throw ExitCode(ExitStatus.invalid)
            }
            let tenants = catalog.loadTenants()
            let environment = try await engine.environment(
                runtime: runtime, catalog: catalog, tenants: tenants, store: store, streaming: true)
            Console.error("resuming run \(runID) · attempt \(prepared.definition.attempt)")
            let result = try await Runner.follow(
                lifecycle, record: prepared.record, definition: prepared.definition, environment: environment,
                store: store, verbose: verbose)
            _ = try Runner.report(result, of: prepared.record.id, json: json)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run with its task outputs.")
        @OptionGroup var runtime: RuntimeOptions
        @OptionGroup var engine: EngineOptions
        @Argument(help: "The run id.") var runID: String
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let store = try await engine.openStore(runtime: runtime)
            guard let run = try await store.run(RunID(runID), tenant: TenantID(engine.tenant)) else {
                Console.error("error: no run \"\(runID)\" for tenant \(engine.tenant)")
                throw ExitCode(ExitStatus.notFound)
            }
            let tasks = try await store.tasks(of: run.id)
            let totals = RunUsageTotals(try await store.usageRecords(of: run.id))
            if json {
                var object = RunJSON.record(run)
                if case .object(var fields) = object {
                    fields["tasks"] = .array(tasks.map(RunJSON.task))
                    for member in totals.json { fields[member.key] = member.value }
                    object = .object(fields)
                }
                Console.print(object.serialized(pretty: true))
                return
            }
            var lines = [
                "run \(run.id) · crew \(run.crew) · \(run.status.rawValue)", "tenant \(run.tenant) · user \(run.user)",
                "inputs \(run.inputs.serialized())",
                String(format: "%d tokens · $%.6f", run.usage.totalTokens, run.costUSD),
            ]
            if let code = run.errorCode { lines.append("error \(code): \(run.errorMessage ?? "")") }
            for (title, groups) in [("agent", totals.byAgent), ("model", totals.byModel)] {
                for (key, total) in groups.sorted(by: { $0.key < $1.key }) {
                    lines.append(
                        String(
                            format: "by %@ %@: %d call(s) · %d tokens · $%.6f", title, key, total.calls,
                            total.usage.totalTokens, total.costUSD))
                }
            }
            for task in tasks {
                lines += [
                    "",
                    "--- \(task.task) (\(task.agent)) · \(task.usage.totalTokens) tokens · \(String(format: "$%.6f", task.costUSD))",
                    task.text,
                ]
            }
            Console.print(lines.joined(separator: "\n"))
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a run's events in order.")
        @OptionGroup var runtime: RuntimeOptions
        @OptionGroup var engine: EngineOptions
        @Argument(help: "The run id.") var runID: String
        @Option(name: .long, help: "Only events after this sequence number.") var after: Int = 0
        @Flag(name: .long, help: "Print JSON lines.") var json = false

        func run() async throws {
            let store = try await engine.openStore(runtime: runtime)
            guard try await store.run(RunID(runID), tenant: TenantID(engine.tenant)) != nil else {
                Console.error("error: no run \"\(runID)\" for tenant \(engine.tenant)")
                throw ExitCode(ExitStatus.notFound)
            }
            for event in try await store.events(of: RunID(runID), after: after) {
                if json {
                    Console.print(event.json.serialized())
                } else {
                    Console.print(
                        "\(event.sequence)\t\(event.timestamp.formatted(.iso8601))\t\(event.kind)\t\(event.agentPath)\t\(event.data.serialized().prefix(200))"
                    )
                }
            }
        }
    }
}
