import AgentRuntime
import MCP

/// Sends a client a progress notification for each task start and finish of the run its call started: progress
/// counts those steps (two per task, so `total` is twice the crew's tasks while the count stays within it), and the
/// message says which task started or finished and by which agent.
actor ProgressReporter: EventSink {
    private let token: ProgressToken
    private let total: Int
    private let send: @Sendable (MCP.Message<ProgressNotification>) async -> Void
    private var steps = 0

    /// Reports through `send` under `token` for a crew of `tasks` tasks.
    init(token: ProgressToken, tasks: Int, send: @escaping @Sendable (MCP.Message<ProgressNotification>) async -> Void)
    {
        self.token = token
        self.total = 2 * tasks
        self.send = send
    }

    /// Progress carries no streamed text.
    nonisolated var wantsTextDeltas: Bool { false }

    func emit(_ event: RunEvent) async {
        let message: String
        switch event.kind {
        case .taskStarted(let task, let agent): message = "task \(task) started (\(agent))"
        case .taskFinished(let task, let agent, _, _, _): message = "task \(task) finished (\(agent))"
        default: return
        }
        steps += 1
        await send(
            ProgressNotification.message(
                .init(
                    progressToken: token, progress: Double(steps), total: steps <= total ? Double(total) : nil,
                    message: message)))
    }
}
