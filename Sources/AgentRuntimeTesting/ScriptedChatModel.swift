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
                        continuation.yield(.toolCall(index: index, id: call.id, name: call.name, arguments: call.arguments))
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
    public static func text(_ text: String, usage: TokenUsage = TokenUsage(inputTokens: 10, outputTokens: 5)) -> ChatResponse {
        ChatResponse(text: text, finishReason: .stop, usage: usage)
    }

    /// An answer calling tools: `(name, arguments JSON)` pairs, ids `call_1`, `call_2`, ...
    public static func calls(_ calls: [(String, String)], usage: TokenUsage = TokenUsage(inputTokens: 10, outputTokens: 5)) -> ChatResponse {
        ChatResponse(
            text: nil, toolCalls: calls.enumerated().map { ToolCall(id: "call_\($0.offset + 1)", name: $0.element.0, arguments: $0.element.1) },
            finishReason: .toolCalls, usage: usage)
    }
}

private final class ResponseQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var responses: [ChatResponse]
    init(_ responses: [ChatResponse]) { self.responses = responses }
    func next() throws -> ChatResponse {
        try lock.withLock {
            guard !responses.isEmpty else { throw ProviderError(code: .invalidRequest, message: "the script has no more responses", provider: "scripted") }
            return responses.removeFirst()
        }
    }
}

/// A ``ModelResolver`` that hands out one scripted model for every reference.
public struct ScriptedModelResolver: ModelResolver {
    /// The model.
    public let model: any ChatModel
    /// The price applied to every call.
    public let price: ModelPrice?

    /// Creates a resolver.
    public init(_ model: any ChatModel, price: ModelPrice? = ModelPrice(input: 1, output: 2)) {
        self.model = model
        self.price = price
    }

    /// The scripted model under the requested (or a default) name.
    public func resolve(_ reference: ModelReference?, principal: Principal) async throws -> ResolvedModel {
        ResolvedModel(reference: reference ?? ModelReference(provider: "scripted", model: "default"), model: model, price: price)
    }
}

/// An ``EventSink`` that keeps every event.
public actor RecordingEventSink: EventSink {
    /// The events in arrival order.
    public private(set) var events: [RunEvent] = []

    /// Creates an empty sink.
    public init() {}

    /// Keeps the event.
    public func emit(_ event: RunEvent) { events.append(event) }

    /// The kind names in order, without text deltas.
    public var kinds: [String] { events.map(\.kindName).filter { $0 != "text_delta" } }
}

/// A tool for tests: returns what its closure computes, and counts its calls.
public final class ClosureTool: Tool, @unchecked Sendable {
    /// The spec.
    public let spec: ToolSpec
    private let body: @Sendable (JSONValue) async throws -> ToolResult
    private let lock = NSLock()
    private var calls = 0

    /// Creates a tool.
    public init(_ spec: ToolSpec, body: @escaping @Sendable (JSONValue) async throws -> ToolResult) {
        self.spec = spec
        self.body = body
    }

    /// How many times it ran.
    public var callCount: Int { lock.withLock { calls } }

    /// Runs the closure.
    public func call(_ arguments: JSONValue, context: ToolContext) async throws -> ToolResult {
        lock.withLock { calls += 1 }
        return try await body(arguments)
    }
}
