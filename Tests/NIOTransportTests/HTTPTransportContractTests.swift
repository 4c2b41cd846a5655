import AgentRuntime
import AgentRuntimeTesting
import Foundation
import NIOTransport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The two HTTP clients behind the ``HTTPTransport`` port.
enum TransportKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case nio, urlsession

    func make(
        _ settings: HTTPClientSettings = HTTPClientSettings(), environment: [String: String] = [:]
    ) throws -> any HTTPTransport {
        switch self {
        case .nio: return try AsyncHTTPClientTransport(settings: settings, environment: environment)
        case .urlsession: return URLSessionTransport(maximumConnectionsPerHost: settings.maxConnectionsPerHost)
        }
    }

    var testDescription: String { rawValue }
}

/// What every transport must do, against a real HTTP server on loopback: the NIO transport (the default) and
/// URLSession (the dependency-free fallback) pass the same tests.
@Suite("HTTP transports on loopback")
struct HTTPTransportContractTests {
    static let textResponse =
        #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}"#

    private func chunk(_ text: String) -> String {
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(text)\"},\"finish_reason\":null}]}\n\n"
    }
    private let end =
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n"

    private func model(
        _ server: LoopbackHTTPServer, _ transport: any HTTPTransport, retry: RetryPolicy = .none
    ) -> HTTPChatModel<OpenAIChatFormat> {
        HTTPChatModel(
            format: OpenAIChatFormat(
                provider: "local", endpoint: .standard(baseURL: server.baseURL.appendingPathComponent("v1")),
                authentication: .none, apiKey: nil),
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

    @Test("the first delta arrives while the response is still being written", arguments: TransportKind.allCases)
    func firstDeltaEarly(_ kind: TransportKind) async throws {
        let transport = try kind.make()
        // The server sends one chunk, then holds the rest of the body until the client has seen
        // that chunk as a delta (or 30 s pass: with the whole suite running on two cores, a task can wait seconds
        // for a thread). It records which of the two released it.
        let clientSawDelta = Flag()
        let releasedByClient = Flag()
        let server = try LoopbackHTTPServer { [chunk, end] _ in
            .init(steps: [
                .text(chunk("Hel")), .waitUntil(timeout: .seconds(30)) { clientSawDelta.isSet },
                .perform { if clientSawDelta.isSet { releasedByClient.set() } }, .text(chunk("lo")), .text(end),
            ])
        }
        defer { server.stop() }
        let response = try await model(server, transport).stream(ChatRequest(model: "m", messages: [.user("hi")])) {
            delta in
            if case .text = delta { clientSawDelta.set() }
        }
        #expect(response.text == "Hello")
        #expect(response.usage == TokenUsage(inputTokens: 3, outputTokens: 2))
        #expect(releasedByClient.isSet, "the first delta only arrived once the response had ended")
    }

    @Test("the overall deadline ends a slow call, even while bytes keep trickling", arguments: TransportKind.allCases)
    func deadline(_ kind: TransportKind) async throws {
        let transport = try kind.make()
        let server = try LoopbackHTTPServer { _ in
            .init(
                steps: Array(repeating: [Step.text(": ping\n\n"), .pause(.milliseconds(200))], count: 100).flatMap {
                    $0
                })
        }
        defer { server.stop() }
        var request = ChatRequest(model: "m", messages: [.user("hi")])
        request.deadline = .now + .milliseconds(700)
        let started = ContinuousClock.now
        let error = await #expect(throws: ProviderError.self) {
            _ = try await model(server, transport).stream(request) { _ in }
        }
        #expect(error?.code == .timeout)
        let elapsed = ContinuousClock.now - started
        #expect(
            elapsed >= .milliseconds(650) && elapsed < .seconds(16),
            "the server trickles for 20 s; the deadline is 0.7 s")
    }

    @Test("cancelling the consumer closes the connection", arguments: TransportKind.allCases)
    func cancellation(_ kind: TransportKind) async throws {
        let transport = try kind.make()
        let server = try LoopbackHTTPServer { _ in
            .init(
                steps: [.text(chunk("first"))]
                    + Array(repeating: [Step.pause(.milliseconds(200)), .text(chunk("more"))], count: 100).flatMap {
                        $0
                    }
            )
        }
        defer { server.stop() }
        let model = model(server, transport)
        let gotFirst = AsyncStream<Void>.makeStream()
        let task = Task {
            try await model.stream(ChatRequest(model: "m", messages: [.user("hi")])) { delta in
                if case .text = delta { gotFirst.continuation.yield() }
            }
        }
        var iterator = gotFirst.stream.makeAsyncIterator()
        _ = await iterator.next()
        task.cancel()
        // The server streams for 20 s; the bound is loose for a machine busy with the rest of the suite.
        let closed = await waitFor(.seconds(10)) { server.clientDisconnects == 1 }
        #expect(closed, "the server never saw the client close the connection")
        let result = await task.result
        #expect(throws: ProviderError(code: .cancelled, message: "the call was cancelled", provider: nil)) {
            try result.get()
        }
    }

    @Test("a 429 with Retry-After is retried after the wait", arguments: TransportKind.allCases)
    func retryAfter(_ kind: TransportKind) async throws {
        let transport = try kind.make()
        let count = Counter()
        let server = try LoopbackHTTPServer { _ in
            if count.next() == 1 {
                return .init(
                    status: 429, headers: ["Retry-After": "1", "Content-Type": "application/json"],
                    body: #"{"error":{"message":"slow down","code":"rate_limit_exceeded"}}"#)
            }
            return .init(body: Self.textResponse)
        }
        defer { server.stop() }
        let started = ContinuousClock.now
        let response = try await model(server, transport, retry: RetryPolicy(maxRetries: 2)).complete(
            ChatRequest(model: "m", messages: [.user("hi")]))
        #expect(response.text == "Hello! How can I help you today?")
        #expect(server.requestCount == 2)
        #expect(ContinuousClock.now - started >= .seconds(1))
    }

    @Test("100 concurrent streams are really in flight at once", arguments: TransportKind.allCases)
    func concurrency(_ kind: TransportKind) async throws {
        let transport = try kind.make()
        // The handler holds every stream open until all 100 are in flight at once.
        let sharedServer = try ConcurrencyServer(target: 100, chunk: chunk("a"), end: end)
        defer { sharedServer.server.stop() }
        let model = model(sharedServer.server, transport)
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await model.stream(ChatRequest(model: "m", messages: [.user("hi")])) { _ in }.text ?? ""
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(results.count == 100)
        #expect(results.allSatisfy { $0 == "a" })
        #expect(sharedServer.server.maxInFlight == 100)
    }

    @Test("sequential requests reuse one keep-alive connection", arguments: TransportKind.allCases)
    func keepAlive(_ kind: TransportKind) async throws {
        let transport = try kind.make()
        let server = try LoopbackHTTPServer { _ in .init(body: Self.textResponse) }
        defer { server.stop() }
        for _ in 0..<20 {
            let response = try await transport.send(
                HTTPRequest(method: "GET", url: server.baseURL.appendingPathComponent("ping")))
            #expect(response.status == 200)
        }
        #expect(server.requestCount == 20)
        #expect(server.connectionCount == 1, "20 sequential requests opened \(server.connectionCount) connections")
    }

    @Test("a host that refuses connections fails fast with a clear error", arguments: TransportKind.allCases)
    func unreachable(_ kind: TransportKind) async throws {
        let transport = try kind.make()
        // A port bound but not listening refuses connections, and no other test can take it meanwhile.
        let closed = try ClosedPort()
        defer { closed.close() }
        let port = closed.port
        let started = ContinuousClock.now
        let error = await #expect(throws: HTTPTransportError.self) {
            _ = try await transport.send(
                HTTPRequest(
                    method: "GET", url: URL(string: "http://127.0.0.1:\(port)/")!, deadline: .now + .seconds(120)))
        }
        #expect(error?.kind == .connection)
        // Far below the deadline (the bound leaves room for a full parallel suite on two cores; alone it takes milliseconds).
        #expect(
            ContinuousClock.now - started < .seconds(30),
            "a refused connection took \(ContinuousClock.now - started) to fail")
    }

    @Test(
        "redirects: same origin keeps credentials, another origin gets none, and the hops are bounded",
        arguments: TransportKind.allCases)
    func redirects(_ kind: TransportKind) async throws {
        let transport = RedirectingTransport(try kind.make(), maxRedirects: 3)
        let other = try LoopbackHTTPServer { _ in .init(body: #"{"at":"other"}"#) }
        defer { other.stop() }
        let otherURL = other.baseURL
        let origin = try LoopbackHTTPServer { request in
            switch request.path {
            case "/start": return .init(status: 302, headers: ["Location": "/same"], body: "")
            case "/same":
                return .init(
                    status: 302, headers: ["Location": otherURL.appendingPathComponent("landing").absoluteString],
                    body: "")
            case "/post":
                return .init(
                    status: 307, headers: ["Location": otherURL.appendingPathComponent("landing").absoluteString],
                    body: "")
            case "/see-other":
                return .init(
                    status: 303, headers: ["Location": otherURL.appendingPathComponent("landing").absoluteString],
                    body: "")
            default: return .init(status: 302, headers: ["Location": "/loop"], body: "")
            }
        }
        defer { origin.stop() }
        let headers: HTTPHeaders = [
            "Authorization": "Bearer sk-secret", "X-Api-Key": "key-secret", "Accept": "application/json",
        ]
        let response = try await transport.send(
            HTTPRequest(method: "GET", url: origin.baseURL.appendingPathComponent("start"), headers: headers))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"at":"other"}"#)
        let atOrigin = origin.receivedRequests
        #expect(atOrigin.map(\.path) == ["/start", "/same"])
        #expect(
            atOrigin.last?.headers["authorization"] == "Bearer sk-secret", "a same-origin hop keeps the credentials")
        let landed = try #require(other.receivedRequests.last)
        #expect(
            landed.headers["authorization"] == nil && landed.headers["x-api-key"] == nil,
            "credentials followed a redirect to another origin")
        #expect(landed.headers["accept"] == "application/json")

        // A body is never resent to another origin; a 303 continues there as a GET without it.
        let post = HTTPRequest(
            method: "POST", url: origin.baseURL.appendingPathComponent("post"), headers: headers,
            body: Array(#"{"secret":1}"#.utf8))
        let refused = await #expect(throws: HTTPTransportError.self) { _ = try await transport.send(post) }
        #expect(refused?.kind == .redirect)
        var seeOther = post
        seeOther.url = origin.baseURL.appendingPathComponent("see-other")
        _ = try await transport.send(seeOther)
        let afterSeeOther = try #require(other.receivedRequests.last)
        #expect(
            afterSeeOther.method == "GET" && afterSeeOther.body.isEmpty && afterSeeOther.headers["authorization"] == nil
        )

        let loop = await #expect(throws: HTTPTransportError.self) {
            _ = try await transport.send(HTTPRequest(method: "GET", url: origin.baseURL.appendingPathComponent("loop")))
        }
        #expect(loop?.kind == .redirect)
        #expect(origin.receivedRequests.filter { $0.path == "/loop" }.count == 4, "the first request and three hops")
    }

    @Test("a body over the limit is refused", arguments: TransportKind.allCases)
    func responseCap(_ kind: TransportKind) async throws {
        let transport = try kind.make()
        let server = try LoopbackHTTPServer { _ in .init(body: String(repeating: "x", count: 100_000)) }
        defer { server.stop() }
        let error = await #expect(throws: HTTPTransportError.self) {
            _ = try await transport.send(HTTPRequest(method: "GET", url: server.baseURL), limit: 10_000)
        }
        #expect(error?.kind == .responseTooLarge)
    }
}

/// What only the NIO transport does: its own response cap, pool size, proxies.
@Suite("NIO transport")
struct AsyncHTTPClientTransportTests {
    @Test("the configured response cap ends a stream that grows past it")
    func streamCap() async throws {
        let transport = try AsyncHTTPClientTransport(settings: HTTPClientSettings(maxResponseBytes: 4096))
        let server = try LoopbackHTTPServer { _ in
            .init(steps: Array(repeating: .text(String(repeating: "y", count: 1000)), count: 10))
        }
        defer { server.stop() }
        let response = try await transport.stream(HTTPRequest(method: "GET", url: server.baseURL))
        var received = 0
        let error = await #expect(throws: HTTPTransportError.self) {
            for try await chunk in response.body { received += chunk.count }
        }
        #expect(error?.kind == .responseTooLarge)
        #expect(received <= 4096)
    }

    @Test("the pool opens at most max_connections_per_host connections; the rest wait their turn")
    func poolSize() async throws {
        let transport = try AsyncHTTPClientTransport(settings: HTTPClientSettings(maxConnectionsPerHost: 3))
        let server = try LoopbackHTTPServer { _ in
            Thread.sleep(forTimeInterval: 0.05)
            return .init(body: "{}")
        }
        defer { server.stop() }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<12 {
                group.addTask { try await transport.send(HTTPRequest(method: "GET", url: server.baseURL)).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 12))
        #expect(server.maxInFlight <= 3 && server.connectionCount <= 3)
    }

    @Test("HTTP_PROXY tunnels requests through the proxy; NO_PROXY hosts go direct")
    func proxy() async throws {
        let proxy = try LoopbackConnectProxy()
        defer { proxy.stop() }
        let server = try LoopbackHTTPServer { _ in .init(body: #"{"ok":true}"#) }
        defer { server.stop() }
        let proxied = try AsyncHTTPClientTransport(environment: [
            "HTTP_PROXY": "http://bot:p%40ss@127.0.0.1:\(proxy.port)"
        ])
        let response = try await proxied.send(
            HTTPRequest(method: "GET", url: server.baseURL.appendingPathComponent("through")))
        #expect(response.status == 200)
        #expect(
            proxy.tunnels == [
                .init(
                    target: "127.0.0.1:\(server.port)",
                    authorization: "Basic " + Data("bot:p@ss".utf8).base64EncodedString())
            ])
        #expect(
            server.receivedRequests.last?.headers["proxy-authorization"] == nil,
            "the proxy credential reached the server")

        let bypassing = try AsyncHTTPClientTransport(environment: [
            "http_proxy": "127.0.0.1:\(proxy.port)", "no_proxy": "example.com,127.0.0.1",
        ])
        _ = try await bypassing.send(HTTPRequest(method: "GET", url: server.baseURL.appendingPathComponent("direct")))
        #expect(proxy.tunnels.count == 1)
        #expect(server.receivedRequests.map(\.path) == ["/through", "/direct"])
    }

    @Test("proxy variables: schemes, NO_PROXY forms, and a clear error for what cannot be used")
    func proxyEnvironment() throws {
        let environment = try ProxyEnvironment([
            "HTTPS_PROXY": "http://proxy.corp:3128", "ALL_PROXY": "socks5://127.0.0.1",
            "NO_PROXY": "localhost, .internal.example,10.0.0.0/8, api.example.com:8443",
        ])
        #expect(environment.https == .init(kind: "http", host: "proxy.corp", port: 3128))
        #expect(environment.http == .init(kind: "socks5", host: "127.0.0.1", port: 1080))
        #expect(environment.bypasses(host: "localhost", port: nil))
        #expect(environment.bypasses(host: "svc.internal.example", port: 443))
        #expect(environment.bypasses(host: "internal.example", port: nil))
        #expect(environment.bypasses(host: "10.20.30.40", port: nil))
        #expect(!environment.bypasses(host: "11.0.0.1", port: nil))
        #expect(environment.bypasses(host: "api.example.com", port: 8443))
        #expect(!environment.bypasses(host: "api.example.com", port: 443))
        #expect(!environment.bypasses(host: "notinternal.example", port: nil))
        #expect(try ProxyEnvironment(["NO_PROXY": "*", "HTTP_PROXY": "p:1"]).bypasses(host: "anything", port: nil))
        #expect(
            throws: ProxyConfigurationError(
                variable: "HTTPS_PROXY", reason: "proxy scheme https is not supported (use http or socks5)")
        ) {
            _ = try ProxyEnvironment(["HTTPS_PROXY": "https://user:hunter2@proxy:443"])
        }
    }
}

/// A server whose streams each wait until `target` requests have been in flight together
/// (a latch on the high-water mark, so the first to finish does not strand the rest).
final class ConcurrencyServer: Sendable {
    let server: LoopbackHTTPServer

    init(target: Int, chunk: String, end: String) throws {
        let box = ServerBox()
        server = try LoopbackHTTPServer { _ in
            .init(steps: [
                .text(chunk), .waitUntil(timeout: .seconds(10)) { (box.server?.maxInFlight ?? 0) >= target },
                .text(end),
            ])
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
    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}

typealias Step = LoopbackHTTPServer.Step

/// A thread-safe one-way flag.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// A loopback port that refuses connections: bound, never listening.
final class ClosedPort: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, bound == 0 else {
            port = 0
            throw HTTPTransportError(kind: .connection, message: "bind failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}
