import AgentRuntime
import Foundation

/// A ``ChatModel`` whose answers come from a script: a function of the
/// request (so concurrent runs get their own answers), or a queue of responses.
/// Streams deliver the text in word-sized deltas, then `.completed`.
public final class ScriptedChatModel: ChatModel, @unchecked Sendable {
    private let respond: @Sendable (ChatRequest) async throws -> ChatResponse
    private let lock = NSLock()
    private var recorded: [ChatRequest] = []

    /// Answers each request with `respond`.
    public init(_ respond: @escaping @Sendable (ChatRequest) async throws -> ChatResponse) {
        self.respond = respond
    }

    /// Answers requests with `responses` in order (an error once they run out).
    public convenience init(responses: [ChatResponse]) {
        let queue = ResponseQueue(responses)
        self.init { _ in try queue.next() }
    }

    /// The requests received, in order.
    public var requests: [ChatRequest] { lock.withLock { recorded } }

    /// Records and answers.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        lock.withLock { recorded.append(request) }
        try Task.checkCancellation()
        return try await respond(request)
    }

    /// Records, answers, and streams the answer word by word.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatDelta, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await self.complete(request)
                    if let text = response.text {
                        var word = ""
                        for character in text {
                            word.append(character)
                            if character == " " {
                                continuation.yield(.text(word))
                                word = ""
                            }
                        }
                        if !word.isEmpty { continuation.yield(.text(word)) }
                    }
                    for (index, call) in response.toolCalls.enumerated() {
                        continuation.yield(
                            .toolCall(index: index, id: call.id, name: call.name, arguments: call.arguments))
                    }
                    continuation.yield(.completed(response))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A text answer.
    public static func text(
        _ text: String, usage: TokenUsage = TokenUsage(inputTokens: 10, outputTokens: 5)
    ) -> ChatResponse {
        ChatResponse(text: text, finishReason: .stop, usage: usage)
    }

    /// An answer calling tools: `(name, arguments JSON)` pairs, ids `call_1`, `call_2`, ...
    public static func calls(
        _ calls: [(String, String)], usage: TokenUsage = TokenUsage(inputTokens: 10, outputTokens: 5)
    ) -> ChatResponse {
        ChatResponse(
            text: nil,
            toolCalls: calls.enumerated().map {
                ToolCall(id: "call_\($0.offset + 1)", name: $0.element.0, arguments: $0.element.1)
            },
            finishReason: .toolCalls, usage: usage)
    }
}

private final class ResponseQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var responses: [ChatResponse]
    init(_ responses: [ChatResponse]) { self.responses = responses }
    func next() throws -> ChatResponse {
        try lock.withLock {
            guard !responses.isEmpty else {
                throw ProviderError(
                    code: .invalidRequest, message: "the script has no more responses", provider: "scripted")
            }
            return responses.removeFirst()
        }
    }
}
