/// A crew as defined in `agents/crews/<id>.json`: agents, inputs and tasks,
/// run sequentially or under a manager.
public struct CrewDefinition: Hashable, Sendable, Codable {
    /// The crew's id; equals its file name without `.json`.
    public var id: CrewID
    /// Display name.
    public var name: String
    /// What the crew does.
    public var description: String?
    /// Sequential or hierarchical.
    public var process: CrewProcess
    /// The crew's agents (coworkers, in a hierarchical crew).
    public var agents: [AgentID]
    /// The manager agent of a hierarchical crew; nil means the built-in manager.
    public var manager: AgentID?
    /// The built-in manager's model, when no `manager` agent is named.
    public var managerModel: ModelReference?
    /// Declared run inputs, in file order.
    public var inputs: [CrewInput]
    /// The tasks, in order.
    public var tasks: [CrewTask]
    /// Free-form tags.
    public var tags: [String]
    /// Whether the manager's first model turn on each task must call a tool (nil: `required`).
    public var managerToolChoice: ManagerToolChoice?
    /// Whether a manager's final answer that follows no delegation in its task is sent back once with a reminder
    /// (nil: yes).
    public var managerReminder: Bool?

    /// Creates a crew definition.
    public init(
        id: CrewID, name: String, description: String? = nil, process: CrewProcess, agents: [AgentID],
        manager: AgentID? = nil, managerModel: ModelReference? = nil, inputs: [CrewInput] = [],
        tasks: [CrewTask], tags: [String] = [], managerToolChoice: ManagerToolChoice? = nil,
        managerReminder: Bool? = nil
    ) {
        self.managerToolChoice = managerToolChoice
        self.managerReminder = managerReminder
        self.id = id
        self.name = name
        self.description = description
        self.process = process
        self.agents = agents
        self.manager = manager
        self.managerModel = managerModel
        self.inputs = inputs
        self.tasks = tasks
        self.tags = tags
    }

    /// The declared input named `name`.
    public func input(named name: String) -> CrewInput? { inputs.first { $0.name == name } }

    /// The task with `id`.
    public func task(_ id: TaskID) -> CrewTask? { tasks.first { $0.id == id } }

    enum CodingKeys: String, CodingKey {
        case id, name, description, process, agents, manager
        case managerModel = "manager_model"
        case inputs, tasks, tags
        case managerToolChoice = "manager_tool_choice"
        case managerReminder = "manager_reminder"
    }
}

/// A hierarchical crew's `manager_tool_choice`: what the manager's first model turn on each task may do.
public enum ManagerToolChoice: String, Hashable, Sendable, Codable, CaseIterable {
    /// It must call a tool (a delegation tool: the manager has no others).
    case required
    /// The model decides.
    case auto

    /// The request's tool choice.
    public var toolChoice: ToolChoice {
        switch self {
        case .required: return .required
        case .auto: return .auto
        }
    }
}
