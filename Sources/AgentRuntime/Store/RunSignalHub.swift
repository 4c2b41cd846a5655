import Foundation

/// Hands every published ``RunSignal`` to every current subscriber, in publishing order. A store keeps one: the
/// SQLite store publishes its own writes to it; a shared store publishes what it hears from the database.
public final class RunSignalHub: RunSignalSource, @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<RunSignal>.Continuation] = [:]

    /// Creates a hub with no subscribers.
    public init() {}

    /// Every signal published from now on; ends when the stream is dropped.
    public func signals() -> AsyncStream<RunSignal> {
        let (stream, continuation) = AsyncStream<RunSignal>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let id = UUID()
        lock.withLock { subscribers[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            self?.lock.withLock { _ = self?.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Sends `signal` to every subscriber.
    public func publish(_ signal: RunSignal) {
        for continuation in lock.withLock({ Array(subscribers.values) }) { continuation.yield(signal) }
    }
}
