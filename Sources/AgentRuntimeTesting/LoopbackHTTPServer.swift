import AgentRuntime
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real HTTP/1.1 server on 127.0.0.1 for tests: an ephemeral port, one
/// thread per connection, keep-alive, chunked streaming with pauses, and
/// counters for in-flight requests and client disconnects.
///
/// Handlers run on connection threads and may block (that is how a slow
/// model server is played).
public final class LoopbackHTTPServer: @unchecked Sendable {
    /// A received request.
    public struct Request: Sendable {
        /// `GET`, `POST`, ...
        public var method: String
        /// The path with its query string.
        public var path: String
        /// Header fields.
        public var headers: HTTPHeaders
        /// The body.
        public var body: [UInt8]

        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// One step of a streamed body.
    public enum Step: Sendable {
        /// Send these bytes as one chunk.
        case send([UInt8])
        /// Wait.
        case pause(Duration)
        /// Wait until the condition holds (or the timeout passes).
        case waitUntil(timeout: Duration, @Sendable () -> Bool)
        /// Run code at this point of the response (e.g. record what the client has seen).
        case perform(@Sendable () -> Void)

        /// Send text as one chunk.
        public static func text(_ text: String) -> Step { .send(Array(text.utf8)) }
    }

    /// A response.
    public struct Response: Sendable {
        /// Status code.
        public var status: Int
        /// Header fields (Content-Length / Transfer-Encoding are added).
        public var headers: HTTPHeaders
        /// A whole body, or streamed steps (chunked encoding).
        public var body: [UInt8]
        /// Steps of a streamed body; when set, `body` is ignored.
        public var steps: [Step]?

        /// A whole response.
        public init(status: Int = 200, headers: HTTPHeaders = ["Content-Type": "application/json"], body: String) {
            self.status = status
            self.headers = headers
            self.body = Array(body.utf8)
        }

        /// A streamed response.
        public init(status: Int = 200, headers: HTTPHeaders = ["Content-Type": "text/event-stream"], steps: [Step]) {
            self.status = status
            self.headers = headers
            self.body = []
            self.steps = steps
        }
    }

    private let handler: @Sendable (Request) -> Response
    private let listener: Int32
    /// The bound port.
    public let port: Int
    private let lock = NSLock()
    private var _inFlight = 0
    private var _maxInFlight = 0
    private var _requests = 0
    private var _disconnects = 0
    private var _connections = 0
    private var _received: [Request] = []
    private var _lastBody: [UInt8] = []
    private var _stopped = false
    private var connections: Set<Int32> = []

    /// `http://127.0.0.1:<port>`.
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    /// Requests being handled now.
    public var inFlight: Int { lock.withLock { _inFlight } }
    /// The most requests handled at once.
    public var maxInFlight: Int { lock.withLock { _maxInFlight } }
    /// Requests received.
    public var requestCount: Int { lock.withLock { _requests } }
    /// The body of the most recent request.
    public var lastBody: [UInt8] { lock.withLock { _lastBody } }
    /// Connections accepted (a keep-alive client makes one for many requests).
    public var connectionCount: Int { lock.withLock { _connections } }
    /// The requests received, in order (the last 1,000).
    public var receivedRequests: [Request] { lock.withLock { _received } }
    /// Responses cut short because the client closed the connection.
    public var clientDisconnects: Int { lock.withLock { _disconnects } }

    /// Starts a server answering every request with `handler`.
    public init(handler: @escaping @Sendable (Request) -> Response) throws {
        self.handler = handler
        (listener, port) = try LoopbackSocket.listen(backlog: 2048)
        let thread = Thread { [self] in acceptLoop() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting and closes every connection.
    ///
    /// Sockets are only shut down here; the threads using them close them when they exit. Closing a
    /// descriptor another thread may be about to use would let the kernel hand its number to a new
    /// socket (another test's server), and this server's threads would then serve that server's clients.
    public func stop() {
        let open: Set<Int32>? = lock.withLock {
            guard !_stopped else { return nil }
            _stopped = true
            return connections
        }
        guard let open else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if lock.withLock({ _stopped }) { return }
                continue
            }
            if lock.withLock({ _stopped }) {
                close(fd)
                return
            }
            var yes: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            lock.withLock {
                _ = connections.insert(fd)
                _connections += 1
            }
            // A connection accepted while stopping is shut down by stop() or right here.
            if lock.withLock({ _stopped }) { shutdown(fd, Int32(SHUT_RDWR)) }
            let thread = Thread { [self] in
                serve(fd)
                lock.withLock { _ = connections.remove(fd) }
                close(fd)
            }
            thread.stackSize = 1 << 19
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        while let request = readRequest(fd, buffer: &buffer) {
            lock.withLock {
                _requests += 1
                _lastBody = request.body
                _received.append(request)
                if _received.count > 1000 { _received.removeFirst(_received.count - 1000) }
                _inFlight += 1
                _maxInFlight = max(_maxInFlight, _inFlight)
            }
            let response = handler(request)
            let completed = write(response, to: fd)
            lock.withLock {
                _inFlight -= 1
                if !completed { _disconnects += 1 }
            }
            if !completed || request.headers["connection"]?.lowercased() == "close" { return }
        }
    }

    private func readRequest(_ fd: Int32, buffer: inout [UInt8]) -> Request? {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if let range = buffer.firstRange(of: separator) {
                headEnd = range.lowerBound
                break
            }
            guard receive(fd, into: &buffer) else { return nil }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.set(
                String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < length {
            guard receive(fd, into: &buffer) else { return nil }
        }
        let body = Array(buffer.prefix(length))
        buffer.removeFirst(length)
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
    }

    private func receive(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool { LoopbackSocket.sendAll(fd, bytes) }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }

    /// Writes the response; false when the client went away first.
    private func write(_ response: Response, to fd: Int32) -> Bool {
        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        for field in response.headers { head += "\(field.name): \(field.value)\r\n" }
        guard let steps = response.steps else {
            head += "Content-Length: \(response.body.count)\r\n\r\n"
            return sendAll(fd, Array(head.utf8) + response.body)
        }
        head += "Transfer-Encoding: chunked\r\n\r\n"
        guard sendAll(fd, Array(head.utf8)) else { return false }
        for step in steps {
            switch step {
            case .send(let bytes):
                guard !bytes.isEmpty else { continue }
                let chunk = Array("\(String(bytes.count, radix: 16))\r\n".utf8) + bytes + [13, 10]
                guard sendAll(fd, chunk) else { return false }
            case .pause(let duration):
                Thread.sleep(forTimeInterval: duration.seconds)
            case .waitUntil(let timeout, let condition):
                let end = Date().addingTimeInterval(timeout.seconds)
                while !condition(), Date() < end { Thread.sleep(forTimeInterval: 0.005) }
            case .perform(let action):
                action()
            }
        }
        return sendAll(fd, Array("0\r\n\r\n".utf8))
    }
}
