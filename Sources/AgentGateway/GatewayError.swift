import AgentRuntime
import HTTPTypes
import Hummingbird

/// An API error: a stable code, an HTTP status, a message, and details (e.g. one entry per invalid field).
public struct GatewayError: Error, Sendable {
    /// The error codes of the API.
    public enum Code: String, Sendable {
        /// 401.
        case unauthorized = "UNAUTHORIZED"
        /// 403.
        case forbidden = "FORBIDDEN"
        /// 404.
        case notFound = "NOT_FOUND"
        /// 400.
        case validation = "VALIDATION_ERROR"
        /// 409.
        case conflict = "CONFLICT"
        /// 422: a well-formed request the service will not carry out as it stands (an agent definition that would
        /// break crews, or names a model the runtime cannot serve).
        case unprocessable = "UNPROCESSABLE"
        /// 413.
        case payloadTooLarge = "PAYLOAD_TOO_LARGE"
        /// 429.
        case rateLimited = "RATE_LIMITED"
        /// 500.
        case internalError = "INTERNAL_ERROR"
        /// 503: not ready, shutting down, or the run store is out.
        case unavailable = "UNAVAILABLE"

        /// The HTTP status.
        public var status: HTTPResponse.Status {
            switch self {
            case .unauthorized: return .unauthorized
            case .forbidden: return .forbidden
            case .notFound: return .notFound
            case .validation: return .badRequest
            case .conflict: return .conflict
            case .unprocessable: return .unprocessableContent
            case .payloadTooLarge: return .contentTooLarge
            case .rateLimited: return .tooManyRequests
            case .internalError: return .internalServerError
            case .unavailable: return .serviceUnavailable
            }
        }
    }

    /// The code.
    public var code: Code
    /// What is wrong.
    public var message: String
    /// Details (field problems, limits).
    public var details: JSONValue
    /// Seconds to wait (429).
    public var retryAfter: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, details: JSONValue = .array([]), retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    /// `{"error": {"code", "message", "details"}}`.
    public var body: JSONValue {
        ["error": ["code": .string(code.rawValue), "message": .string(message), "details": details]]
    }
}
