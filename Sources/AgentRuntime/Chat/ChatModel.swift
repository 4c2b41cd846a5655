/// The port to a language model: one call, whole or streamed.
public protocol ChatModel: Sendable {
    /// Sends `request` and returns the complete answer.
    func complete(_ request: ChatRequest) async throws -> ChatResponse

    /// Sends `request` and streams the answer; the stream ends with `.completed`.
    /// Cancelling the consuming task cancels the underlying request.
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatDelta, any Error>
}

extension ChatModel {
    /// Streams `request`, passing each delta to `onDelta`, and returns the completed response.
    public func stream(
        _ request: ChatRequest, onDelta: (ChatDelta) async throws -> Void
    ) async throws -> ChatResponse {
        for try await delta in stream(request) {
            if case .completed(let response) = delta { return response }
            try await onDelta(delta)
        }
        if Task.isCancelled { throw ProviderError(code: .cancelled, message: "the call was cancelled", provider: nil) }
        throw ProviderError(code: .streamTruncated, message: "the stream ended without a final response", provider: nil)
    }
}
