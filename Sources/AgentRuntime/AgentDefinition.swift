/// An agent as defined in `agents/<category>/<id>.json`: who it is, what it
/// is for, how it is sampled, and what it may use.
///
/// Definitions are immutable values; a run never changes them, so one
/// definition serves any number of concurrent runs.
public struct AgentDefinition: Hashable, Sendable, Codable {
    /// Default sampling temperature when a file gives none.
    public static let defaultTemperature = 0.7
    /// Default iteration bound of the agent loop when a file gives none.
    public static let defaultMaxIterations = 10
    /// The accepted range of `temperature`.
    public static let temperatureRange = 0.0...2.0
    /// The accepted range of `max_iterations`.
    public static let maxIterationsRange = 1...50

    /// The agent's id; equals its file name without `.json`.
    public var id: AgentID
    /// Display name.
    public var name: String
    /// Category; equals the folder the file is in.
    public var category: String
    /// The role the agent plays (may contain `{placeholders}`).
    public var role: String
    /// What the agent works towards (may contain `{placeholders}`).
    public var goal: String
    /// Who the agent is and how it works (may contain `{placeholders}`).
    public var backstory: String
    /// The model to use; nil means the runtime's default model.
    public var model: ModelReference?
    /// Sampling temperature, 0.0–2.0.
    public var temperature: Double
    /// Upper bound on tokens generated per model call.
    public var maxTokens: Int?
    /// Nucleus sampling parameter, 0.0–1.0.
    public var topP: Double?
    /// Tool ids (`connector.operation`) the agent may be offered.
    public var tools: [ToolID]
    /// Knowledge collections the agent draws on.
    public var knowledge: [String]
    /// Bound on the agent loop's iterations, 1–50.
    public var maxIterations: Int
    /// Whether the agent may delegate (used by managers of hierarchical crews).
    public var allowDelegation: Bool
    /// One-line description for listings.
    public var description: String?
    /// Free-form tags for search and grouping.
    public var tags: [String]

    /// Creates a definition; optional fields take the documented defaults.
    public init(
        id: AgentID, name: String, category: String, role: String, goal: String, backstory: String,
        model: ModelReference? = nil, temperature: Double = AgentDefinition.defaultTemperature,
        maxTokens: Int? = nil, topP: Double? = nil, tools: [ToolID] = [], knowledge: [String] = [],
        maxIterations: Int = AgentDefinition.defaultMaxIterations, allowDelegation: Bool = false,
        description: String? = nil, tags: [String] = []
    ) {
        self.id = id
        self.name = name
        self.category = category
        self.role = role
        self.goal = goal
        self.backstory = backstory
        self.model = model
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.topP = topP
        self.tools = tools
        self.knowledge = knowledge
        self.maxIterations = maxIterations
        self.allowDelegation = allowDelegation
        self.description = description
        self.tags = tags
    }

    enum CodingKeys: String, CodingKey {
        case id, name, category, role, goal, backstory, model, temperature
        case maxTokens = "max_tokens"
        case topP = "top_p"
        case tools, knowledge
        case maxIterations = "max_iterations"
        case allowDelegation = "allow_delegation"
        case description, tags
    }
}
