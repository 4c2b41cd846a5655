import AgentRuntime
import Foundation

/// Wake-ups for whoever follows one run (an event stream, a request waiting for the run's end): one whenever the
/// store signals something about the run (from any replica), and one every `interval` regardless, so a lost signal
/// delays a reader by `interval` at most. Wake-ups that come while the follower is busy collapse into one.
///
/// One router per service reads the store's signals once and hands each to the followers of its run only, so a
/// thousand requests waiting for a thousand runs cost one lookup per signal, not a thousand.
final class RunWakeups: @unchecked Sendable {
    private let source: any RunSignalSource
    // Guarded by `lock`.
    private let lock = NSLock()
    private var followers: [RunID: [UUID: AsyncStream<Void>.Continuation]] = [:]
    private var reading: Task<Void, Never>?

    /// A router over `source`'s signals (read from the first follower on).
    init(source: any RunSignalSource) { self.source = source }

    deinit { reading?.cancel() }

    /// The wake-ups for `run`, from now until the stream is dropped.
    func stream(run: RunID, interval: Duration) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        lock.withLock {
            followers[run, default: [:]][id] = continuation
            if reading == nil {
                let signals = source.signals()
                reading = Task { [weak self] in
                    for await signal in signals { self?.route(signal) }
                }
            }
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                continuation.yield()
            }
        }
        continuation.onTermination = { [weak self] _ in
            ticker.cancel()
            self?.lock.withLock {
                self?.followers[run]?[id] = nil
                if self?.followers[run]?.isEmpty == true { self?.followers[run] = nil }
            }
        }
        return stream
    }

    private func route(_ signal: RunSignal) {
        let woken: [AsyncStream<Void>.Continuation] = lock.withLock {
            switch signal {
            case .event(let run, _), .status(let run): return Array((followers[run] ?? [:]).values)
            case .resync: return followers.values.flatMap(\.values)
            default: return []
            }
        }
        for continuation in woken { continuation.yield() }
    }
}

extension GatewayServices {
    /// Waits until `runID` of `tenant` ends (interrupted is not an end: a worker carries it on) or stops to wait for
    /// an approval, wherever it is carried out; returns its record then (nil when there is no such run).
    func awaitEnd(of runID: RunID, tenant: TenantID) async throws -> RunRecord? {
        var wakeups = wakeups.stream(run: runID, interval: configuration.eventPollInterval).makeAsyncIterator()
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
