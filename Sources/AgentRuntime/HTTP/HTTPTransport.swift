import Foundation

/// The port to HTTP: send a request, get the response whole or as a byte stream.
///
/// Adapters enforce `HTTPRequest.deadline` for the whole exchange and cancel
/// the request when the calling task is cancelled.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns once the status and headers have arrived;
    /// the body then streams as the server sends it.
    func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse
}

extension HTTPTransport {
    /// Sends `request` and collects the whole body (at most `limit` bytes).
    public func send(_ request: HTTPRequest, limit: Int = 32 << 20) async throws -> HTTPResponse {
        let response = try await stream(request)
        var body: [UInt8] = []
        for try await chunk in response.body {
            body += chunk
            if body.count > limit {
                throw HTTPTransportError(kind: .responseTooLarge, message: "response body exceeds \(limit) bytes")
            }
        }
        // A stream ends quietly when its consumer is cancelled: a cut-off body is not a response.
        if Task.isCancelled { throw HTTPTransportError(kind: .cancelled, message: "the request was cancelled") }
        return HTTPResponse(status: response.status, headers: response.headers, body: body)
    }
}

/// An HTTP request.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, ...
    public var method: String
    /// The full URL.
    public var url: URL
    /// Header fields in order.
    public var headers: HTTPHeaders
    /// The body bytes.
    public var body: [UInt8]?
    /// When the whole exchange (headers and body) must be finished.
    public var deadline: ContinuousClock.Instant?

    /// Creates a request.
    public init(
        method: String, url: URL, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8]? = nil,
        deadline: ContinuousClock.Instant? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.deadline = deadline
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The header fields.
    public var headers: HTTPHeaders
    /// The body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A response whose body is still arriving.
public struct HTTPStreamingResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The header fields.
    public var headers: HTTPHeaders
    /// The body, chunk by chunk as it arrives. Ending iteration early cancels the request.
    public var body: AsyncThrowingStream<[UInt8], any Error>

    /// Creates a streaming response.
    public init(status: Int, headers: HTTPHeaders, body: AsyncThrowingStream<[UInt8], any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Header fields: ordered, names compared case-insensitively.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// The fields in order.
    public private(set) var fields: [(name: String, value: String)]

    /// Creates headers from fields.
    public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

    /// Creates headers from a literal.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// The first value of `name`, case-insensitively.
    public subscript(name: String) -> String? {
        let lowered = name.lowercased()
        return fields.first { $0.name.lowercased() == lowered }?.value
    }

    /// Replaces every field called `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        let lowered = name.lowercased()
        fields.removeAll { $0.name.lowercased() == lowered }
        fields.append((name, value))
    }

    /// Iterates the fields.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// Equal when the same fields appear in the same order.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.map { "\($0.name.lowercased()):\($0.value)" }
            == rhs.fields.map { "\($0.name.lowercased()):\($0.value)" }
    }

    /// Hashes the fields.
    public func hash(into hasher: inout Hasher) {
        for field in fields {
            hasher.combine(field.name.lowercased())
            hasher.combine(field.value)
        }
    }
}

/// A transport failure with no HTTP response to show for it.
public struct HTTPTransportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: String, Hashable, Sendable {
        /// The deadline passed.
        case timeout
        /// The caller cancelled.
        case cancelled
        /// Connecting, sending or receiving failed.
        case connection
        /// The body was larger than allowed.
        case responseTooLarge = "response_too_large"
        /// A redirect was refused: too many, a downgrade from https, or one that would resend the body elsewhere.
        case redirect
        /// The destination is not allowed by the egress policy (an internal address, a local name, plain http).
        case egress = "egress_refused"
    }

    /// What went wrong.
    public var kind: Kind
    /// Details.
    public var message: String

    /// Creates a transport error.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// `kind: message`.
    public var description: String { "\(kind.rawValue): \(message)" }
}
