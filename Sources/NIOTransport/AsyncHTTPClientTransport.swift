import AgentRuntime
import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// ``HTTPTransport`` on SwiftNIO's async-http-client: requests wait in epoll, so a process whose model is thinking
/// uses no CPU (URLSession on Linux keeps a core busy per process while any request is in flight).
///
/// - Keep-alive pools per host (`maxConnectionsPerHost` HTTP/1.1 connections; HTTP/2 over TLS where the server
///   offers it through ALPN).
/// - A connection that cannot be made fails the request at once (no silent retrying until the deadline), within
///   `connectTimeout` at worst, with the host and the reason in the message.
/// - `HTTPRequest.deadline` bounds the whole exchange, body included; cancelling the calling task, or dropping the
///   body stream, closes the connection.
/// - Proxies from the environment: `HTTPS_PROXY` / `HTTP_PROXY` (or lower-case; `http://[user:pass@]host:port` or
///   `socks5://host:port`), skipped for hosts in `NO_PROXY`.
/// - Redirects are delivered, not followed: wrap it in ``RedirectingTransport``.
/// - Bodies larger than `maxResponseBytes` fail with `.responseTooLarge`.
public final class AsyncHTTPClientTransport: HTTPTransport, Sendable {
    private let direct: HTTPClient
    private let viaHTTPProxy: HTTPClient?
    private let viaHTTPSProxy: HTTPClient?
    private let proxies: ProxyEnvironment
    private let maxResponseBytes: Int

    /// Creates a transport on the process-wide NIO event loops.
    /// - Parameters:
    ///   - settings: pool size, timeouts and the response cap (`client` is not consulted: this is the NIO client).
    ///   - environment: where proxy variables are read; the process environment by default.
    /// - Throws: ``ProxyConfigurationError`` when a proxy variable cannot be used.
    public init(
        settings: HTTPClientSettings = HTTPClientSettings(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        proxies = try ProxyEnvironment(environment)
        maxResponseBytes = settings.maxResponseBytes
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = HTTPClient.Configuration.Timeout(
            connect: Self.timeAmount(settings.connectTimeout), read: Self.timeAmount(settings.idleTimeout))
        configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: Self.timeAmount(settings.poolIdleTimeout),
            concurrentHTTP1ConnectionsPerHostSoftLimit: settings.maxConnectionsPerHost)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .automatic
        configuration.decompression = .disabled
        func client(_ proxy: HTTPClient.Configuration.Proxy?) -> HTTPClient {
            var configuration = configuration
            configuration.proxy = proxy
            return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        }
        direct = client(nil)
        viaHTTPProxy = proxies.http.map { client($0.configuration) }
        viaHTTPSProxy = proxies.https.map { client($0.configuration) }
    }

    deinit {
        // Non-blocking: the clients finish closing their connections on the event loops.
        for client in [direct, viaHTTPProxy, viaHTTPSProxy].compactMap({ $0 }) { _ = client.shutdown() }
    }

    /// The client that carries requests to `url`: through the scheme's proxy unless `NO_PROXY` names the host.
    private func client(for url: URL) -> HTTPClient {
        guard let host = url.host, !proxies.bypasses(host: host, port: url.port) else { return direct }
        switch url.scheme?.lowercased() {
        case "https": return viaHTTPSProxy ?? direct
        default: return viaHTTPProxy ?? direct
        }
    }

    /// Starts the request; returns when the response head arrives, the body streaming behind it.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        if let deadline = request.deadline, deadline <= .now {
            throw HTTPTransportError(kind: .timeout, message: "deadline passed before the request was sent")
        }
        try Task.checkCancellation()
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method.uppercased())
        for field in request.headers { outgoing.headers.add(name: field.name, value: field.value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let deadline = request.deadline.map(Self.nioDeadline) ?? .distantFuture
        let client = client(for: request.url)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(outgoing, deadline: deadline)
        } catch {
            throw Self.map(error, url: request.url, timedOut: request.deadline.map { $0 <= .now } ?? false)
        }
        let headers = AgentRuntime.HTTPHeaders(response.headers.map { (name: $0.name, value: $0.value) })
        // A HEAD response announces a length it does not send.
        let declaredLength =
            outgoing.method == .HEAD ? nil : response.headers.first(name: "content-length").flatMap(Int.init)
        let limit = maxResponseBytes
        let (body, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let expired = NIOLockedValueBox(false)
        let started = NIOLockedValueBox<(pump: Task<Void, Never>?, timer: Scheduled<Void>?, ended: Bool)>(
            (nil, nil, false))
        continuation.onTermination = { termination in
            let (pump, timer) = started.withLockedValue { state -> (Task<Void, Never>?, Scheduled<Void>?) in
                state.ended = true
                return (state.pump, state.timer)
            }
            timer?.cancel()
            if case .cancelled = termination { pump?.cancel() }
        }
        // The pump owns the body: ending it (deadline, consumer gone) drops the body, which closes the connection.
        let pump = Task {
            do {
                if let declaredLength, declaredLength > limit {
                    throw HTTPTransportError(
                        kind: .responseTooLarge,
                        message: "response body of \(declaredLength) bytes exceeds \(limit) bytes")
                }
                var received = 0
                for try await buffer in response.body {
                    received += buffer.readableBytes
                    if received > limit {
                        throw HTTPTransportError(
                            kind: .responseTooLarge, message: "response body exceeds \(limit) bytes")
                    }
                    continuation.yield(Array(buffer.readableBytesView))
                }
                continuation.finish()
            } catch {
                continuation.finish(
                    throwing: Self.map(error, url: request.url, timedOut: expired.withLockedValue { $0 }))
            }
        }
        // AHC's own deadline covers only the head; the rest of the exchange is bounded here.
        let timer = request.deadline.map { _ in
            client.eventLoopGroup.any().scheduleTask(deadline: deadline) {
                expired.withLockedValue { $0 = true }
                pump.cancel()
            }
        }
        // The stream may have ended already (a short body, or a consumer gone): then nothing is left to guard.
        let ended = started.withLockedValue { state -> Bool in
            state.pump = pump
            state.timer = timer
            return state.ended
        }
        if ended {
            timer?.cancel()
            pump.cancel()
        }
        return HTTPStreamingResponse(status: Int(response.status.code), headers: headers, body: body)
    }

    /// Any failure as an ``HTTPTransportError`` naming the host.
    static func map(_ error: any Error, url: URL, timedOut: Bool) -> HTTPTransportError {
        if let error = error as? HTTPTransportError { return error }
        let target = "\(url.host ?? "?")\(url.port.map { ":\($0)" } ?? "")"
        if timedOut {
            return HTTPTransportError(
                kind: .timeout, message: "the request to \(target) did not finish before its deadline")
        }
        if error is CancellationError {
            return HTTPTransportError(kind: .cancelled, message: "the request was cancelled")
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded:
                return HTTPTransportError(
                    kind: .timeout, message: "the request to \(target) did not finish before its deadline")
            case .cancelled: return HTTPTransportError(kind: .cancelled, message: "the request was cancelled")
            case .readTimeout:
                return HTTPTransportError(
                    kind: .timeout, message: "no data received from \(target) within the idle timeout")
            case .connectTimeout:
                return HTTPTransportError(
                    kind: .connection, message: "could not connect to \(target): connect timed out")
            case .remoteConnectionClosed:
                return HTTPTransportError(kind: .connection, message: "\(target) closed the connection")
            case .proxyAuthenticationRequired:
                return HTTPTransportError(kind: .connection, message: "the proxy for \(target) requires authentication")
            default: return HTTPTransportError(kind: .connection, message: "request to \(target) failed: \(error)")
            }
        }
        if let error = error as? IOError {
            return HTTPTransportError(
                kind: .connection,
                message: "could not connect to \(target): \(String(cString: strerror(error.errnoCode)))")
        }
        if let error = error as? NIOConnectionError {
            let reasons = error.connectionErrors.map { String(describing: $0.error) }.joined(separator: "; ")
            return HTTPTransportError(
                kind: .connection, message: "could not connect to \(target)\(reasons.isEmpty ? "" : ": \(reasons)")")
        }
        return HTTPTransportError(kind: .connection, message: "request to \(target) failed: \(error)")
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    static func nioDeadline(_ instant: ContinuousClock.Instant) -> NIODeadline {
        .now() + timeAmount(instant - .now)
    }
}
