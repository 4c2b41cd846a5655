import AgentRuntime

/// `knowledge.search`: ranked, cited snippets from the calling agent's own
/// knowledge collections (and its tenant's additions), never anyone else's.
public struct KnowledgeSearchTool: Tool {
    /// What the model and the policy gate are told about the tool.
    public static let spec = ToolSpec(
        id: "knowledge.search",
        description: "Search the agent's knowledge collections and return ranked, cited snippets.",
        parameters: .object(
            [
                "query": ["type": "string", "description": "What to look for"],
                "collection": ["type": "string", "description": "Limit the search to one of the agent's collections"],
                "limit": ["type": "integer", "minimum": 1, "maximum": 20, "description": "Maximum snippets"],
            ], required: ["query"]),
        access: .read)

    /// The tool's spec: ``spec``.
    public var spec: ToolSpec { Self.spec }

    private let retriever: any KnowledgeRetriever

    /// Creates the tool over a retriever.
    public init(retriever: any KnowledgeRetriever) { self.retriever = retriever }

    /// Searches the agent's collections (or the one named).
    public func call(_ arguments: JSONValue, context: ToolContext) async throws -> ToolResult {
        guard let query = arguments["query"]?.stringValue, !query.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ToolError("\"query\" must be a non-empty string")
        }
        guard !context.knowledgeCollections.isEmpty else {
            throw ToolError("this agent has no knowledge collections to search")
        }
        var collections = context.knowledgeCollections
        if let collection = arguments["collection"]?.stringValue {
            guard collections.contains(collection) else {
                throw ToolError(
                    "\"\(collection)\" is not one of your collections: \(collections.joined(separator: ", "))")
            }
            collections = [collection]
        }
        let limit = max(1, min(20, arguments["limit"]?.intValue ?? 5))
        let snippets = await retriever.search(
            query, collections: collections, tenant: context.principal.tenant, limit: limit)
        guard !snippets.isEmpty else {
            return ToolResult(
                content: "No results for \"\(query)\" in \(collections.joined(separator: ", ")).", data: .array([]))
        }
        let text = snippets.enumerated().map { index, snippet in
            "\(index + 1). [\(snippet.citation)] (lines \(snippet.lines.lowerBound)-\(snippet.lines.upperBound))\n\(snippet.text)"
        }.joined(separator: "\n\n")
        let data: JSONValue = .array(
            snippets.map { snippet in
                [
                    "citation": .string(snippet.citation), "collection": .string(snippet.collection),
                    "file": .string(snippet.file),
                    "lines": [.int(snippet.lines.lowerBound), .int(snippet.lines.upperBound)],
                    "score": .double((snippet.score * 1000).rounded() / 1000),
                    "text": .string(snippet.text),
                ]
            })
        return ToolResult(content: text, data: data)
    }
}
