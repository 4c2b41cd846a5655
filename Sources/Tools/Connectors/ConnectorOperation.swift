import AgentRuntime

/// One operation of a connector: its spec and how it is performed. Bound to a
/// ``ConnectorClient`` with ``tool(_:)``, it becomes a ``Tool``.
public struct ConnectorOperation: Sendable {
    /// What the model and the policy gate are told about the operation.
    public let spec: ToolSpec
    /// Performs the operation through a client, with arguments already checked against `spec.parameters`.
    public let perform: @Sendable (ConnectorClient, JSONValue, ToolContext) async throws -> ToolResult

    /// Creates an operation from its spec and the function that performs it.
    public init(
        _ spec: ToolSpec,
        perform: @escaping @Sendable (ConnectorClient, JSONValue, ToolContext) async throws -> ToolResult
    ) {
        self.spec = spec
        self.perform = perform
    }

    /// The operation as a tool that calls its service through `client`.
    public func tool(_ client: ConnectorClient) -> any Tool { Bound(operation: self, client: client) }

    /// An operation with the client it calls through.
    private struct Bound: Tool {
        let operation: ConnectorOperation
        let client: ConnectorClient

        var spec: ToolSpec { operation.spec }

        func call(_ arguments: JSONValue, context: ToolContext) async throws -> ToolResult {
            try await operation.perform(client, arguments, context)
        }
    }
}
