/// How a crew runs its tasks.
public enum CrewProcess: String, Hashable, Sendable, Codable, CaseIterable {
    /// Tasks run in order, each by its named agent, each seeing earlier outputs.
    case sequential
    /// A manager agent runs each task, delegating to coworkers through synthesised tools.
    case hierarchical
}
