import AgentRuntime
import Agents
import ArgumentParser

/// `agentctl crews list|show`.
struct CrewsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crews", abstract: "List and show crew definitions.",
        subcommands: [List.self, Show.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List crews.")

        @OptionGroup var catalog: CatalogOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let loaded = try catalog.loadCatalogForReading()
            if json {
                Console.print(JSONValue.array(loaded.crews.map(DefinitionJSON.crewSummary)).serialized(pretty: true))
                return
            }
            Console.print(
                Table.render(
                    header: ["ID", "PROCESS", "NAME", "AGENTS", "TASKS", "INPUTS"],
                    rows: loaded.crews.map { crew in
                        [
                            crew.id.rawValue, crew.process.rawValue, crew.name, String(crew.agents.count),
                            String(crew.tasks.count), crew.inputs.map(\.name).joined(separator: ","),
                        ]
                    }))
            Console.print("\(loaded.crews.count) crews")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one crew: its agents, inputs and tasks.")

        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "The crew id.") var id: String
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let loaded = try catalog.loadCatalogForReading()
            guard let crew = loaded.crew(CrewID(id)) else {
                let hint = loaded.suggestCrew(for: id).map { "; did you mean \"\($0)\"?" } ?? ""
                Console.error("error: unknown crew \"\(id)\"\(hint)")
                throw ExitCode(ExitStatus.notFound)
            }
            if json {
                Console.print(DefinitionJSON.crew(crew).serialized(pretty: true))
                return
            }
            var lines = [
                "\(crew.name) (\(crew.id))", "file:    \(loaded.crewFiles[crew.id] ?? "?")",
                "process: \(crew.process.rawValue)",
            ]
            if crew.process == .hierarchical {
                lines.append(
                    "manager: \(crew.manager?.rawValue ?? "built-in (\(crew.managerModel?.description ?? "default model"))")"
                )
            }
            lines.append("agents:  \(crew.agents.map(\.rawValue).joined(separator: ", "))")
            if let description = crew.description { lines += ["", description] }
            if !crew.inputs.isEmpty {
                lines += ["", "Inputs:"]
                for input in crew.inputs {
                    var flags: [String] = []
                    if let value = input.defaultValue {
                        flags.append("default \(value.serialized())")
                    } else if input.isRequired {
                        flags.append("required")
                    } else {
                        flags.append("optional")
                    }
                    lines.append(
                        "  \(input.name) (\(flags.joined(separator: ", ")))\(input.description.map { ": \($0)" } ?? "")"
                    )
                }
            }
            lines += ["", "Tasks:"]
            for (index, task) in crew.tasks.enumerated() {
                var header = "  \(index + 1). \(task.id)"
                if let agent = task.agent { header += " [\(agent)]" }
                if task.isAsync { header += " (async)" }
                lines.append(header)
                lines.append("     \(task.description)")
                lines.append("     expected: \(task.expectedOutput)")
                if let context = task.context {
                    lines.append(
                        "     context: \(context.isEmpty ? "(none)" : context.map(\.rawValue).joined(separator: ", "))")
                }
                if task.outputSchema != nil { lines.append("     output: JSON (schema)") }
                if let guardrail = task.guardrail { lines.append("     guardrail: \(guardrail)") }
            }
            Console.print(lines.joined(separator: "\n"))
        }
    }
}
