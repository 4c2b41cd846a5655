import Foundation
import MCP

/// The open SSE response streams of `/mcp` POST requests, so that a tool call's progress notifications travel on the
/// stream of the request they belong to (as the Streamable HTTP transport allows) rather than only on the session's
/// `GET` stream, which a client need not open. The endpoint names each request with a private header
/// (``header``) that the call's handler reads back from the request it is serving.
actor RequestStreams {
    /// The header carrying a request's stream key (added by the endpoint, never taken from the client).
    static let header = "X-AgentRuntime-MCP-Stream"

    private var streams: [String: AsyncThrowingStream<Data, any Error>.Continuation] = [:]

    /// Registers the stream of the request named `key`.
    func register(_ key: String, _ continuation: AsyncThrowingStream<Data, any Error>.Continuation) {
        streams[key] = continuation
    }

    /// Forgets the stream of `key` (it has ended).
    func remove(_ key: String) { streams[key] = nil }

    /// Sends `notification` as an SSE message on the stream of `key`; false when that stream is not open.
    func send<N: MCP.Notification>(_ notification: MCP.Message<N>, on key: String) -> Bool {
        guard let continuation = streams[key], let data = try? JSONEncoder().encode(notification) else {
            return false
        }
        continuation.yield(Data("event: message\ndata: ".utf8) + data + Data("\n\n".utf8))
        return true
    }
}
