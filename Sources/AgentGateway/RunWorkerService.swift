import AgentRuntime
import ServiceLifecycle

/// This replica's worker. While serving: claims runs from the shared queue (woken by the store's signals: a run
/// queued or released on any replica, and every `claimInterval` for runs whose worker's lease expired), stops runs
/// cancelled on other replicas, and expires approvals every `resumeInterval`. On graceful shutdown: stop accepting
/// runs, let running ones finish up to the grace period, then cancel and mark the rest interrupted (any worker
/// carries them on).
struct RunWorkerService: Service {
    let runs: RunManager
    let store: any RunSignalSource
    let grace: Duration
    let claimInterval: Duration
    let resumeInterval: Duration
    let environment: @Sendable (Principal) -> EngineEnvironment

    func run() async throws {
        let signals = store.signals()
        let claimer = Task { [runs, environment] in
            // At start: runs a previous process left (interrupted, or held by a worker whose lease has expired).
            _ = try? await runs.claimQueued(environment: environment)
            for await signal in signals {
                switch signal {
                case .queued, .resync: _ = try? await runs.claimQueued(environment: environment)
                case .cancel(let run): await runs.cancelLocal(run)
                default: break
                }
            }
        }
        let sweeper = Task { [runs, claimInterval, resumeInterval, environment] in
            var sinceExpiry = Duration.zero
            while !Task.isCancelled {
                try? await Task.sleep(for: claimInterval)
                _ = try? await runs.claimQueued(environment: environment)
                sinceExpiry += claimInterval
                if sinceExpiry >= resumeInterval {
                    sinceExpiry = .zero
                    try? await runs.expireApprovals()
                }
            }
        }
        defer {
            claimer.cancel()
            sweeper.cancel()
        }
        do {
            try await gracefulShutdown()
            await runs.drain(grace: grace)
        } catch {
            // Cancelled rather than shut down gracefully: no grace.
            await runs.drain(grace: .zero)
        }
    }
}
