import AgentRuntime
import Foundation
import HTTPTypes
import Hummingbird

/// The request context: who is calling (after authentication) and the request id.
public struct GatewayContext: RequestContext {
    /// Hummingbird's storage.
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller (set by the authentication middleware for `/v1`).
    public var principal: Principal?
    /// The request id (echoed from `X-Request-ID` or generated).
    public var requestID = ""
    /// What the request log line says about the caller, filled in by the authentication middleware.
    var facts = RequestFacts()

    /// Creates a context.
    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Bodies are limited to 1 MiB.
    public var maxUploadSize: Int { 1 << 20 }

    /// The caller, or 401.
    func caller() throws -> Principal {
        guard let principal else { throw GatewayError(.unauthorized, "not authenticated") }
        return principal
    }

    /// The caller if one of its roles is `minimum` or above; 401 or 403 otherwise.
    func caller(atLeast minimum: Role) throws -> Principal {
        let principal = try caller()
        guard (principal.roles.max() ?? .tenantUser) >= minimum else {
            throw GatewayError(.forbidden, "this needs the \(minimum.rawValue) role or above")
        }
        return principal
    }

    /// The path parameter `name` of the matched route (`{name}` in its template); 400 when empty.
    func parameter(_ name: String) throws -> String {
        guard let value = parameters.get(name), !value.isEmpty else {
            throw GatewayError(.validation, "missing \(name)")
        }
        return value
    }
}

/// Who made a request, as learnt by inner middleware, for the outer one's log line.
final class RequestFacts: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var caller: Principal?

    /// The authenticated caller, if any.
    var principal: Principal? {
        get { lock.withLock { caller } }
        set { lock.withLock { caller = newValue } }
    }
}

extension HTTPField.Name {
    static let traceparent = Self("traceparent")!
    static let requestID = Self("X-Request-ID")!
    static let tenantID = Self("X-Tenant-ID")!
    static let userID = Self("X-User-ID")!
    static let userRoles = Self("X-User-Roles")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let lastEventID = Self("Last-Event-ID")!
}
