import Foundation

/// What another attempt needs to carry a run on: the crew and agents as they were when the run was submitted
/// (definitions may change meanwhile), its inputs, who started it, and how its earlier attempts ended.
public struct RunDefinition: Codable, Hashable, Sendable {
    /// The crew as submitted.
    public var crew: CrewDefinition
    /// Every agent the crew uses (and its manager), as submitted.
    public var agents: [AgentDefinition]
    /// The run's inputs.
    public var inputs: [String: JSONValue]
    /// Who started it.
    public var principal: Principal
    /// The current attempt: 1 for the first.
    public var attempt: Int
    /// How each earlier attempt ended, oldest first.
    public var attemptErrors: [String]
    /// The approval the run stopped to wait for (its attempt ended; a decision queues it), if any.
    public var waitingFor: String?
    /// The `traceparent` of the request that submitted the run, if it had one: the parent of every attempt's spans,
    /// on whichever worker carries it out.
    public var traceParent: String?

    /// Creates a definition.
    public init(
        crew: CrewDefinition, agents: [AgentDefinition], inputs: [String: JSONValue], principal: Principal,
        attempt: Int = 1, attemptErrors: [String] = []
    ) {
        self.crew = crew
        self.agents = agents
        self.inputs = inputs
        self.principal = principal
        self.attempt = attempt
        self.attemptErrors = attemptErrors
    }
}
