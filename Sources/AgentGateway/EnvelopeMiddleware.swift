import AgentRuntime
import Foundation
import Hummingbird
import Logging

/// Request ids, the error envelope, request metrics, the request log, and the caller's trace context: an incoming
/// `traceparent` is current while the request is handled (a run submitted by it keeps it as its spans' parent).
struct EnvelopeMiddleware: RouterMiddleware {
    let metrics: GatewayMetrics
    let logger: Logger

    func handle(
        _ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let requestID =
            request.headers[.requestID].flatMap { $0.isEmpty || $0.count > 128 ? nil : $0 }
            ?? UUID().uuidString.lowercased()
        context.requestID = requestID
        let started = ContinuousClock.now
        let parent = request.headers[.traceparent].flatMap(TraceContext.init(traceparent:))
        var response: Response
        do {
            response = try await TraceContext.$current.withValue(parent) { try await next(request, context) }
        } catch let error as GatewayError {
            response = Reply.error(error)
        } catch let error as HTTPError {
            let code: GatewayError.Code =
                switch error.status.code {
                case 404: .notFound
                case 413: .payloadTooLarge
                case 400, 422: .validation
                case 401: .unauthorized
                case 403: .forbidden
                default: .internalError
                }
            let message =
                code == .notFound ? "no route \(request.method) \(request.uri.path)" : (error.body ?? "\(error.status)")
            response = Reply.error(GatewayError(code, message))
        } catch let error as StoreError where error.code == .unavailable {
            // The database is out: retryable, and said as such (the service recovers by itself when it returns).
            response = Reply.error(
                GatewayError(.unavailable, "the run store is unavailable; retry shortly", retryAfter: 5))
        } catch {
            response = Reply.error(GatewayError(.internalError, "internal error (request \(requestID))"))
        }
        response.headers[.requestID] = requestID
        let route = Self.route(context)
        await metrics.request(route: route, status: response.status.code)
        log(
            request, route: route, status: response.status.code, requestID: requestID, context: context,
            duration: ContinuousClock.now - started)
        return response
    }

    /// The template of the route that matched (Hummingbird's `endpointPath`, e.g. `/v1/runs/{run_id}`), a
    /// low-cardinality metrics label; `unmatched` when no route did (Hummingbird then says `NotFound`).
    static func route(_ context: GatewayContext) -> String {
        guard let path = context.endpointPath, path.hasPrefix("/") else { return "unmatched" }
        return path
    }

    /// One line per request: id, caller, method, route template (never the raw path or query), status, duration.
    /// Probes and scrapes log at debug; server errors at error, client errors at notice.
    private func log(
        _ request: Request, route: String, status: Int, requestID: String, context: GatewayContext, duration: Duration
    ) {
        let level: Logger.Level =
            route.hasPrefix("/health") || route == "/metrics"
            ? .debug : status >= 500 ? .error : status >= 400 ? .notice : .info
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "request_id": .string(requestID), "method": .string(request.method.rawValue), "route": .string(route),
            "status": .stringConvertible(status), "duration_ms": .stringConvertible(Int(duration.seconds * 1000)),
        ]
        if let principal = context.facts.principal {
            metadata["tenant"] = .string(principal.tenant.rawValue)
            metadata["user"] = .string(principal.user)
        }
        logger.log(level: level, "request", metadata: metadata)
    }
}
