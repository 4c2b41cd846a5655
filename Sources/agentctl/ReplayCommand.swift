import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Tools

/// `agentctl replay`: re-run a recorded run with edited definitions; unchanged model calls and every tool call come from
/// the recording.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run a recorded crew run with edited agent files, calling the model only where a prompt changed.",
        discussion:
            "Tool calls are answered from the recording (nothing is sent again; a call the recording lacks is refused and the model is told); --live-tools calls read tools live, and a write or admin tool the recording lacks only after a human approves it. The replay runs the recorded run's crew (as the catalog has it, else as stored with the run; --crew picks another catalog crew) for the recorded run's caller (--as-role changes the role), with the catalog's agents and any --agent-file; --model sends every call to another model. Prints, per task, whether the output changed (with a line diff), and tokens and cost against the original run. The replay is stored as a new run."
    )

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var engine: EngineOptions
    @Argument(help: "The recorded run.") var runID: String
    @Option(name: .customLong("agent-file"), help: "An edited agent file to use instead of the catalog's (repeatable).")
    var agentFiles: [String] = []
    @Flag(
        name: .customLong("live-tools"), help: "Call read tools live; a write tool the recording lacks needs approval.")
    var liveTools = false
    @Option(name: .long, help: "Replay the recorded inputs with this crew of the catalog instead of the recorded one.")
    var crew: String?
    @Option(
        name: .customLong("as-role"),
        help:
            "Replay with this role (tenant_user, tenant_admin, platform_admin, super_admin) instead of the recorded caller's."
    )
    var asRole: String?
    @Flag(name: .long, help: "Print the comparison as JSON.") var json = false

    func validate() throws {
        if let asRole, Role(rawValue: asRole) == nil {
            throw ValidationError(
                "--as-role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(asRole)\"")
        }
    }

    func run() async throws {
        let store = try await engine.openStore(runtime: runtime)
        guard let original = try await store.run(RunID(runID), tenant: TenantID(engine.tenant)) else {
            Console.error("error: no run \"\(runID)\" for tenant \(engine.tenant)")
            throw ExitCode(ExitStatus.notFound)
        }
        let loaded = try catalog.loadCatalogForReading()
        let recorded = try await store.definition(of: original.id)
        let chosen: CrewDefinition?
        if let crew {
            chosen = loaded.crew(CrewID(crew))
            if chosen == nil {
                Console.error("error: no crew \"\(crew)\" in the catalog")
                throw ExitCode(ExitStatus.notFound)
            }
        } else {
            // The recorded run's crew as the catalog has it now (so that an unchanged crew asks exactly what the
            // recording answers); the definition stored with the run when the catalog no longer has it.
            chosen = loaded.crew(CrewID(original.crew)) ?? recorded.map(\.crew)
        }
        guard let replayed = chosen else {
            Console.error(
                "error: run \(runID) ran \"\(original.crew)\", which is not a crew of the catalog (replay re-runs crew runs; name one with --crew)"
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
        let tools = ReplayToolLedger(
            journal: try await store.journal(of: original.id),
            events: try await store.events(of: original.id, after: 0),
            liveReads: liveTools)
        var inputs: [String: JSONValue] = [:]
        if case .object(let object) = original.inputs { for member in object { inputs[member.key] = member.value } }
        var runner = Runner(
            catalog: loaded, catalogOptions: catalog, runtime: runtime, engine: engine, json: false, dryRun: false,
            verbose: false)
        runner.printsOutput = false
        runner.toolRecording = tools
        // The recorded run's caller (its stored principal; else its tenant and user with --role), or --as-role.
        var principal =
            recorded?.principal
            ?? Principal(tenant: original.tenant, user: original.user, roles: engine.principal.roles)
        if let asRole, let role = Role(rawValue: asRole) { principal.roles = [role] }
        runner.principal = principal
        guard
            let result = try await runner.execute(
                replayed, inputs: inputs, agents: lookup, models: { ReplayModelResolver(base: $0, ledger: ledger) },
                exitOnFailure: false)
        else { return }
        let before = try await store.tasks(of: original.id)
        try print(
            comparison(
                before: before, after: result.tasks,
                counts: Counts(
                    served: await ledger.served, live: await ledger.live, toolsServed: await tools.served,
                    toolsLive: await tools.live, toolsRefused: await tools.refused),
                original: original, result: result))
    }

    /// What the replay answered from the recording and what it called live.
    struct Counts {
        var served: Int
        var live: Int
        var toolsServed: Int
        var toolsLive: Int
        var toolsRefused: Int
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
        before: [TaskOutput], after: [TaskOutput], counts: Counts, original: RunRecord, result: RunResult
    ) -> String {
        let previous = Dictionary(uniqueKeysWithValues: before.map { ($0.task, $0) })
        if json {
            return JSONValue.object([
                "original_run": .string(original.id.rawValue), "replay_run": .string(result.runID.rawValue),
                "status": .string(result.status.rawValue),
                "served_from_recording": .int(counts.served), "live_calls": .int(counts.live),
                "tool_calls_from_recording": .int(counts.toolsServed), "tool_calls_live": .int(counts.toolsLive),
                "tool_calls_refused": .int(counts.toolsRefused),
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
            "replay of \(original.id) as \(result.runID): \(result.status.rawValue) · \(counts.served) model call(s) from the recording, \(counts.live) live · \(counts.toolsServed) tool call(s) from the recording, \(counts.toolsLive) live, \(counts.toolsRefused) refused"
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
