extension AsyncThrowingStream where Failure == any Error {
    /// A stream fed by `body`, run in its own task: the stream finishes when `body` returns, fails with
    /// what it throws, and cancels `body` when the consumer stops listening.
    public static func producing(_ body: @escaping @Sendable (Continuation) async throws -> Void) -> Self {
        let (stream, continuation) = makeStream()
        let task = Task {
            do {
                try await body(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
