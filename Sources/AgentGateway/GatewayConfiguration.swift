import AgentRuntime
import Agents
import Foundation
import Logging
import Tools

/// Limits and settings of the HTTP service.
public struct GatewayConfiguration: Sendable {
    /// Where the service logs requests, run lifecycle, provider retries, denials, approvals, definition reloads and
    /// shutdown steps (nowhere by default; `agentctl serve` gives one writing JSON lines to standard error).
    public var logger = Logger(label: "agentruntime", factory: { SwiftLogNoOpLogHandler($0) })
    /// The service token a trusted internal caller presents (`Authorization: Bearer …`), naming the caller in
    /// `X-Tenant-ID`, `X-User-ID` and `X-User-Roles`. Nil: none.
    public var serviceToken: String?
    /// The platform-level service token: a caller presenting it may name `platform_admin` or `super_admin` in
    /// `X-User-Roles` (with ``serviceToken``, platform roles are refused). Nil: none.
    public var platformToken: String?
    /// Checks signed access tokens (OIDC); nil: none accepted. With no token of any kind configured, requests are
    /// not authenticated (insecure development mode).
    public var accessTokens: AccessTokenVerifier?
    /// Requests per minute per tenant.
    public var requestsPerMinutePerTenant: Int
    /// Runs in flight per tenant.
    public var concurrentRunsPerTenant: Int
    /// Seconds between SSE heartbeats while a stream is idle.
    public var heartbeatInterval: Duration
    /// How often an event stream, or a request waiting for a run carried out elsewhere, reads the store even without
    /// a signal (signals wake it at once; this bounds the wait if one was lost).
    public var eventPollInterval: Duration
    /// How long a shutdown lets running runs finish before cancelling them.
    public var shutdownGracePeriod: Duration
    /// How often expired approvals are looked for.
    public var resumeInterval: Duration = .seconds(2)
    /// How often the worker looks for runs to claim besides being woken by the store's signals (runs whose worker's
    /// lease expired wake nobody).
    public var claimInterval: Duration = .seconds(1)
    /// How long a worker's hold on a run lasts unless renewed (renewed every third of it): a replica that dies has
    /// its runs carried on by another this long after its last renewal.
    public var leaseDuration: Duration = .seconds(30)
    /// Whether this replica carries runs out (false: API only; runs wait in the queue for the workers).
    public var isWorker = true
    /// Whether this replica serves the `/v1` API (false: worker only; health and metrics are still served).
    public var servesAPI = true
    /// Runs this replica carries out at once, at most (more wait in the queue).
    public var workerCapacity = 1000
    /// Where the gateway reads time: per-tenant request limits, approval expiry, event stream lifetimes.
    public var time: TimeSource = .system
    /// Event streams one tenant may have open at once on this replica; one more is refused (429).
    public var maxStreamsPerTenant = 100
    /// Event streams this replica keeps open at once, all tenants together; one more is refused (429).
    public var maxStreams = 2000
    /// The longest an event stream stays open: the server then ends it with a `reconnect` event, and the client
    /// reconnects with `Last-Event-ID` to carry on where it was.
    public var maxStreamLifetime: Duration = .seconds(3600)

    /// How often `serve` looks at the definition folders and settings for changes (nil: never; a change is live for
    /// new runs within this interval plus the time to load it).
    public var definitionWatchInterval: Duration? = .seconds(1)

    /// Creates a configuration.
    public init(
        serviceToken: String?, platformToken: String? = nil, requestsPerMinutePerTenant: Int = 600,
        concurrentRunsPerTenant: Int = 50,
        heartbeatInterval: Duration = .seconds(15), eventPollInterval: Duration = .seconds(5),
        shutdownGracePeriod: Duration = .seconds(30)
    ) {
        self.serviceToken = serviceToken
        self.platformToken = platformToken
        self.requestsPerMinutePerTenant = requestsPerMinutePerTenant
        self.concurrentRunsPerTenant = concurrentRunsPerTenant
        self.heartbeatInterval = heartbeatInterval
        self.eventPollInterval = eventPollInterval
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
