import AgentRuntime
import Foundation

/// A tool for tests: returns what its closure computes, and counts its calls.
public final class ClosureTool: Tool, @unchecked Sendable {
    /// The spec.
    public let spec: ToolSpec
    private let body: @Sendable (JSONValue) async throws -> ToolResult
    private let lock = NSLock()
    private var calls = 0

    /// Creates a tool.
    public init(_ spec: ToolSpec, body: @escaping @Sendable (JSONValue) async throws -> ToolResult) {
        self.spec = spec
        self.body = body
    }

    /// How many times it ran.
    public var callCount: Int { lock.withLock { calls } }

    /// Runs the closure.
    public func call(_ arguments: JSONValue, context: ToolContext) async throws -> ToolResult {
        lock.withLock { calls += 1 }
        return try await body(arguments)
    }
}
