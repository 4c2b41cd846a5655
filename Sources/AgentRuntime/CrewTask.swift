/// One task of a crew: what to do, what a good result looks like, and who does it.
public struct CrewTask: Hashable, Sendable, Codable {
    /// Unique within the crew.
    public var id: TaskID
    /// What to do (may contain `{placeholders}`).
    public var description: String
    /// What the result must look like (may contain `{placeholders}`).
    public var expectedOutput: String
    /// The agent that performs it; required in sequential crews, optional in hierarchical ones.
    public var agent: AgentID?
    /// Which earlier task outputs it sees: nil = all earlier outputs, empty = none.
    public var context: [TaskID]?
    /// Whether it may run concurrently with neighbouring async tasks once its context is ready.
    public var isAsync: Bool
    /// A JSON Schema the output must satisfy.
    public var outputSchema: JSONSchema?
    /// Tools for this task, replacing the agent's own list.
    public var tools: [ToolID]?
    /// A plain-language check of the output, run by the agent's model.
    public var guardrail: String?

    /// Creates a task.
    public init(
        id: TaskID, description: String, expectedOutput: String, agent: AgentID? = nil, context: [TaskID]? = nil,
        isAsync: Bool = false, outputSchema: JSONSchema? = nil, tools: [ToolID]? = nil, guardrail: String? = nil
    ) {
        self.id = id
        self.description = description
        self.expectedOutput = expectedOutput
        self.agent = agent
        self.context = context
        self.isAsync = isAsync
        self.outputSchema = outputSchema
        self.tools = tools
        self.guardrail = guardrail
    }

    enum CodingKeys: String, CodingKey {
        case id, description
        case expectedOutput = "expected_output"
        case agent, context
        case isAsync = "async"
        case outputSchema = "output_schema"
        case tools, guardrail
    }
}
