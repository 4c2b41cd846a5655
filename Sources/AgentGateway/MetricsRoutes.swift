import Hummingbird

/// `/metrics` in the Prometheus text format, without authentication (for the scraper).
struct MetricsRoutes: Sendable {
    /// The counters shown.
    let metrics: GatewayMetrics

    /// The routes, each with its handler.
    var endpoints: RouteCollection<GatewayContext> {
        RouteCollection(context: GatewayContext.self)
            .get("metrics", use: text)
    }

    private func text(_ request: Request, _ context: GatewayContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: await metrics.text())))
    }
}
