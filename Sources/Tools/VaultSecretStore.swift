import AgentRuntime
import Foundation

/// ``SecretStore`` on HashiCorp Vault or OpenBao, KV version 2.
///
/// A reference `connector/field` in a tenant's scope is field `field` of the
/// KV secret `<mount>/data/tenants/<tenant>/connector`; in the platform scope,
/// of `<mount>/data/platform/connector`. Paths are built from the scope, and
/// `..` or absolute paths are refused, so one tenant's reads can never reach
/// another tenant's secrets (and policies per AppRole should enforce the same).
/// Logs in with a token or AppRole, renews the token before it expires (or
/// logs in again), and caches secrets briefly. Errors name the reference, never a value.
public actor VaultSecretStore: SecretStore {
    /// How the store authenticates.
    public enum Authentication: Sendable {
        /// A token (renewed when renewable).
        case token(String)
        /// AppRole login with a role id and a secret id.
        case appRole(roleID: String, secretID: String, mount: String = "approle")
    }

    private let address: URL
    private let mount: String
    private let authentication: Authentication
    private let transport: any HTTPTransport
    private let cacheTTL: Duration
    private let namespace: String?
    private var token: String?
    private var tokenExpiry: ContinuousClock.Instant?
    private var tokenLease: Duration = .zero
    private var renewable = false
    private var cache: [String: (values: [String: String]?, fetched: ContinuousClock.Instant)] = [:]
    /// Token renewals performed (for monitoring and tests).
    public private(set) var renewals = 0
    /// Logins performed.
    public private(set) var logins = 0
    /// Secret reads sent to the server (cache misses).
    public private(set) var fetches = 0

    /// Creates a store.
    public init(
        address: URL, mount: String = "secret", authentication: Authentication,
        transport: any HTTPTransport = URLSessionTransport(),
        cacheTTL: Duration = .seconds(30), namespace: String? = nil
    ) {
        self.address = address
        self.mount = mount
        self.authentication = authentication
        self.transport = transport
        self.cacheTTL = cacheTTL
        self.namespace = namespace
    }

    /// Reads `path` (`kv-path/field`) in `scope`.
    public func secret(_ path: String, scope: SecretScope) async throws -> String? {
        let reference = "\(scope)/\(path)"
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2,
            parts.allSatisfy({
                !$0.isEmpty && $0 != ".." && $0 != "."
                    && $0.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            })
        else {
            throw SecretStoreError(
                kind: .invalidReference, reference: reference,
                message: "a reference is kv-path/field with letters, digits, '-', '_' and '.' only")
        }
        let field = parts.last!
        let prefix: String
        switch scope {
        case .platform: prefix = "platform"
        case .tenant(let tenant):
            guard tenant.rawValue.allSatisfy({ $0.isLetter || $0.isNumber || "-_".contains($0) }),
                !tenant.rawValue.isEmpty
            else {
                throw SecretStoreError(kind: .invalidReference, reference: reference, message: "invalid tenant id")
            }
            prefix = "tenants/\(tenant)"
        }
        let kvPath = ([prefix] + parts.dropLast()).joined(separator: "/")
        if let cached = cache[kvPath], ContinuousClock.now - cached.fetched < cacheTTL { return cached.values?[field] }
        let values = try await read(kvPath, reference: reference)
        cache[kvPath] = (values, .now)
        return values?[field]
    }

    /// Forgets cached secrets (after a rotation).
    public func invalidate() { cache.removeAll() }

    private func read(_ kvPath: String, reference: String) async throws -> [String: String]? {
        let url = address.appendingPathComponent("v1/\(mount)/data/\(kvPath)")
        fetches += 1
        let response = try await send("GET", url, body: nil, reference: reference, authenticated: true)
        switch response.status {
        case 200:
            guard case .object(let data)? = (try? JSONParser.value(response.body))?["data"]?["data"] else { return [:] }
            var values: [String: String] = [:]
            for member in data { values[member.key] = member.value.stringValue ?? member.value.serialized() }
            return values
        case 404: return nil
        default: throw failure(response, reference: reference)
        }
    }

    private func failure(_ response: HTTPResponse, reference: String) -> SecretStoreError {
        let errors: [String] = {
            if case .array(let items)? = (try? JSONParser.value(response.body))?["errors"] {
                return items.compactMap(\.stringValue)
            }
            return []
        }()
        let detail = errors.first ?? "HTTP \(response.status)"
        switch response.status {
        case 403: return SecretStoreError(kind: .forbidden, reference: reference, message: "permission denied")
        case 503 where detail.lowercased().contains("sealed"):
            return SecretStoreError(kind: .sealed, reference: reference, message: "the secret store is sealed")
        default:
            return SecretStoreError(
                kind: .unavailable, reference: reference, message: "the secret store answered \(detail)")
        }
    }

    private func send(
        _ method: String, _ url: URL, body: JSONValue?, reference: String, authenticated: Bool,
        token explicitToken: String? = nil
    ) async throws -> HTTPResponse {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let namespace { headers.set("X-Vault-Namespace", namespace) }
        if let explicitToken {
            headers.set("X-Vault-Token", explicitToken)
        } else if authenticated {
            headers.set("X-Vault-Token", try await currentToken(reference: reference))
        }
        if body != nil { headers.set("Content-Type", "application/json") }
        let request = HTTPRequest(
            method: method, url: url, headers: headers, body: body.map { Array($0.serialized().utf8) },
            deadline: .now + .seconds(10))
        do {
            return try await transport.send(request)
        } catch let error as HTTPTransportError {
            throw SecretStoreError(
                kind: .unavailable, reference: reference,
                message: "cannot reach \(address.host ?? "the secret store"): \(error.kind.rawValue)")
        }
    }

    /// A valid token: logs in, or renews one that is within a third of its lease of expiring.
    private func currentToken(reference: String) async throws -> String {
        if let token, let expiry = tokenExpiry {
            let remaining = expiry - .now
            if remaining > tokenLease / 3 { return token }
            if renewable, remaining > .zero, try await renew(reference: reference) { return self.token! }
        } else if let token, logins > 0 {
            return token  // a token without expiry (ttl 0)
        }
        try await login(reference: reference)
        return token!
    }

    private func login(reference: String) async throws {
        logins += 1
        switch authentication {
        case .token(let value):
            token = value
            let response = try await send(
                "GET", address.appendingPathComponent("v1/auth/token/lookup-self"), body: nil, reference: reference,
                authenticated: false, token: value)
            guard response.status == 200, let data = (try? JSONParser.value(response.body))?["data"] else {
                token = nil
                throw response.status == 403
                    ? SecretStoreError(
                        kind: .forbidden, reference: reference, message: "the token is invalid or expired")
                    : failure(response, reference: reference)
            }
            let ttl = data["ttl"]?.doubleValue ?? 0
            renewable = data["renewable"] == true
            tokenLease = .seconds(ttl)
            tokenExpiry = ttl > 0 ? .now + .seconds(ttl) : nil
        case .appRole(let roleID, let secretID, let mountPath):
            let response = try await send(
                "POST", address.appendingPathComponent("v1/auth/\(mountPath)/login"),
                body: ["role_id": .string(roleID), "secret_id": .string(secretID)],
                reference: reference, authenticated: false)
            guard response.status == 200, let auth = (try? JSONParser.value(response.body))?["auth"],
                let clientToken = auth["client_token"]?.stringValue
            else {
                throw response.status == 400 || response.status == 403
                    ? SecretStoreError(kind: .forbidden, reference: reference, message: "AppRole login was refused")
                    : failure(response, reference: reference)
            }
            token = clientToken
            let lease = auth["lease_duration"]?.doubleValue ?? 0
            renewable = auth["renewable"] == true
            tokenLease = .seconds(lease)
            tokenExpiry = lease > 0 ? .now + .seconds(lease) : nil
        }
    }

    /// Renews the token; false when it cannot be renewed (then the caller logs in again).
    private func renew(reference: String) async throws -> Bool {
        let response = try await send(
            "POST", address.appendingPathComponent("v1/auth/token/renew-self"), body: [:], reference: reference,
            authenticated: false, token: token)
        guard response.status == 200, let auth = (try? JSONParser.value(response.body))?["auth"] else { return false }
        let lease = auth["lease_duration"]?.doubleValue ?? 0
        guard lease > 0 else { return false }
        renewals += 1
        tokenLease = .seconds(lease)
        tokenExpiry = .now + .seconds(lease)
        renewable = auth["renewable"] == true
        return true
    }
}
