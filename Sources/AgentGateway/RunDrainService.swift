import AgentRuntime
import ServiceLifecycle

/// While serving: carries on queued runs and runs whose approval expired. On graceful shutdown: stop accepting
/// runs, let running ones finish up to the grace period, then cancel and mark the rest interrupted (the next
/// process carries them on).
struct RunDrainService: Service {
    let runs: RunManager
    let grace: Duration
    let resumeInterval: Duration
    let environment: @Sendable (Principal) -> EngineEnvironment

    func run() async throws {
        let sweeper = Task { [runs, resumeInterval, environment] in
            while !Task.isCancelled {
                try? await Task.sleep(for: resumeInterval)
                _ = try? await runs.resumeDue(environment: environment)
            }
        }
        defer { sweeper.cancel() }
        do {
            try await gracefulShutdown()
            await runs.drain(grace: grace)
        } catch {
            // Cancelled rather than shut down gracefully: no grace.
            await runs.drain(grace: .zero)
        }
    }
}
