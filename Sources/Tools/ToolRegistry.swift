import AgentRuntime

/// The tool implementations the runtime has, by id: the ``ToolSource`` the engine uses.
public struct ToolRegistry: ToolSource {
    private let tools: [ToolID: any Tool]

    /// Creates a registry from implementations; each must have a spec in ``ToolCatalog/standard`` or its own.
    public init(_ tools: [any Tool]) {
        var byID: [ToolID: any Tool] = [:]
        for tool in tools { byID[tool.spec.id] = tool }
        self.tools = byID
    }

    /// The built-in tools that need no connector (`knowledge.search` when a retriever is given).
    public static func builtins(knowledge: (any KnowledgeRetriever)? = nil) -> ToolRegistry {
        var tools: [any Tool] = [CalculatorTool()]
        if let knowledge { tools.append(KnowledgeSearchTool(retriever: knowledge)) }
        return ToolRegistry(tools)
    }

    /// Every tool: the built-ins and the connectors, calling services through `client`.
    public static func standard(client: ConnectorClient, knowledge: (any KnowledgeRetriever)? = nil) -> ToolRegistry {
        ToolRegistry(builtins(knowledge: knowledge).tools.map(\.value) + Connectors.tools(client))
    }

    /// The tool with `id`.
    public func tool(_ id: ToolID) -> (any Tool)? { tools[id] }

    /// Ids of the tools that have an implementation.
    public var ids: Set<ToolID> { Set(tools.keys) }
}
