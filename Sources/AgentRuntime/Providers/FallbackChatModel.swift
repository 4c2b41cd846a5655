/// A ``ChatModel`` that tries its models in order: when one still fails with a
/// retryable error after its own retries, the next is asked.
///
/// Streams switch only before the first delta; once text has been shown, a
/// failure ends the stream.
public struct FallbackChatModel: ChatModel {
    /// One model to try, with the model name to put in the request.
    public struct Candidate: Sendable {
        /// The model.
        public var model: any ChatModel
        /// Its `provider/model`.
        public var reference: ModelReference

        /// Creates a candidate.
        public init(model: any ChatModel, reference: ModelReference) {
            self.model = model
            self.reference = reference
        }
    }

    /// Primary first.
    public let candidates: [Candidate]

    /// Creates a fallback chain (primary first).
    public init(_ candidates: [Candidate]) { self.candidates = candidates }

    private func request(_ request: ChatRequest, for candidate: Candidate) -> ChatRequest {
        var copy = request
        copy.model = candidate.reference.model
        return copy
    }

    /// Tries each model until one answers or fails for a reason another model cannot fix.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        var lastError: (any Error)?
        for candidate in candidates {
            do {
                var response = try await candidate.model.complete(self.request(request, for: candidate))
                response.servedBy = candidate.reference
                return response
            } catch let error as ProviderError where error.isRetryable {
                lastError = error
            }
        }
        throw lastError ?? ProviderError(code: .invalidRequest, message: "no model to call", provider: nil)
    }

    /// Streams from the first model that starts answering.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatDelta, any Error> {
        .producing { continuation in
            var lastError: (any Error)?
            for candidate in candidates {
                var delivered = false
                do {
                    for try await delta in candidate.model.stream(self.request(request, for: candidate)) {
                        if case .completed(var response) = delta {
                            response.servedBy = candidate.reference
                            continuation.yield(.completed(response))
                        } else {
                            continuation.yield(delta)
                        }
                        delivered = true
                    }
                    return
                } catch let error as ProviderError where error.isRetryable && !delivered {
                    lastError = error
                }
            }
            throw lastError ?? ProviderError(code: .invalidRequest, message: "no model to call", provider: nil)
        }
    }
}
