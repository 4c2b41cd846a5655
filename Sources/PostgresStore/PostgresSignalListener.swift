import AgentRuntime
import Foundation
import PostgresNIO

/// The one connection of a store that `LISTEN`s on the ``channel`` every write of the store notifies (from this
/// process and every other one on the database), handing each signal to a ``RunSignalHub``.
///
/// Opened on the first subscription. When the connection drops (or stops answering the ping sent every
/// `pingInterval`), new ones are tried, each for the store's query timeout, and started at least 0.1 s apart (then
/// 0.2 s, doubling up to 2 s; back to 0.1 s once one listened); once it listens again,
/// ``RunSignal/resync`` tells subscribers that signals may have been lost. The first `LISTEN` sends it too: a
/// subscriber that wrote or read just before the listener was ready re-reads.
final class PostgresSignalListener: @unchecked Sendable {
    /// The channel of every signal.
    static let channel = "agentruntime"

    /// Subscribers of this store.
    let hub = RunSignalHub()
    /// The store's pool configuration (the listener opens a pool of one connection with it).
    private let configuration: PostgresClient.Configuration
    private let logger: Logger
    /// How long connecting and a ping may take.
    private let timeout: Duration
    /// How often the listening connection is checked.
    private let pingInterval: Duration

    // Guarded by `lock`.
    private let lock = NSLock()
    private var task: Task<Void, Never>?
    private var stopped = false

    /// Creates a listener that is not listening yet.
    init(
        configuration: PostgresClient.Configuration, logger: Logger, timeout: Duration,
        pingInterval: Duration = .seconds(10)
    ) {
        var configuration = configuration
        configuration.options.maximumConnections = 1
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = timeout
        self.configuration = configuration
        self.logger = logger
        self.timeout = timeout
        self.pingInterval = pingInterval
    }

    /// Every signal from now on; opens the listening connection on the first call.
    func signals() -> AsyncStream<RunSignal> {
        let stream = hub.signals()
        lock.withLock {
            guard task == nil, !stopped else { return }
            task = Task { [weak self] in await self?.run() }
        }
        return stream
    }

    /// Closes the listening connection for good.
    func stop() {
        let task = lock.withLock {
            stopped = true
            return self.task
        }
        task?.cancel()
    }

    /// Listens until cancelled, reconnecting with backoff.
    private func run() async {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            let started = ContinuousClock.now
            if await listenOnce() { backoff = .milliseconds(100) }
            // Attempts start at least `backoff` apart (one that waited for a connection is followed at once).
            do { try await Task.sleep(until: started + backoff) } catch { return }
            backoff = min(backoff * 2, .seconds(2))
        }
    }

    /// One connection: opens it (within `timeout`), listens and pings until it fails; returns whether it listened.
    private func listenOnce() async -> Bool {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let state = AttemptState()
        let hub = self.hub
        let logger = self.logger
        let timeout = self.timeout
        let pingInterval = self.pingInterval
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await client.run()
                return false
            }
            group.addTask {
                try? await client.withConnection { connection in
                    try await withThrowingTaskGroup(of: Void.self) { inner in
                        inner.addTask {
                            try await connection.listen(on: Self.channel) { notifications in
                                state.listening()
                                hub.publish(.resync)
                                for try await notification in notifications {
                                    if let signal = Self.signal(notification.payload) { hub.publish(signal) }
                                }
                            }
                        }
                        inner.addTask {
                            while true {
                                try await Task.sleep(for: pingInterval)
                                _ = try await Deadline.run(timeout, timeout: { CancellationError() }) {
                                    try await PostgresRunStore.collect(
                                        connection.query("SELECT 1", logger: logger)
                                    ) { _ in () }
                                }
                            }
                        }
                        // The first to end (the connection dropped, a ping went unanswered) ends both.
                        try await inner.next()
                        inner.cancelAll()
                    }
                }
                return true
            }
            group.addTask {
                // Gives up on a connection that does not start listening in time (the pool would retry forever).
                try? await Task.sleep(for: timeout)
                return !state.hasListened
            }
            while let ended = await group.next() {
                if ended { break }
            }
            group.cancelAll()
        }
        return state.hasListened
    }

    /// The signal a notification's payload stands for (see ``PostgresRunStore`` for the formats).
    static func signal(_ payload: String) -> RunSignal? {
        let parts = payload.split(separator: " ", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count) {
        case ("q", 1): return .queued
        case ("d", 1): return .definitions
        case ("s", 2): return .status(RunID(parts[1]))
        case ("c", 2): return .cancel(RunID(parts[1]))
        case ("e", 2):
            guard let space = parts[1].lastIndex(of: " "), let sequence = Int(parts[1][space...].dropFirst())
            else { return nil }
            return .event(RunID(String(parts[1][..<space])), sequence: sequence)
        default: return nil
        }
    }

    /// Whether the current connection got as far as listening.
    private final class AttemptState: @unchecked Sendable {
        // Guarded by `lock`.
        private let lock = NSLock()
        private var listened = false

        /// Records that `LISTEN` succeeded.
        func listening() { lock.withLock { listened = true } }

        /// Whether `LISTEN` succeeded.
        var hasListened: Bool { lock.withLock { listened } }
    }
}
