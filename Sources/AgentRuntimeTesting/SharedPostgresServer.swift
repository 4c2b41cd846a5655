import Foundation

/// The process's one cluster, started once and stopped at exit.
final class SharedPostgresServer: @unchecked Sendable {
    static let instance = SharedPostgresServer()

    // Guarded by `lock`.
    private let lock = NSLock()
    private var starting: Task<PostgresTestServer, any Error>?
    private var directory: URL?

    /// The cluster, starting it on first use (a failed start is retried by the next caller).
    func server() async throws -> PostgresTestServer {
        let task = lock.withLock {
            if let starting { return starting }
            // initdb takes seconds: on a thread of its own, not the cooperative pool.
            let task = Task { try await PostgresTestServer.offPool { try self.startOnce() } }
            starting = task
            return task
        }
        do { return try await task.value } catch {
            lock.withLock { if starting == task { starting = nil } }
            throw error
        }
    }

    private func startOnce() throws -> PostgresTestServer {
        let server = try PostgresTestServer.start()
        lock.withLock { directory = server.directory }
        atexit { SharedPostgresServer.instance.stopAtExit() }
        return server
    }

    /// Stops the cluster (called at process exit).
    func stopAtExit() {
        guard let directory = lock.withLock({ directory }) else { return }
        PostgresTestServer.stop(directory: directory)
    }
}
