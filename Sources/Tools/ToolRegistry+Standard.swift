import AgentRuntime

extension ToolRegistry {
    /// The spec of every tool this runtime ships (connector operations and built-ins), sorted by id.
    /// Agent and tenant files are validated against these; no client or credentials are needed to read them.
    public static let standardSpecs: [ToolSpec] =
        (Connectors.operations.map(\.spec) + [CalculatorTool.spec, KnowledgeSearchTool.spec]).sorted { $0.id < $1.id }

    /// The id of every tool this runtime ships.
    public static let standardIDs: Set<ToolID> = Set(standardSpecs.map(\.id))

    /// The built-in tools that need no connector (`knowledge.search` when a retriever is given).
    public static func builtins(knowledge: (any KnowledgeRetriever)? = nil) -> ToolRegistry {
        ToolRegistry(builtinTools(knowledge: knowledge))
    }

    /// Every tool: the built-ins and the connectors, calling services through `client`.
    public static func standard(client: ConnectorClient, knowledge: (any KnowledgeRetriever)? = nil) -> ToolRegistry {
        ToolRegistry(builtinTools(knowledge: knowledge) + Connectors.tools(client))
    }

    private static func builtinTools(knowledge: (any KnowledgeRetriever)?) -> [any Tool] {
        var tools: [any Tool] = [CalculatorTool()]
        if let knowledge { tools.append(KnowledgeSearchTool(retriever: knowledge)) }
        return tools
    }
}
