import AgentRuntime
import Agents
import Foundation
import Tools

/// Limits and settings of the HTTP service.
public struct GatewayConfiguration: Sendable {
    /// The service token callers must present (`Authorization: Bearer …`); nil only in insecure development mode.
    public var serviceToken: String?
    /// Requests per minute per tenant.
    public var requestsPerMinutePerTenant: Int
    /// Runs in flight per tenant.
    public var concurrentRunsPerTenant: Int
    /// Seconds between SSE heartbeats while a stream is idle.
    public var heartbeatInterval: Duration
    /// How often an event stream looks for new events.
    public var eventPollInterval: Duration
    /// How long a shutdown lets running runs finish before cancelling them.
    public var shutdownGracePeriod: Duration
    /// How often queued runs (an approval decided elsewhere) and expired approvals are looked for.
    public var resumeInterval: Duration = .seconds(2)
    /// Where the gateway reads time: per-tenant request limits and approval expiry.
    public var time: TimeSource = .system

    /// Creates a configuration.
    public init(
        serviceToken: String?, requestsPerMinutePerTenant: Int = 600, concurrentRunsPerTenant: Int = 50,
        heartbeatInterval: Duration = .seconds(15), eventPollInterval: Duration = .milliseconds(100),
        shutdownGracePeriod: Duration = .seconds(30)
    ) {
        self.serviceToken = serviceToken
        self.requestsPerMinutePerTenant = requestsPerMinutePerTenant
        self.concurrentRunsPerTenant = concurrentRunsPerTenant
        self.heartbeatInterval = heartbeatInterval
        self.eventPollInterval = eventPollInterval
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
