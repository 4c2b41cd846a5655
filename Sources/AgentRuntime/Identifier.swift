/// A typed identifier: a string tagged with the kind of thing it names, so an
/// agent id can never be passed where a crew id is expected.
///
/// Use the aliases (``AgentID``, ``CrewID``, ``TaskID``, ``TenantID``,
/// ``RunID``, ``ToolID``) rather than this type directly.
public struct Identifier<Kind: IdentifierKind>: Hashable, Comparable, Sendable, Codable,
    ExpressibleByStringLiteral, CustomStringConvertible
{
    /// The identifier's text.
    public let rawValue: String

    /// Wraps `rawValue` without checking its format; formats are checked where
    /// definitions are validated.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// Creates an identifier from a string literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// Decodes from a single JSON string.
    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes as a single JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The identifier's text.
    public var description: String { rawValue }

    /// Orders identifiers by their text.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A phantom tag naming what an ``Identifier`` identifies.
public protocol IdentifierKind: Sendable {}

/// Tag for agent identifiers.
public enum AgentIdentifierKind: IdentifierKind {}
/// Tag for crew identifiers.
public enum CrewIdentifierKind: IdentifierKind {}
/// Tag for task identifiers (unique within a crew).
public enum TaskIdentifierKind: IdentifierKind {}
/// Tag for tenant identifiers.
public enum TenantIdentifierKind: IdentifierKind {}
/// Tag for run identifiers.
public enum RunIdentifierKind: IdentifierKind {}
/// Tag for tool identifiers (`connector.operation`).
public enum ToolIdentifierKind: IdentifierKind {}

/// Identifies an agent definition; equals its file name without `.json`.
public typealias AgentID = Identifier<AgentIdentifierKind>
/// Identifies a crew definition.
public typealias CrewID = Identifier<CrewIdentifierKind>
/// Identifies a task within a crew.
public typealias TaskID = Identifier<TaskIdentifierKind>
/// Identifies a tenant of the platform.
public typealias TenantID = Identifier<TenantIdentifierKind>
/// Identifies one run of a crew or agent.
public typealias RunID = Identifier<RunIdentifierKind>
/// Identifies a tool as `connector.operation`, e.g. `wordpress.create_post`.
public typealias ToolID = Identifier<ToolIdentifierKind>

extension Identifier where Kind == ToolIdentifierKind {
    /// The connector part of `connector.operation` (text before the first dot).
    public var connector: String {
        rawValue.split(separator: ".", maxSplits: 1).first.map(String.init) ?? rawValue
    }

    /// The operation part of `connector.operation` (text after the first dot).
    public var operation: String {
        let parts = rawValue.split(separator: ".", maxSplits: 1)
        return parts.count == 2 ? String(parts[1]) : ""
    }

    /// Whether the text has the `connector.operation` shape:
    /// lower-case letters, digits and underscores on both sides of one dot; or, for a tool of a tenant's MCP server,
    /// `mcp.<server>.<tool>` with three such parts.
    public var isWellFormed: Bool {
        let parts = rawValue.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 || (parts.count == 3 && parts[0] == "mcp") else { return false }
        return parts.allSatisfy { part in
            guard let first = part.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else {
                return false
            }
            return part.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
            }
        }
    }
}
