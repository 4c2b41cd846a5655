import Foundation

/// Delivers one run's events, as they happen, to every live subscriber (an SSE stream, a printer), text deltas
/// included; the store is only read to catch up. Subscribers that join late get what happens from then on.
public final class RunBroadcast: EventSink, @unchecked Sendable {
    /// What a subscriber receives.
    public enum Item: Sendable {
        /// An event of the run.
        case event(RunEvent)
        /// Time passed without an event (for keep-alives).
        case idle
    }

    // Guarded by `lock`.
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<Item>.Continuation] = [:]
    private var finished = false

    /// Creates a broadcast with no subscribers.
    public init() {}

    /// Text deltas only while someone is subscribed.
    public var wantsTextDeltas: Bool { lock.withLock { !subscribers.isEmpty } }

    /// Sends the event to every subscriber.
    public func emit(_ event: RunEvent) async {
        for continuation in lock.withLock({ Array(subscribers.values) }) { continuation.yield(.event(event)) }
    }

    /// A stream of the run's events from now on, with an `.idle` item every `idle` without one; it ends when the
    /// run's attempt ends (at once when it already has).
    public func subscribe(idle: Duration) -> AsyncStream<Item> {
        let (stream, continuation) = AsyncStream<Item>.makeStream()
        let id = UUID()
        let ended: Bool = lock.withLock {
            if !finished { subscribers[id] = continuation }
            return finished
        }
        if ended {
            continuation.finish()
            return stream
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: idle)
                if case .terminated = continuation.yield(.idle) { return }
            }
        }
        continuation.onTermination = { [weak self] _ in
            ticker.cancel()
            self?.lock.withLock { _ = self?.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every subscription: the attempt is over.
    public func finish() {
        let all: [AsyncStream<Item>.Continuation] = lock.withLock {
            finished = true
            defer { subscribers = [:] }
            return Array(subscribers.values)
        }
        for continuation in all { continuation.finish() }
    }
}
