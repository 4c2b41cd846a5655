import AgentRuntime

/// Wake-ups for whoever follows one run (an event stream, a request waiting for the run's end): one whenever the
/// store signals something about the run (from any replica), and one every `interval` regardless, so a lost signal
/// delays a reader by `interval` at most. Wake-ups that come while the follower is busy collapse into one.
enum RunWakeups {
    /// The wake-ups for `run`, from now until the stream is dropped.
    static func stream(_ source: any RunSignalSource, run: RunID, interval: Duration) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let signals = source.signals()
        let forward = Task {
            for await signal in signals {
                switch signal {
                case .event(let id, _) where id == run: continuation.yield()
                case .status(let id) where id == run: continuation.yield()
                case .resync: continuation.yield()
                default: continue
                }
            }
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                continuation.yield()
            }
        }
        continuation.onTermination = { _ in
            forward.cancel()
            ticker.cancel()
        }
        return stream
    }
}

extension GatewayServices {
    /// Waits until `runID` of `tenant` ends (interrupted is not an end: a worker carries it on) or stops to wait for
    /// an approval, wherever it is carried out; returns its record then (nil when there is no such run).
    func awaitEnd(of runID: RunID, tenant: TenantID) async throws -> RunRecord? {
        var wakeups = RunWakeups.stream(store, run: runID, interval: configuration.eventPollInterval)
            .makeAsyncIterator()
        while true {
            guard let record = try await store.run(runID, tenant: tenant) else { return nil }
            // An interrupted run is carried on by a worker: not an end.
            if (record.status.isFinal && record.status != .interrupted) || record.status == .awaitingApproval {
                return record
            }
            guard await wakeups.next() != nil, !Task.isCancelled else { throw CancellationError() }
        }
    }
}
