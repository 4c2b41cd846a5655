import Foundation

/// A tool call waiting for a human.
public struct ApprovalRequest: Hashable, Sendable {
    /// The approval's id.
    public var id: String
    /// The run it pauses.
    public var runID: RunID
    /// Who the run acts for.
    public var principal: Principal
    /// The agent that wants the call.
    public var agent: AgentID
    /// The tool.
    public var tool: ToolID
    /// The arguments as the model wrote them.
    public var arguments: String
    /// When it was asked.
    public var requestedAt: Date

    /// Creates a request.
    public init(
        id: String, runID: RunID, principal: Principal, agent: AgentID, tool: ToolID, arguments: String,
        requestedAt: Date
    ) {
        self.id = id
        self.runID = runID
        self.principal = principal
        self.agent = agent
        self.tool = tool
        self.arguments = arguments
        self.requestedAt = requestedAt
    }
}

/// A human's decision (or the expiry's).
public struct ApprovalDecision: Hashable, Sendable {
    /// Whether the call may run.
    public var approved: Bool
    /// Who decided (`expiry` when nobody did).
    public var by: String
    /// Their comment.
    public var comment: String
    /// Whether the request expired undecided.
    public var expired: Bool

    /// Creates a decision.
    public init(approved: Bool, by: String, comment: String = "", expired: Bool = false) {
        self.approved = approved
        self.by = by
        self.comment = comment
        self.expired = expired
    }
}

/// Thrown by a gate that does not hold the run while a human decides: the run stops as `awaiting_approval`,
/// holding no task or memory, and is carried on from its journal once the decision is made.
public struct ApprovalSuspended: Error, Hashable, Sendable {
    /// The approval the run waits for.
    public var approvalID: String

    /// Creates the signal.
    public init(approvalID: String) { self.approvalID = approvalID }
}

/// The port through which a run waits for approvals. `decide` returns when a
/// human has decided or the request has expired; cancelling the run cancels the wait.
public protocol ApprovalGate: Sendable {
    /// Waits for the decision on `request`.
    func decide(_ request: ApprovalRequest) async throws -> ApprovalDecision
}
