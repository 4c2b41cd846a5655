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

    /// Every tool: the built-ins, the Swift connectors and the connector definitions — the shipped ones, each
    /// replaced by a catalog's file of the same id, and the catalog's others (`connectors/*.json`) — all calling
    /// services through `client`.
    public static func standard(
        client: ConnectorClient, knowledge: (any KnowledgeRetriever)? = nil, definitions: [ConnectorDefinition]
    ) -> ToolRegistry {
        ToolRegistry(
            builtinTools(knowledge: knowledge) + Connectors.swiftOperations.map { $0.tool(client) }
                + effectiveDefinitions(definitions).flatMap { DefinedConnector.operations($0).map { $0.tool(client) } })
    }

    /// The shipped definitions not replaced by one of `definitions`, then `definitions`.
    public static func effectiveDefinitions(_ definitions: [ConnectorDefinition]) -> [ConnectorDefinition] {
        let replaced = Set(definitions.map(\.id))
        return Connectors.shippedDefinitions.filter { !replaced.contains($0.id) } + definitions
    }

    /// The specs of every tool with the catalog's connector `definitions` (see ``standard(client:knowledge:definitions:)``),
    /// sorted by id.
    public static func specs(with definitions: [ConnectorDefinition]) -> [ToolSpec] {
        let defined = effectiveDefinitions(definitions)
        let swift = Connectors.swiftOperations.map(\.spec) + [CalculatorTool.spec, KnowledgeSearchTool.spec]
        return (swift + defined.flatMap(\.specs)).sorted { $0.id < $1.id }
    }

    /// The ids of every tool with the catalog's connector `definitions`.
    public static func ids(with definitions: [ConnectorDefinition]) -> Set<ToolID> {
        Set(specs(with: definitions).map(\.id))
    }

    /// The connectors written in Swift (a definition file may not reuse their ids).
    public static let builtinConnectorIDs: Set<String> = Set(Connectors.swiftOperations.map(\.spec.id.connector))

    private static func builtinTools(knowledge: (any KnowledgeRetriever)?) -> [any Tool] {
        var tools: [any Tool] = [CalculatorTool()]
        if let knowledge { tools.append(KnowledgeSearchTool(retriever: knowledge)) }
        return tools
    }
}
