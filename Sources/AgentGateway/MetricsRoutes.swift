import AgentRuntime
import Foundation
import Hummingbird

/// `/metrics` in the Prometheus text format, without authentication (for the scraper).
struct MetricsRoutes: Sendable {
    /// The counters shown.
    let metrics: GatewayMetrics
    /// The run store, read at scrape time for the queue's gauges (shared by every replica).
    let store: any PlatformStore
    /// Where the time that decides whether a lease is live comes from.
    let time: TimeSource

    /// The routes, each with its handler.
    var endpoints: RouteCollection<GatewayContext> {
        RouteCollection(context: GatewayContext.self)
            .get("metrics", use: text)
    }

    private func text(_ request: Request, _ context: GatewayContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: await metrics.text(queue: await queue()))))
    }

    /// The queue's gauges; nil when the store cannot be read (the counters are still served).
    private func queue() async -> QueueGauges? {
        var byStatus: [String: Int] = [:]
        for status in [RunStatus.queued, .running, .awaitingApproval, .interrupted] {
            guard let count = try? await store.count(tenant: nil, user: nil, status: status, crew: nil) else {
                return nil
            }
            byStatus[status.rawValue] = count
        }
        var gauges = QueueGauges(byStatus: byStatus)
        if let leases = store as? any LeaseCounting, let counts = try? await leases.leaseCounts(now: time.now) {
            gauges.liveLeases = counts.live
            gauges.expiredLeases = counts.expired
        }
        return gauges
    }
}
