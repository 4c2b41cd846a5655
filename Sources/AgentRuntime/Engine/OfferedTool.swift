/// A tool as offered to one agent in one task.
struct OfferedTool: Sendable {
    /// The name the model calls it by.
    var modelName: String
    /// What the model is told.
    var chatTool: ChatTool
    /// How a call is carried out.
    var handler: Handler

    enum Handler: Sendable {
        /// A registered tool, gated by policy and validated against its schema.
        case tool(any Tool)
        /// A synthesised tool (delegation) run by the engine.
        case synthesized(@Sendable (JSONValue, String) async throws -> ToolResult)
    }
}
