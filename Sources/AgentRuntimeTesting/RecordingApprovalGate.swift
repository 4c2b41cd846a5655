import AgentRuntime
import Foundation

/// An ``ApprovalGate`` that records every request and answers each at once with the same decision.
public final class RecordingApprovalGate: ApprovalGate, @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var received: [ApprovalRequest] = []
    private let approves: Bool

    /// Creates a gate that approves (or, with `approves: false`, rejects) every request.
    public init(approves: Bool = true) { self.approves = approves }

    /// The requests received, in order.
    public var requests: [ApprovalRequest] { lock.withLock { received } }

    /// Records `request` and decides it.
    public func decide(_ request: ApprovalRequest) async throws -> ApprovalDecision {
        lock.withLock { received.append(request) }
        return ApprovalDecision(approved: approves, by: "reviewer", comment: approves ? "" : "no")
    }
}
