import AgentRuntime
import Foundation

/// An ``HTTPTransport`` that serves recorded responses in order and records the requests it got.
///
/// Each reply's body is delivered in the chunks it was recorded with, so
/// tests can split a stream anywhere.
public final class ReplayTransport: HTTPTransport, @unchecked Sendable {
    /// One recorded response.
    public struct Reply: Sendable {
        /// Status code.
        public var status: Int
        /// Header fields.
        public var headers: HTTPHeaders
        /// Body chunks, delivered one by one.
        public var chunks: [[UInt8]]
        /// A transport failure to throw instead of responding.
        public var failure: HTTPTransportError?

        /// A response with a body in one chunk.
        public init(status: Int = 200, headers: HTTPHeaders = ["Content-Type": "application/json"], body: String) {
            self.status = status
            self.headers = headers
            self.chunks = [Array(body.utf8)]
        }

        /// A response with its body in chunks.
        public init(status: Int = 200, headers: HTTPHeaders = ["Content-Type": "text/event-stream"], chunks: [[UInt8]])
        {
            self.status = status
            self.headers = headers
            self.chunks = chunks
        }

        /// A connection failure.
        public static func failure(_ kind: HTTPTransportError.Kind, _ message: String = "replayed failure") -> Reply {
            var reply = Reply(body: "")
            reply.failure = HTTPTransportError(kind: kind, message: message)
            return reply
        }
    }

    private let lock = NSLock()
    private var replies: [Reply]
    private var recorded: [HTTPRequest] = []

    /// Creates a transport that serves `replies` in order.
    public init(_ replies: [Reply]) { self.replies = replies }

    /// The requests received so far.
    public var requests: [HTTPRequest] { lock.withLock { recorded } }

    /// Serves the next reply.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let reply: Reply? = lock.withLock {
            recorded.append(request)
            return replies.isEmpty ? nil : replies.removeFirst()
        }
        guard let reply else {
            throw HTTPTransportError(kind: .connection, message: "ReplayTransport has no reply left for \(request.url)")
        }
        if let failure = reply.failure { throw failure }
        let body = AsyncThrowingStream<[UInt8], any Error> { continuation in
            for chunk in reply.chunks { continuation.yield(chunk) }
            continuation.finish()
        }
        return HTTPStreamingResponse(status: reply.status, headers: reply.headers, body: body)
    }
}
