import AgentRuntime

/// Specs of the built-in tools (no connector, no credentials).
enum BuiltinSpecs {
    static let all: [ToolSpec] = [
        ToolSpec(
            id: "knowledge.search",
            description: "Search the agent's knowledge collections and return ranked, cited snippets.",
            parameters: .object(
                [
                    "query": ["type": "string", "description": "What to look for"],
                    "collection": ["type": "string", "description": "Limit the search to one of the agent's collections"],
                    "limit": ["type": "integer", "minimum": 1, "maximum": 20, "description": "Maximum snippets"],
                ], required: ["query"]),
            access: .read),
        ToolSpec(
            id: "calculator.evaluate",
            description: "Evaluate an arithmetic expression exactly (+ - * / ^ %, parentheses, decimals). Use it for any arithmetic instead of computing in your head.",
            parameters: .object(
                ["expression": ["type": "string", "description": "The expression, e.g. (1200 - 950) / 950 * 100"]],
                required: ["expression"]),
            access: .read),
    ]
}
