/// What a model is told about a tool, and what the policy gate needs to know.
public struct ToolSpec: Hashable, Sendable {
    /// `connector.operation`.
    public var id: ToolID
    /// What the tool does, written for the model.
    public var description: String
    /// JSON Schema of the arguments object.
    public var parameters: JSONSchema
    /// Read, write or admin.
    public var access: ToolAccess
    /// Whether each call waits for a human's approval.
    public var requiresApproval: Bool

    /// Creates a tool spec.
    public init(
        id: ToolID, description: String, parameters: JSONSchema, access: ToolAccess, requiresApproval: Bool = false
    ) {
        self.id = id
        self.description = description
        self.parameters = parameters
        self.access = access
        self.requiresApproval = requiresApproval
    }
}
