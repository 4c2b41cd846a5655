import Foundation
import PostgresNIO

/// The store's connection pool, replaced by a fresh one when it cannot connect.
///
/// postgres-nio's pool retries a failing connection with a backoff that grows to a minute (and, after a minute
/// without a connection, fails every request at once until a retry succeeds), so after a long outage it can take
/// that long to serve again. When a request waits in vain for a connection while the pool is not busy (fewer
/// connections in use than it may open), this pool opens candidates (each probed for the query timeout, and started
/// at least 0.1 s apart, doubling up to 2 s) until one answers `SELECT 1`, then serves every new request from it.
/// The old pool is closed once its last lease ends; replacing stops if the old pool serves again first.
final class PostgresPool: @unchecked Sendable {
    /// One pool (postgres-nio's client) and its leases.
    final class Generation: @unchecked Sendable {
        /// The client.
        let client: PostgresClient
        private let runner: Task<Void, Never>

        // Guarded by `lock`.
        private let lock = NSLock()
        private var inUse = 0
        private var leases = 0
        private var retired = false

        /// Starts a pool with `configuration`.
        init(configuration: PostgresClient.Configuration, logger: Logger) {
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            self.client = client
            runner = Task { await client.run() }
        }

        /// Connections leased now.
        var leased: Int { lock.withLock { inUse } }

        /// Connections leased so far.
        var leaseCount: Int { lock.withLock { leases } }

        /// Runs `body` with a connection of this pool, setting `leased` once it has one.
        func withConnection<Result: Sendable>(
            leased: Flag, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
        ) async throws -> Result {
            try await client.withConnection { connection in
                acquire()
                leased.set()
                defer { release() }
                return try await body(connection)
            }
        }

        /// Records a lease.
        private func acquire() {
            lock.withLock {
                inUse += 1
                leases += 1
            }
        }

        /// Records the end of a lease (closing a retired pool with its last one).
        private func release() {
            let close = lock.withLock {
                inUse -= 1
                return retired && inUse == 0
            }
            if close { runner.cancel() }
        }

        /// Closes the pool once its leases end (at once when `now`).
        func retire(now: Bool = false) {
            let close = lock.withLock {
                retired = true
                return now || inUse == 0
            }
            if close { runner.cancel() }
        }
    }

    private let configuration: PostgresClient.Configuration
    private let logger: Logger
    /// How long a candidate may take to answer.
    private let timeout: Duration

    // Guarded by `lock`.
    private let lock = NSLock()
    private var generation: Generation
    private var recovery: Task<Void, Never>?
    private var closed = false

    /// Starts a pool with `configuration`.
    init(configuration: PostgresClient.Configuration, logger: Logger, timeout: Duration) {
        self.configuration = configuration
        self.logger = logger
        self.timeout = timeout
        generation = Generation(configuration: configuration, logger: logger)
    }

    /// The pool new requests use.
    var current: Generation { lock.withLock { generation } }

    /// Called when a request gave up waiting for a connection of `generation` (its deadline passed, or the pool
    /// gave up connecting): starts replacing the pool, unless it is no longer the current one, every connection
    /// was in use (the pool is busy, not broken), or a replacement is under way.
    func waitedInVain(_ generation: Generation) {
        lock.withLock {
            guard !closed, recovery == nil, self.generation === generation,
                generation.leased < configuration.options.maximumConnections
            else { return }
            let leases = generation.leaseCount
            recovery = Task { await self.recover(from: generation, leases: leases) }
        }
    }

    /// Opens candidates until one answers, then makes it the current pool; stops when the old pool serves again.
    private func recover(from old: Generation, leases: Int) async {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled, old.leaseCount == leases {
            let started = ContinuousClock.now
            let candidate = Generation(configuration: configuration, logger: logger)
            let client = candidate.client
            let logger = self.logger
            let answered =
                (try? await Deadline.run(timeout, timeout: { CancellationError() }) {
                    try await PostgresRunStore.collect(client.query("SELECT 1", logger: logger)) { _ in () }
                }) != nil
            if answered {
                let replaced: Bool = lock.withLock {
                    guard !closed, generation === old else { return false }
                    generation = candidate
                    return true
                }
                if replaced { old.retire() } else { candidate.retire(now: true) }
                break
            }
            candidate.retire(now: true)
            // A candidate retries connecting on its own while it is probed (its backoff is still short), so the
            // next one starts at once after a probe that waited; one that failed at once is retried later.
            do { try await Task.sleep(until: started + backoff) } catch { break }
            backoff = min(backoff * 2, .seconds(2))
        }
        lock.withLock { recovery = nil }
    }

    /// Closes every connection; the pool cannot be used afterwards.
    func shutdown() {
        let (generation, recovery) = lock.withLock {
            closed = true
            return (self.generation, self.recovery)
        }
        recovery?.cancel()
        generation.retire(now: true)
    }

    /// A flag set once, read from any task.
    final class Flag: @unchecked Sendable {
        // Guarded by `lock`.
        private let lock = NSLock()
        private var value = false

        /// Sets the flag.
        func set() { lock.withLock { value = true } }

        /// Whether the flag is set.
        var isSet: Bool { lock.withLock { value } }
    }
}
