/// A failed model call: what kind of failure, what the provider said, and whether trying again may help.
///
/// Messages never contain credentials: provider bodies are passed through ``Redactor``.
public struct ProviderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable, low-cardinality failure kinds.
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// The key is missing, wrong or revoked (401).
        case authentication
        /// The key may not use this model or resource (403).
        case permissionDenied = "permission_denied"
        /// The model or endpoint does not exist (404).
        case notFound = "not_found"
        /// Too many requests or tokens (429).
        case rateLimited = "rate_limited"
        /// The account has no credit or quota left (429 that retrying cannot fix).
        case quotaExceeded = "quota_exceeded"
        /// The prompt does not fit the model's context window.
        case contextLengthExceeded = "context_length_exceeded"
        /// The provider is overloaded (Anthropic 529, Gemini 503).
        case overloaded
        /// The request is malformed or unsupported (400, 422).
        case invalidRequest = "invalid_request"
        /// The provider failed (5xx).
        case server
        /// The call did not finish before its deadline.
        case timeout
        /// The call was cancelled.
        case cancelled
        /// The stream ended before the provider said it was complete.
        case streamTruncated = "stream_truncated"
        /// The connection failed before a response.
        case connection
        /// The provider's answer could not be understood.
        case invalidResponse = "invalid_response"
        /// The provider refused the content (safety filter).
        case contentFiltered = "content_filtered"
    }

    /// The HTTP status, when there was a response.
    public var status: Int?
    /// The failure kind.
    public var code: Code
    /// The provider's message (redacted) or ours.
    public var message: String
    /// The provider key (`openai`, `anthropic`, ...), when known.
    public var provider: String?
    /// Whether the same request may succeed if tried again.
    public var isRetryable: Bool
    /// How long the provider asked us to wait before trying again.
    public var retryAfter: Duration?

    /// Creates an error; `isRetryable` defaults from the code.
    public init(
        status: Int? = nil, code: Code, message: String, provider: String?, isRetryable: Bool? = nil,
        retryAfter: Duration? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.provider = provider
        self.isRetryable = isRetryable ?? Self.defaultRetryable(code)
        self.retryAfter = retryAfter
    }

    /// Whether a code is retryable when nothing more specific is known.
    public static func defaultRetryable(_ code: Code) -> Bool {
        switch code {
        case .rateLimited, .overloaded, .server, .timeout, .connection, .streamTruncated: return true
        default: return false
        }
    }

    /// `provider: code (HTTP status): message`.
    public var description: String {
        var text = provider.map { "\($0): " } ?? ""
        text += code.rawValue
        if let status { text += " (HTTP \(status))" }
        text += ": \(message)"
        if let retryAfter { text += " (retry after \(retryAfter.formattedSeconds))" }
        return text
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// `1.5s`.
    var formattedSeconds: String {
        let value = seconds
        return value == value.rounded() ? "\(Int(value))s" : "\((value * 1000).rounded() / 1000)s"
    }
}
