extension Identifier where Kind == ToolIdentifierKind {
    /// Whether this names a tool (or, with `*`, every tool) of a tenant's MCP server: `mcp.<server>.<tool>`.
    public var isMCP: Bool { rawValue.hasPrefix("mcp.") && rawValue.split(separator: ".").count == 3 }

    /// The server part of `mcp.<server>.<tool>` (nil for other ids).
    public var mcpServer: String? {
        guard isMCP else { return nil }
        return String(rawValue.split(separator: ".")[1])
    }

    /// The tool part of `mcp.<server>.<tool>` as the runtime names it (nil for other ids; `*` for a pattern).
    public var mcpTool: String? {
        guard isMCP else { return nil }
        return String(rawValue.split(separator: ".")[2])
    }

    /// Whether this is `mcp.<server>.*`: every tool of that server, as an agent's `tools` may name them.
    public var isMCPPattern: Bool { isMCP && mcpTool == "*" }

    /// Whether an agent's `tools` entry is usable: a well-formed id, or an `mcp.<server>.*` pattern.
    public var isWellFormedEntry: Bool {
        isWellFormed || (isMCPPattern && ToolID("mcp.\(mcpServer ?? "").x").isWellFormed)
    }

    /// The id of `tool` (its name as the MCP server gives it) on the tenant's server `server`:
    /// `mcp.<server>.<tool>`, the tool's name lower-cased with every character other than a letter, digit or
    /// underscore made `_` (so the model-visible name `mcp-<server>-<tool>` maps back unambiguously).
    public static func mcp(server: String, tool: String) -> ToolID {
        ToolID("mcp.\(server).\(MCPNaming.normalized(tool))")
    }

    /// Whether this id is `pattern` or one of the ids `pattern` (`mcp.<server>.*`) stands for.
    public func matches(_ pattern: ToolID) -> Bool {
        guard pattern.isMCPPattern else { return self == pattern }
        return isMCP && mcpServer == pattern.mcpServer
    }
}

/// How the names an MCP server gives its tools become runtime tool names.
public enum MCPNaming {
    /// `tool` lower-cased, every character other than `a-z`, `0-9` and `_` replaced by `_`, a leading digit or
    /// underscore prefixed with `t` (tool ids start with a letter).
    public static func normalized(_ tool: String) -> String {
        var text = String(
            tool.lowercased().unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "a"..."z", "0"..."9", "_": return Character(scalar)
                default: return "_"
                }
            })
        if text.isEmpty || !(text.first!.isLetter) { text = "t" + text }
        return text
    }

    /// The longest tool name (model-visible, `mcp-<server>-<tool>`) every provider accepts.
    public static let maxModelNameLength = 64
}
