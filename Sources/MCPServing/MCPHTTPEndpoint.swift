import AgentGateway
import AgentRuntime
import Foundation
import HTTPTypes
import Hummingbird
import MCP
import NIOCore
import ServiceLifecycle

/// `/mcp` on the gateway: the platform over MCP's Streamable HTTP transport, behind the API's authentication (the
/// gateway's middleware names the caller before a request reaches here). An `initialize` opens a session for its
/// caller, with a ``PlatformMCPServer`` of that caller's tenant and roles; later requests name the session
/// (`Mcp-Session-Id`) and must come from the same caller: another caller's session is not found. Sessions idle for
/// ``idleLimit`` are closed, and at most ``maximumSessions`` are open at once.
public actor MCPHTTPEndpoint {
    private struct Session {
        let server: Server
        let transport: StatefulHTTPServerTransport
        let principal: Principal
        var lastSeen: ContinuousClock.Instant
    }

    private let services: GatewayServices
    private let requestStreams = RequestStreams()
    private var sessions: [String: Session] = [:]
    /// How long a session may go unused before it is closed.
    public let idleLimit: Duration
    /// Sessions open at once, at most (an `initialize` past it is refused with 503).
    public let maximumSessions: Int

    /// The path served.
    public static let path = "/mcp"

    /// Creates the endpoint over `services`.
    public init(services: GatewayServices, idleLimit: Duration = .seconds(3600), maximumSessions: Int = 1000) {
        self.services = services
        self.idleLimit = idleLimit
        self.maximumSessions = maximumSessions
    }

    /// Adds `POST`, `GET` and `DELETE /mcp` to `router` (for ``GatewayServices/mounts``).
    public nonisolated func mount(_ router: Router<GatewayContext>) {
        let handler: @Sendable (Request, GatewayContext) async throws -> Response = { request, context in
            try await self.respond(request, context)
        }
        router.post(RouterPath(Self.path), use: handler)
        router.get(RouterPath(Self.path), use: handler)
        router.delete(RouterPath(Self.path), use: handler)
    }

    /// The number of open sessions.
    public var openSessions: Int { sessions.count }

    private nonisolated func respond(_ request: Request, _ context: GatewayContext) async throws -> Response {
        guard let principal = context.principal else { throw HTTPError(.unauthorized) }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.rawName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        // HTTPTypes keeps Host as the authority, not a header field.
        if let authority = request.head.authority { headers[HTTPHeaderName.host] = authority }
        headers = headers.filter { $0.key.lowercased() != RequestStreams.header.lowercased() }
        let key = UUID().uuidString
        headers[RequestStreams.header] = key
        let mcpRequest = MCP.HTTPRequest(
            method: request.method.rawValue, headers: headers, body: Data(body.readableBytesView),
            path: request.uri.path)
        var (response, transport) = await handle(mcpRequest, principal: principal)
        if request.method == .post, case .stream(let stream, let headers) = response {
            // The request's own stream, which its call's progress notifications join.
            let (merged, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
            let streams = requestStreams
            await streams.register(key, continuation)
            Task {
                do {
                    for try await chunk in stream { continuation.yield(chunk) }
                    continuation.finish()
                } catch { continuation.finish(throwing: error) }
                await streams.remove(key)
            }
            response = .stream(merged, headers: headers)
        }
        return Self.response(response, transport: transport)
    }

    /// Routes a request to its caller's session, opening one for an `initialize`.
    private func handle(
        _ request: MCP.HTTPRequest, principal: Principal
    ) async -> (
        MCP.HTTPResponse, StatefulHTTPServerTransport?
    ) {
        await closeIdleSessions()
        if let id = request.header(HTTPHeaderName.sessionID) {
            guard var session = sessions[id], session.principal == principal else {
                return (.error(statusCode: 404, .invalidRequest("Not Found: Session not found or expired")), nil)
            }
            session.lastSeen = .now
            sessions[id] = session
            let response = await session.transport.handleRequest(request)
            if request.method.uppercased() == "DELETE", response.statusCode == 200 { await close(id) }
            return (response, session.transport)
        }
        guard request.method.uppercased() == "POST", let body = request.body, Self.isInitialize(body) else {
            return (
                .error(statusCode: 400, .invalidRequest("Bad Request: Missing \(HTTPHeaderName.sessionID) header")), nil
            )
        }
        guard sessions.count < maximumSessions else {
            return (.error(statusCode: 503, .internalError("Too many open MCP sessions; retry later")), nil)
        }
        let id = UUID().uuidString.lowercased()
        let transport = StatefulHTTPServerTransport(
            sessionIDGenerator: FixedSessionID(id: id),
            validationPipeline: StandardValidationPipeline(validators: [
                SameOriginValidator(), AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(),
                ProtocolVersionValidator(), SessionValidator(),
            ]))
        let server = await PlatformMCPServer(services: services, principal: principal, requestStreams: requestStreams)
            .makeServer()
        do { try await server.start(transport: transport) } catch {
            await transport.disconnect()
            return (.error(statusCode: 500, .internalError("the MCP session could not be started")), nil)
        }
        sessions[id] = Session(server: server, transport: transport, principal: principal, lastSeen: .now)
        let response = await transport.handleRequest(request)
        if case .error = response { await close(id) }
        return (response, transport)
    }

    private func close(_ id: String) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
        await session.server.stop()
    }

    private func closeIdleSessions() async {
        let now = ContinuousClock.now
        for (id, session) in sessions where now - session.lastSeen > idleLimit { await close(id) }
    }

    /// Closes every session (their streams end).
    public func closeAll() async {
        for id in sessions.keys { await close(id) }
    }

    private static func isInitialize(_ body: Data) -> Bool {
        guard case .object(let object)? = try? JSONParser.value([UInt8](body)) else { return false }
        return object["method"]?.stringValue == "initialize" && object["id"] != nil
    }

    /// The Hummingbird response of the transport's: a body, or an SSE stream that ends when the transport ends it,
    /// the client goes, or the service shuts down (the session's streams are then closed).
    private static func response(_ response: MCP.HTTPResponse, transport: StatefulHTTPServerTransport?) -> Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        let status = HTTPTypes.HTTPResponse.Status(code: response.statusCode)
        switch response {
        case .stream(let stream, _):
            return Response(
                status: status, headers: fields,
                body: ResponseBody { writer in
                    try await withGracefulShutdownHandler {
                        for try await chunk in stream { try await writer.write(ByteBuffer(bytes: chunk)) }
                    } onGracefulShutdown: {
                        Task { await transport?.disconnect() }
                    }
                    try await writer.finish(nil)
                })
        default:
            return Response(
                status: status, headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.bodyData ?? Data())))
        }
    }
}

/// Gives the transport the session id the endpoint chose (and keys its sessions by).
private struct FixedSessionID: SessionIDGenerator {
    let id: String
    func generateSessionID() -> String { id }
}

/// Refuses a browser request from another origin (DNS rebinding): an `Origin` header, when sent, must name the host
/// the request was sent to. Clients that are not browsers send none.
struct SameOriginValidator: HTTPRequestValidator {
    func validate(_ request: MCP.HTTPRequest, context: HTTPValidationContext) -> MCP.HTTPResponse? {
        guard let origin = request.header(HTTPHeaderName.origin) else { return nil }
        let host = request.header(HTTPHeaderName.host) ?? ""
        guard let url = URL(string: origin), let originHost = url.host,
            host == originHost || host == "\(originHost):\(url.port ?? -1)"
        else {
            return .error(
                statusCode: 403, .invalidRequest("Forbidden: Origin not allowed"), sessionID: context.sessionID)
        }
        return nil
    }
}
