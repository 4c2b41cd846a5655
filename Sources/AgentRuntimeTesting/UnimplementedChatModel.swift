import AgentRuntime
import Foundation

/// A ``ChatModel`` for tests in which no model may be called: every call is recorded and fails with
/// ``UnimplementedCall``, so a test that should never reach a model fails (and can say how often it was reached).
public final class UnimplementedChatModel: ChatModel, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [ChatRequest] = []

    /// Creates the model.
    public init() {}

    /// The calls that should not have happened.
    public var requests: [ChatRequest] { lock.withLock { recorded } }

    /// Records the call and fails.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        lock.withLock { recorded.append(request) }
        throw UnimplementedCall(what: "ChatModel.complete")
    }

    /// Records the call and fails.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatDelta, any Error> {
        lock.withLock { recorded.append(request) }
        return AsyncThrowingStream { $0.finish(throwing: UnimplementedCall(what: "ChatModel.stream")) }
    }
}

/// The error of a test double called where the test expects no call.
public struct UnimplementedCall: Error, CustomStringConvertible {
    /// What was called.
    public var what: String
    /// Says what was called.
    public var description: String { "\(what) was called, and this test expects no call" }
}
