import AgentRuntime
import Agents
import Tools

/// Builders for small definition trees validated in memory.
enum Fixtures {
    /// An agent file: one field per line (line 2 is `id`, 3 `name`, 4 `category`, 5 `role`,
    /// 6 `goal`, 7 `backstory`, then `extra` in order). Fields in `drop` are left out.
    static func agent(
        _ id: String, category: String = "marketing", role: String = "Writer", extra: [(String, String)] = [],
        drop: Set<String> = []
    ) -> String {
        var fields: [(String, String)] = [
            ("id", "\"\(id)\""), ("name", "\"\(id.capitalized)\""), ("category", "\"\(category)\""),
            ("role", "\"\(role)\""), ("goal", "\"Do the work well\""), ("backstory", "\"Has done this for years.\""),
        ]
        fields = fields.filter { !drop.contains($0.0) } + extra
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    /// A crew file with one field per line; `tasks` is raw JSON.
    static func crew(
        _ id: String, process: String = "sequential", agents: [String] = ["writer"], extra: [(String, String)] = [],
        tasks: String =
            #"[{"id": "draft", "description": "Write it", "expected_output": "A draft", "agent": "writer"}]"#
    ) -> String {
        let fields: [(String, String)] =
            [
                ("id", "\"\(id)\""), ("name", "\"\(id.capitalized)\""), ("process", "\"\(process)\""),
                ("agents", "[" + agents.map { "\"\($0)\"" }.joined(separator: ", ") + "]"),
            ] + extra + [("tasks", tasks)]
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    static func agentSource(_ text: String, stem: String, category: String = "marketing") -> DefinitionSource {
        DefinitionSource(
            displayPath: "agents/\(category)/\(stem).json", stem: stem, kind: .agent(category: category),
            bytes: Array(text.utf8))
    }

    static func crewSource(_ text: String, stem: String) -> DefinitionSource {
        DefinitionSource(displayPath: "agents/crews/\(stem).json", stem: stem, kind: .crew, bytes: Array(text.utf8))
    }

    /// The standard supporting cast: a writer, an editor and a tool-less manager.
    static let cast: [DefinitionSource] = [
        agentSource(agent("writer"), stem: "writer"),
        agentSource(agent("editor"), stem: "editor"),
        agentSource(
            agent("boss", category: "orchestration", extra: [("allow_delegation", "true")]), stem: "boss",
            category: "orchestration"),
        agentSource(agent("tooled", extra: [("tools", #"["calculator.evaluate"]"#)]), stem: "tooled"),
    ]

    static func validate(_ sources: [DefinitionSource], knowledge: Set<String>? = ["brand-voice"]) -> Catalog {
        CatalogValidator(knownTools: ToolRegistry.standardIDs, knowledgeCollections: knowledge).validate(sources)
    }
}
