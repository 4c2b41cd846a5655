import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Tools

/// `agentctl replay`: re-run a recorded run with edited definitions; unchanged model calls come from the recording.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run a recorded crew run with edited agent files, calling the model only where a prompt changed.",
        discussion:
            "Prints, per task, whether the output changed (with a line diff), and tokens and cost against the original run. The replay is stored as a new run."
    )

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var engine: EngineOptions
    @Argument(help: "The recorded run.") var runID: String
    @Option(name: .customLong("agent-file"), help: "An edited agent file to use instead of the catalog's (repeatable).")
    var agentFiles: [String] = []
    @Flag(name: .long, help: "Print the comparison as JSON.") var json = false

    func run() async throws {
        let store = try await engine.openStore(runtime: runtime)
        guard let original = try await store.run(RunID(runID), tenant: TenantID(engine.tenant)) else {
            Console.error("error: no run \"\(runID)\" for tenant \(engine.tenant)")
            throw ExitCode(ExitStatus.notFound)
        }
        let loaded = try catalog.loadCatalogForReading()
        guard let crew = loaded.crew(CrewID(original.crew)) else {
            Console.error(
                "error: run \(runID) ran \"\(original.crew)\", which is not a crew of the catalog (replay re-runs crew runs)"
            )
            throw ExitCode(ExitStatus.notFound)
        }
        var overrides: [AgentID: AgentDefinition] = [:]
        for path in agentFiles {
            let agent = try Self.loadAgentFile(path)
            overrides[agent.id] = agent
        }
        let frozen = overrides
        let lookup: @Sendable (AgentID) -> AgentDefinition? = { frozen[$0] ?? loaded.agent($0) }
        let exchanges = try await store.exchanges(of: original.id)
        guard !exchanges.isEmpty else {
            Console.error("error: run \(runID) has no recorded model exchanges")
            throw ExitCode(ExitStatus.notFound)
        }
        let ledger = ReplayLedger(exchanges)
        var inputs: [String: JSONValue] = [:]
        if case .object(let object) = original.inputs { for member in object { inputs[member.key] = member.value } }
        var runner = Runner(
            catalog: loaded, catalogOptions: catalog, runtime: runtime, engine: engine, json: false, dryRun: false,
            verbose: false)
        runner.printsOutput = false
        guard
            let result = try await runner.execute(
                crew, inputs: inputs, agents: lookup, models: { ReplayModelResolver(base: $0, ledger: ledger) },
                exitOnFailure: false)
        else { return }
        let before = try await store.tasks(of: original.id)
        try print(
            comparison(
                before: before, after: result.tasks, served: await ledger.served, live: await ledger.live,
                original: original, result: result))
    }

    /// Decodes and validates one agent file (its folder is its category).
    static func loadAgentFile(_ path: String) throws -> AgentDefinition {
        let url = URL(fileURLWithPath: path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            Console.error("error: cannot read \(path)")
            throw ExitCode(ExitStatus.notFound)
        }
        let source = DefinitionSource(
            displayPath: path, stem: url.deletingPathExtension().lastPathComponent,
            kind: .agent(category: url.deletingLastPathComponent().lastPathComponent),
            bytes: [UInt8](data))
        let checked = CatalogValidator(knownTools: ToolRegistry.standardIDs, knowledgeCollections: nil).validate([
            source
        ])
        for diagnostic in checked.diagnostics { Console.error(diagnostic.formatted) }
        guard checked.isValid, let agent = checked.agents.first else { throw ExitCode(ExitStatus.invalid) }
        return agent
    }

    private func print(_ text: String) throws { Console.print(text) }

    private func comparison(
        before: [TaskOutput], after: [TaskOutput], served: Int, live: Int, original: RunRecord, result: RunResult
    ) -> String {
        let previous = Dictionary(uniqueKeysWithValues: before.map { ($0.task, $0) })
        if json {
            return JSONValue.object([
                "original_run": .string(original.id.rawValue), "replay_run": .string(result.runID.rawValue),
                "status": .string(result.status.rawValue),
                "served_from_recording": .int(served), "live_calls": .int(live),
                "tasks": .array(
                    after.map { task in
                        let old = previous[task.task]
                        return [
                            "task": .string(task.task.rawValue), "changed": .bool(old?.text != task.text),
                            "tokens_before": .int(old?.usage.totalTokens ?? 0),
                            "tokens_after": .int(task.usage.totalTokens),
                            "cost_before": .double(old?.costUSD ?? 0), "cost_after": .double(task.costUSD),
                        ]
                    }),
            ]).serialized(pretty: true)
        }
        var lines = [
            "replay of \(original.id) as \(result.runID): \(result.status.rawValue) · \(served) model call(s) from the recording, \(live) live"
        ]
        for task in after {
            let old = previous[task.task]
            let changed = old?.text != task.text
            lines.append(
                String(
                    format: "task %@: %@ · tokens %d → %d · cost $%.6f → $%.6f", task.task.rawValue,
                    changed ? "changed" : "unchanged",
                    old?.usage.totalTokens ?? 0, task.usage.totalTokens, old?.costUSD ?? 0, task.costUSD))
            if changed { lines += LineDiff.lines(old?.text ?? "", task.text).map { "    " + $0 } }
        }
        return lines.joined(separator: "\n")
    }
}

/// A small line diff (longest common subsequence), `- ` removed, `+ ` added, `  ` kept.
enum LineDiff {
    static func lines(_ old: String, _ new: String) -> [String] {
        let a = old.components(separatedBy: "\n")
        let b = new.components(separatedBy: "\n")
        guard a.count * b.count <= 4_000_000 else { return a.map { "- " + $0 } + b.map { "+ " + $0 } }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var result: [String] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                result.append("  " + a[i])
                i += 1
                j += 1
            } else if i < a.count, j == b.count || table[i + 1][j] >= table[i][j + 1] {
                result.append("- " + a[i])
                i += 1
            } else {
                result.append("+ " + b[j])
                j += 1
            }
        }
        return result
    }
}
