import Foundation

/// Adds the current span's `traceparent` (``TraceContext/current``) to every request sent through it: the one place
/// where outgoing provider and connector requests join the caller's trace. A request that names its own
/// `traceparent` keeps it; outside any span nothing is added.
public struct TraceContextTransport: HTTPTransport {
    /// The transport requests go through.
    public let base: any HTTPTransport

    /// Wraps `base`.
    public init(base: any HTTPTransport) { self.base = base }

    /// Sends `request` with the current `traceparent`.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        guard let context = TraceContext.current, request.headers["traceparent"] == nil else {
            return try await base.stream(request)
        }
        var request = request
        request.headers.set("traceparent", context.traceparent)
        return try await base.stream(request)
    }
}
