import Foundation

/// Races a piece of work against a timer: the caller gets the work's result, or the timer's error once `limit` has
/// passed, whichever comes first.
///
/// The work runs in a task of its own, which the timer cancels; the caller does not wait for it to stop. (A task
/// group would: a query sent to a server that no longer answers, or a pool waiting for a connection it cannot make,
/// does not always end when cancelled, and postgres-nio waits for a connection forever: vapor/postgres-nio #489.)
enum Deadline {
    /// Runs `work`; throws `timeout()` when it has not finished within `limit`, and whatever `work` throws.
    /// Cancelling the caller does not stop the work: a store operation ends by itself or at its deadline, as a
    /// SQLite write does, so a run being cancelled still stores its end (its `run_cancelled` event, its final
    /// record) rather than losing it to the cancellation.
    static func run<Result: Sendable>(
        _ limit: Duration, timeout: @escaping @Sendable () -> any Error,
        _ work: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let race = Race<Result>()
        return try await withCheckedThrowingContinuation { continuation in
            race.start(
                continuation,
                work: Task {
                    do { race.finish(.success(try await work())) } catch { race.finish(.failure(error)) }
                },
                timer: Task {
                    do { try await Task.sleep(for: limit) } catch { return }
                    race.finish(.failure(timeout()))
                })
        }
    }

    /// The state of one race: the caller's continuation until someone resumes it, and the two tasks.
    private final class Race<Value: Sendable>: @unchecked Sendable {
        // Guarded by `lock`.
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Value, any Error>?
        private var early: Swift.Result<Value, any Error>?
        private var tasks: [Task<Void, Never>] = []

        /// Hands over the caller's continuation and the two tasks (a result that came first is delivered now).
        func start(
            _ continuation: CheckedContinuation<Value, any Error>, work: Task<Void, Never>, timer: Task<Void, Never>
        ) {
            let (ready, cancel): (Swift.Result<Value, any Error>?, Bool) = lock.withLock {
                tasks = [work, timer]
                if let early {
                    self.early = nil
                    return (early, true)
                }
                self.continuation = continuation
                return (nil, false)
            }
            if cancel {
                work.cancel()
                timer.cancel()
            }
            if let ready { continuation.resume(with: ready) }
        }

        /// Delivers the first result; later ones are dropped. Stops whichever task is still running.
        func finish(_ result: Swift.Result<Value, any Error>) {
            let (continuation, tasks): (CheckedContinuation<Value, any Error>?, [Task<Void, Never>]) = lock.withLock {
                guard let continuation = self.continuation else {
                    if self.tasks.isEmpty, early == nil { early = result }
                    return (nil, [])
                }
                self.continuation = nil
                return (continuation, self.tasks)
            }
            guard let continuation else { return }
            for task in tasks { task.cancel() }
            continuation.resume(with: result)
        }
    }
}
