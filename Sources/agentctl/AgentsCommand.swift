import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Tools

/// `agentctl agents list|show|versions|restore`.
struct AgentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents", abstract: "List and show agent definitions, their stored versions, and restore one.",
        subcommands: [List.self, Show.self, Versions.self, Restore.self], defaultSubcommand: List.self)

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an agent's stored versions, newest first (or print one with --version).")
        @OptionGroup var runtime: RuntimeOptions
        @OptionGroup var engine: EngineOptions
        @Argument(help: "The agent id.") var id: String
        @Option(name: .long, help: "Print this version's text.") var version: Int?
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let store = try await engine.openStore(runtime: runtime)
            let versions = try await store.agentVersions(AgentID(id))
            if let version {
                guard let stored = versions.first(where: { $0.version == version }) else {
                    Console.error("error: agent \(id) has no version \(version)")
                    throw ExitCode(ExitStatus.notFound)
                }
                Console.print(stored.content)
                return
            }
            if json {
                Console.print(
                    JSONValue.array(
                        versions.map {
                            [
                                "version": .int($0.version), "time": .string($0.time.formatted(.iso8601)),
                                "user": .string($0.user), "content": .string($0.content),
                            ]
                        }
                    ).serialized(pretty: true))
                return
            }
            Console.print(
                Table.render(
                    header: ["VERSION", "TIME", "USER", "BYTES"],
                    rows: versions.map {
                        [String($0.version), $0.time.formatted(.iso8601), $0.user, String($0.content.utf8.count)]
                    }))
            Console.print("\(versions.count) versions")
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Make a stored version the agent's definition again (platform_admin or super_admin): checked like PUT /v1/agents/{id}, written as a new version and audited. A running serve picks the file up within its watch interval."
        )
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var runtime: RuntimeOptions
        @OptionGroup var engine: EngineOptions
        @Argument(help: "The agent id.") var id: String
        @Argument(help: "The version to restore.") var version: Int

        func run() async throws {
            let principal = engine.principal
            guard (principal.roles.max() ?? .tenantUser) >= .platformAdmin else {
                Console.error("error: restoring an agent needs platform_admin or super_admin (role \(engine.role))")
                throw ExitCode(ExitStatus.invalid)
            }
            let store = try await engine.openStore(runtime: runtime)
            guard let stored = try await store.agentVersions(AgentID(id)).first(where: { $0.version == version }) else {
                Console.error("error: agent \(id) has no version \(version)")
                throw ExitCode(ExitStatus.notFound)
            }
            guard let category = (try? JSONParser.value(Array(stored.content.utf8)))?["category"]?.stringValue else {
                Console.error("error: version \(version) of \(id) has no category")
                throw ExitCode(ExitStatus.invalid)
            }
            let loader = CatalogLoader(
                agentsDirectory: catalog.agentsDirectory, knowledgeDirectory: catalog.knowledgeDirectory,
                knownTools: ToolRegistry.standardIDs,
                displayBase: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            do {
                let written = try await AgentWriter(loader: loader, store: store).write(
                    id: id, category: category, bytes: Array(stored.content.utf8), user: principal.user,
                    roles: principal.roles.map(\.rawValue).sorted(), tool: "config.agent_restore",
                    detail: "restored version \(version)")
                Console.print("restored \(id) version \(version) as version \(written.version)")
            } catch let refusal as AgentWriter.Refusal {
                Console.error("error: not restored: \(refusal.message)")
                throw ExitCode(ExitStatus.invalid)
            }
        }
    }

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
