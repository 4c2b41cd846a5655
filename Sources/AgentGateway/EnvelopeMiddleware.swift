import AgentRuntime
import Foundation
import Hummingbird

/// Request ids, the error envelope, and request metrics.
struct EnvelopeMiddleware: RouterMiddleware {
    let metrics: GatewayMetrics

    func handle(
        _ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let requestID =
            request.headers[.requestID].flatMap { $0.isEmpty || $0.count > 128 ? nil : $0 }
            ?? UUID().uuidString.lowercased()
        context.requestID = requestID
        var response: Response
        do {
            response = try await next(request, context)
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
        await metrics.request(route: Self.route(context), status: response.status.code)
        return response
    }

    /// The template of the route that matched (Hummingbird's `endpointPath`, e.g. `/v1/runs/{run_id}`), a
    /// low-cardinality metrics label; `unmatched` when no route did (Hummingbird then says `NotFound`).
    static func route(_ context: GatewayContext) -> String {
        guard let path = context.endpointPath, path.hasPrefix("/") else { return "unmatched" }
        return path
    }
}
