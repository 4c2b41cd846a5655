import AgentRuntime
import Agents
import ArgumentParser

/// `agentctl agents list|show`.
struct AgentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents", abstract: "List and show agent definitions.",
        subcommands: [List.self, Show.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List agents, optionally of one category.")

        @OptionGroup var catalog: CatalogOptions
        @Option(name: .long, help: "Only agents of this category.") var category: String?
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let loaded = try catalog.loadCatalogForReading()
            if let category, !loaded.categories.contains(category) {
                Console.error(
                    "error: no agents in category \"\(category)\" (categories: \(loaded.categories.joined(separator: ", ")))"
                )
                throw ExitCode(ExitStatus.notFound)
            }
            let agents = loaded.agents.filter { category == nil || $0.category == category }
            if json {
                Console.print(JSONValue.array(agents.map(DefinitionJSON.agentSummary)).serialized(pretty: true))
                return
            }
            Console.print(
                Table.render(
                    header: ["ID", "CATEGORY", "NAME", "MODEL", "TEMP", "TOOLS"],
                    rows: agents.map { agent in
                        [
                            agent.id.rawValue, agent.category, agent.name, agent.model?.description ?? "(default)",
                            String(agent.temperature), String(agent.tools.count),
                        ]
                    }))
            Console.print("\(agents.count) agents")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one agent's definition.")

        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "The agent id.") var id: String
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let loaded = try catalog.loadCatalogForReading()
            guard let agent = loaded.agent(AgentID(id)) else {
                let hint = loaded.suggestAgent(for: id).map { "; did you mean \"\($0)\"?" } ?? ""
                Console.error("error: unknown agent \"\(id)\"\(hint)")
                throw ExitCode(ExitStatus.notFound)
            }
            if json {
                Console.print(DefinitionJSON.agent(agent).serialized(pretty: true))
                return
            }
            var lines = [
                "\(agent.name) (\(agent.id))", "file:           \(loaded.agentFiles[agent.id] ?? "?")",
                "category:       \(agent.category)",
                "model:          \(agent.model?.description ?? "(runtime default)")",
                "temperature:    \(agent.temperature)", "max_iterations: \(agent.maxIterations)",
                "delegation:     \(agent.allowDelegation ? "allowed" : "no")",
            ]
            if let maxTokens = agent.maxTokens { lines.append("max_tokens:     \(maxTokens)") }
            if let topP = agent.topP { lines.append("top_p:          \(topP)") }
            lines.append(
                "tools:          \(agent.tools.isEmpty ? "(none)" : agent.tools.map(\.rawValue).joined(separator: ", "))"
            )
            lines.append(
                "knowledge:      \(agent.knowledge.isEmpty ? "(none)" : agent.knowledge.joined(separator: ", "))")
            if !agent.tags.isEmpty { lines.append("tags:           \(agent.tags.joined(separator: ", "))") }
            if let description = agent.description { lines += ["", description] }
            lines += [
                "", "Role:", "  \(agent.role)", "", "Goal:", "  \(agent.goal)", "", "Backstory:",
                "  \(agent.backstory)",
            ]
            Console.print(lines.joined(separator: "\n"))
        }
    }
}
