import Foundation

/// How the runtime talks HTTP to model providers, connectors and secret stores: which client, how many
/// connections, how long to wait. Read from the `http` object of `agentruntime.json` and
/// `AGENTRUNTIME_HTTP_CLIENT`; the composition root builds one transport from it for the whole process.
public struct HTTPClientSettings: Hashable, Sendable {
    /// Which HTTP client carries the requests.
    public enum Client: String, Hashable, Sendable, CaseIterable {
        /// SwiftNIO's async-http-client: waits in epoll, so an in-flight request costs no CPU (the default).
        case nio
        /// Foundation's URLSession: no package needed, but on Linux (libcurl) it keeps a core busy while a request is in flight.
        case urlsession
    }

    /// The client; `nio` unless configured otherwise.
    public var client: Client
    /// Keep-alive connections per host (HTTP/1.1); HTTP/2 multiplexes over one.
    public var maxConnectionsPerHost: Int
    /// How long establishing a connection may take before the request fails.
    public var connectTimeout: Duration
    /// How long a connection may stay silent (no byte received) before the request fails.
    public var idleTimeout: Duration
    /// How long an unused pooled connection is kept open.
    public var poolIdleTimeout: Duration
    /// Redirects followed per request before it fails.
    public var maxRedirects: Int
    /// The largest response body accepted, in bytes.
    public var maxResponseBytes: Int

    /// Creates settings; the defaults are the runtime's.
    public init(
        client: Client = .nio, maxConnectionsPerHost: Int = 256, connectTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(300),
        poolIdleTimeout: Duration = .seconds(60), maxRedirects: Int = 5, maxResponseBytes: Int = 64 << 20
    ) {
        self.client = client
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.poolIdleTimeout = poolIdleTimeout
        self.maxRedirects = maxRedirects
        self.maxResponseBytes = maxResponseBytes
    }
}
