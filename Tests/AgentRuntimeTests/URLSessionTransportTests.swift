import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// URLSessionTransport against a real HTTP server on loopback.
@Suite("URLSession transport on loopback")
struct URLSessionTransportTests {
    let transport = URLSessionTransport()

    private func chunk(_ text: String) -> String {
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(text)\"},\"finish_reason\":null}]}\n\n"
    }
    private let end = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n"

    private func model(_ server: LoopbackHTTPServer, retry: RetryPolicy = .none) -> HTTPChatModel<OpenAIChatFormat> {
        HTTPChatModel(
            format: OpenAIChatFormat(provider: "local", endpoint: .standard(baseURL: server.baseURL.appendingPathComponent("v1")), authentication: .none, apiKey: nil),
            transport: transport, retryPolicy: retry)
    }

    private func waitFor(_ timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test("the first delta arrives while the response is still being written")
    func firstDeltaEarly() async throws {
        // The server sends one chunk, then holds the rest of the body until the client has seen
        // that chunk as a delta (or 10 s pass). It records which of the two released it.
        let clientSawDelta = Flag()
        let releasedByClient = Flag()
        let server = try LoopbackHTTPServer { [chunk, end] _ in
            .init(steps: [
                .text(chunk("Hel")), .waitUntil(timeout: .seconds(10)) { clientSawDelta.isSet },
                .perform { if clientSawDelta.isSet { releasedByClient.set() } }, .text(chunk("lo")), .text(end),
            ])
        }
        defer { server.stop() }
        let response = try await model(server).stream(ChatRequest(model: "m", messages: [.user("hi")])) { delta in
            if case .text = delta { clientSawDelta.set() }
        }
        #expect(response.text == "Hello")
        #expect(response.usage == TokenUsage(inputTokens: 3, outputTokens: 2))
        #expect(releasedByClient.isSet, "the first delta only arrived once the response had ended")
    }

    @Test("the overall deadline ends a slow call, even while bytes keep trickling")
    func deadline() async throws {
        let server = try LoopbackHTTPServer { _ in
            .init(steps: Array(repeating: [Step.text(": ping\n\n"), .pause(.milliseconds(200))], count: 100).flatMap { $0 })
        }
        defer { server.stop() }
        var request = ChatRequest(model: "m", messages: [.user("hi")])
        request.deadline = .now + .milliseconds(700)
        let started = ContinuousClock.now
        let error = await #expect(throws: ProviderError.self) {
            _ = try await model(server).stream(request) { _ in }
        }
        #expect(error?.code == .timeout)
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(650) && elapsed < .seconds(12), "the server trickles for 20 s; the deadline is 0.7 s")
    }

    @Test("cancelling the consumer closes the connection")
    func cancellation() async throws {
        let server = try LoopbackHTTPServer { _ in
            .init(steps: [.text(chunk("first"))] + Array(repeating: [Step.pause(.milliseconds(50)), .text(chunk("more"))], count: 100).flatMap { $0 })
        }
        defer { server.stop() }
        let model = model(server)
        let gotFirst = AsyncStream<Void>.makeStream()
        let task = Task {
            try await model.stream(ChatRequest(model: "m", messages: [.user("hi")])) { delta in
                if case .text = delta { gotFirst.continuation.yield() }
            }
        }
        var iterator = gotFirst.stream.makeAsyncIterator()
        _ = await iterator.next()
        task.cancel()
        let closed = await waitFor(.seconds(3)) { server.clientDisconnects == 1 }
        #expect(closed, "the server never saw the client close the connection")
        let result = await task.result
        #expect(throws: ProviderError(code: .cancelled, message: "the call was cancelled", provider: nil)) { try result.get() }
    }

    @Test("a 429 with Retry-After is retried after the wait")
    func retryAfter() async throws {
        let count = Counter()
        let server = try LoopbackHTTPServer { _ in
            if count.next() == 1 {
                return .init(status: 429, headers: ["Retry-After": "1", "Content-Type": "application/json"], body: #"{"error":{"message":"slow down","code":"rate_limit_exceeded"}}"#)
            }
            return .init(body: OpenAIChatFormatTests.textResponse)
        }
        defer { server.stop() }
        let started = ContinuousClock.now
        let response = try await model(server, retry: RetryPolicy(maxRetries: 2)).complete(ChatRequest(model: "m", messages: [.user("hi")]))
        #expect(response.text == "Hello! How can I help you today?")
        #expect(server.requestCount == 2)
        #expect(ContinuousClock.now - started >= .seconds(1))
    }

    @Test("100 concurrent streams are really in flight at once")
    func concurrency() async throws {
        // The handler holds every stream open until all 100 are in flight at once.
        let sharedServer = try ConcurrencyServer(target: 100, chunk: chunk("a"), end: end)
        defer { sharedServer.server.stop() }
        let model = model(sharedServer.server)
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<100 {
                group.addTask { try await model.stream(ChatRequest(model: "m", messages: [.user("hi")])) { _ in }.text ?? "" }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(results.count == 100)
        #expect(results.allSatisfy { $0 == "a" })
        #expect(sharedServer.server.maxInFlight == 100)
    }
}

/// A server whose streams each wait until `target` requests have been in flight together
/// (a latch on the high-water mark, so the first to finish does not strand the rest).
final class ConcurrencyServer: Sendable {
    let server: LoopbackHTTPServer

    init(target: Int, chunk: String, end: String) throws {
        let box = ServerBox()
        server = try LoopbackHTTPServer { _ in
            .init(steps: [.text(chunk), .waitUntil(timeout: .seconds(10)) { (box.server?.maxInFlight ?? 0) >= target }, .text(end)])
        }
        box.server = server
    }
}

/// Lets a handler see its own server.
final class ServerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _server: LoopbackHTTPServer?
    var server: LoopbackHTTPServer? {
        get { lock.withLock { _server } }
        set { lock.withLock { _server = newValue } }
    }
}

/// A thread-safe counter for handlers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { value += 1; return value } }
}

typealias Step = LoopbackHTTPServer.Step

/// A thread-safe one-way flag.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
