import AgentRuntime
import Foundation
import Logging
import MCP

/// The MCP SDK's `Transport` for Streamable HTTP, over the runtime's ``HTTPTransport`` port: every request goes
/// through the process's transport (egress rules, pinning, waiting in epoll) rather than URLSession.
///
/// Each JSON-RPC message is POSTed; the answer comes back as `application/json` or as a `text/event-stream` whose
/// events carry the response and any notifications the server sends before it. The session id the server assigns
/// (`Mcp-Session-Id`) is sent with every later request, and the negotiated protocol version as
/// `MCP-Protocol-Version`. A 404 to a request carrying a session id means the server dropped the session:
/// ``MCPTransportError/sessionExpired`` is thrown so the caller opens a new one.
///
/// Once a session is open, ``listen()`` opens the standing GET stream on which the server sends messages that answer
/// no request (`notifications/tools/list_changed`); a server that offers none is fine.
public actor PortHTTPTransport: Transport {
    /// Unused (the SDK's protocol asks for one); diagnostics travel as thrown errors.
    public nonisolated let logger = Logger(
        label: "agentruntime.mcp.transport", factory: { _ in SwiftLogNoOpLogHandler() })

    private let endpoint: URL
    private let headers: HTTPHeaders
    private let http: any HTTPTransport
    private let timeout: Duration
    private let maxBytes: Int
    private var sessionID: String?
    private var protocolVersion: String?
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var listener: Task<Void, Never>?

    /// A transport to `endpoint` sending `headers` (already resolved) with every request through `http`; each
    /// exchange must finish within `timeout`, and a body larger than `maxBytes` is refused.
    public init(endpoint: URL, headers: HTTPHeaders, http: any HTTPTransport, timeout: Duration, maxBytes: Int) {
        self.endpoint = endpoint
        self.headers = headers
        self.http = http
        self.timeout = timeout
        self.maxBytes = maxBytes
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Data.self, throwing: (any Error).self)
        self.messages = stream
        self.continuation = continuation
    }

    /// Nothing to open: every message is its own request.
    public func connect() async throws {}

    /// Ends the message stream; asks the server to end the session when there is one.
    public func disconnect() async {
        listener?.cancel()
        listener = nil
        continuation.finish()
        guard let sessionID else { return }
        self.sessionID = nil
        var request = HTTPRequest(method: "DELETE", url: endpoint, headers: headers)
        request.headers.set("Mcp-Session-Id", sessionID)
        request.deadline = ContinuousClock.now + .seconds(2)
        _ = try? await http.send(request, limit: 4096)
    }

    /// POSTs one JSON-RPC message and delivers what the server answers to ``receive()``.
    public func send(_ data: Data) async throws {
        var request = HTTPRequest(method: "POST", url: endpoint, headers: headers, body: [UInt8](data))
        request.headers.set("Content-Type", "application/json")
        request.headers.set("Accept", "application/json, text/event-stream")
        if let sessionID { request.headers.set("Mcp-Session-Id", sessionID) }
        if let protocolVersion { request.headers.set("MCP-Protocol-Version", protocolVersion) }
        request.deadline = ContinuousClock.now + timeout
        let response: HTTPStreamingResponse
        do { response = try await http.stream(request) } catch let error as HTTPTransportError {
            throw MCPTransportError.unreachable(error.description)
        }
        if let assigned = response.headers["Mcp-Session-Id"] { sessionID = assigned }
        switch response.status {
        case 200..<300: break
        case 404 where request.headers["Mcp-Session-Id"] != nil:
            sessionID = nil
            throw MCPTransportError.sessionExpired
        default:
            throw MCPTransportError.status(response.status)
        }
        let contentType = response.headers["Content-Type"]?.lowercased() ?? ""
        if contentType.hasPrefix("text/event-stream") {
            var parser = ServerSentEventParser()
            var received = 0
            for try await chunk in response.body {
                received += chunk.count
                guard received <= maxBytes else { throw MCPTransportError.tooLarge(maxBytes) }
                for event in parser.feed(chunk) { deliver(event) }
            }
            for event in parser.finish() { deliver(event) }
        } else {
            var body: [UInt8] = []
            for try await chunk in response.body {
                body += chunk
                guard body.count <= maxBytes else { throw MCPTransportError.tooLarge(maxBytes) }
            }
            if !body.isEmpty, contentType.hasPrefix("application/json") { deliver(Data(body)) }
        }
    }

    /// Opens the server's standing event stream (GET) for the session, once; it ends with the session or when the
    /// server closes it (not reopened: the tool list is also read again whenever a session is opened).
    public func listen() {
        guard listener == nil, let sessionID else { return }
        var request = HTTPRequest(method: "GET", url: endpoint, headers: headers)
        request.headers.set("Accept", "text/event-stream")
        request.headers.set("Mcp-Session-Id", sessionID)
        if let protocolVersion { request.headers.set("MCP-Protocol-Version", protocolVersion) }
        listener = Task { [http, maxBytes] in
            guard let response = try? await http.stream(request), response.status == 200 else { return }
            var parser = ServerSentEventParser()
            var received = 0
            do {
                for try await chunk in response.body {
                    received += chunk.count
                    // A stream of notifications only: a server sending more than the cap over a session is cut off.
                    guard received <= maxBytes * 16 else { return }
                    for event in parser.feed(chunk) { await self.deliver(event) }
                }
            } catch {}
        }
    }

    /// Messages from the server: responses and notifications.
    public func receive() -> AsyncThrowingStream<Data, any Error> { messages }

    private func deliver(_ event: ServerSentEvent) {
        guard event.event == nil || event.event == "message", !event.data.isEmpty else { return }
        deliver(Data(event.data.utf8))
    }

    private func deliver(_ message: Data) {
        // The version the server agreed to in its answer to `initialize` goes with every later request.
        if protocolVersion == nil, let value = try? JSONParser.value([UInt8](message)),
            let version = value["result"]?["protocolVersion"]?.stringValue
        {
            protocolVersion = version
        }
        continuation.yield(message)
    }
}

/// Why a request to an MCP server failed before it had an answer. Messages never carry header values.
public enum MCPTransportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The server could not be reached (refused, reset, timed out, refused by egress rules).
    case unreachable(String)
    /// The server no longer knows the session (HTTP 404 to a request with a session id).
    case sessionExpired
    /// The server answered with an HTTP error status.
    case status(Int)
    /// The answer was larger than the server's `max_result_bytes`.
    case tooLarge(Int)

    /// For people and the model.
    public var description: String {
        switch self {
        case .unreachable(let why): return "the server could not be reached (\(why))"
        case .sessionExpired: return "the server ended the session"
        case .status(let status): return "the server answered HTTP \(status)"
        case .tooLarge(let limit): return "the server's answer exceeded \(limit) bytes"
        }
    }
}
