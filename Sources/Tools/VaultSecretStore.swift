import AgentRuntime
import Foundation

/// ``SecretStore`` on HashiCorp Vault or OpenBao, KV version 2.
///
/// A reference `connector/field` in a tenant's scope is field `field` of the
/// KV secret `<mount>/data/tenants/<tenant>/connector`; in the platform scope,
/// of `<mount>/data/platform/connector`. Paths are built from the scope, and
/// `..` or absolute paths are refused, so one tenant's reads can never reach
/// another tenant's secrets (and policies per AppRole should enforce the same).
///
/// One store serves the whole process: it logs in once (with a token or AppRole), and reads that arrive together
/// while it has no token share that one login. It renews the token before it expires (or logs in again), and logs
/// in again once when a read is refused because the token was revoked or expired (a refusal by policy is not
/// retried; it is remembered like a value). ``close()`` revokes a token it obtained by logging in. Secrets are
/// cached briefly. Errors name the reference, never a value. Writes (``setSecret(_:at:scope:)``) set one field of a
/// KV secret and keep its other fields (a JSON merge patch; the secret is created when there is none), which needs
/// the `patch` and `create` capabilities on the path.
public actor VaultSecretStore: WritableSecretStore {
    /// How the store authenticates.
    public enum Authentication: Sendable {
        /// A token (renewed when renewable; never revoked by the store, since it was given, not obtained).
        case token(String)
        /// AppRole login with a role id and a secret id (the token obtained is revoked by ``close()``).
        case appRole(roleID: String, secretID: String, mount: String = "approle")
    }

    /// A cached read: a KV secret's fields (nil: there is none), or the policy's refusal.
    private enum Cached {
        case values([String: String]?)
        case forbidden
    }

    private let address: URL
    private let mount: String
    private let authentication: Authentication
    private let transport: any HTTPTransport
    private let cacheTTL: Duration
    private let namespace: String?
    private var token: String?
    /// When the token expires (nil: it does not).
    private var tokenExpiry: ContinuousClock.Instant?
    private var tokenLease: Duration = .zero
    private var renewable = false
    /// The login or renewal under way, which every read waiting for a token shares.
    private var refreshing: Task<String, any Error>?
    private var closed = false
    private var cache: [String: (entry: Cached, fetched: ContinuousClock.Instant)] = [:]
    /// Token renewals performed (for monitoring and tests).
    public private(set) var renewals = 0
    /// Logins performed.
    public private(set) var logins = 0
    /// Secret reads sent to the server (cache misses).
    public private(set) var fetches = 0
    /// Tokens revoked by ``close()``.
    public private(set) var revocations = 0

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
        guard !closed else {
            throw SecretStoreError(kind: .unavailable, reference: reference, message: "the secret store is closed")
        }
        let (kvPath, field) = try Self.locate(path, scope: scope, reference: reference)
        if let cached = cache[kvPath], ContinuousClock.now - cached.fetched < cacheTTL {
            return try value(cached.entry, field: field, reference: reference)
        }
        let entry = try await read(kvPath, reference: reference)
        cache[kvPath] = (entry, .now)
        return try value(entry, field: field, reference: reference)
    }

    /// The KV secret and field a reference names.
    public nonisolated func location(of path: String, scope: SecretScope) -> String? {
        guard let located = try? Self.locate(path, scope: scope, reference: "") else { return nil }
        return "field \(located.field) of \(mount)/data/\(located.kvPath)"
    }

    private static func locate(
        _ path: String, scope: SecretScope, reference: String
    ) throws -> (kvPath: String, field: String) {
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
        return (([prefix] + parts.dropLast()).joined(separator: "/"), parts.last!)
    }

    private func value(_ entry: Cached, field: String, reference: String) throws -> String? {
        switch entry {
        case .values(let values): return values?[field]
        case .forbidden: throw SecretStoreError(kind: .forbidden, reference: reference, message: "permission denied")
        }
    }

    /// Sets field `field` of the KV secret a reference `kv-path/field` names in `scope`, keeping its other fields: a
    /// JSON merge patch of the current version, or a new secret (check-and-set 0) when there is none.
    public func setSecret(_ value: String, at path: String, scope: SecretScope) async throws {
        let reference = "\(scope)/\(path)"
        guard !closed else {
            throw SecretStoreError(kind: .unavailable, reference: reference, message: "the secret store is closed")
        }
        let (kvPath, field) = try Self.locate(path, scope: scope, reference: reference)
        let url = address.appendingPathComponent("v1/\(mount)/data/\(kvPath)")
        defer { cache[kvPath] = nil }
        for attempt in 0..<3 {
            let token = try await currentToken(reference: reference)
            let patch = try await send(
                "PATCH", url, body: ["data": [field: .string(value)]], reference: reference, token: token,
                contentType: "application/merge-patch+json")
            switch patch.status {
            case 200, 204: return
            case 404:
                // No secret yet: create it, unless another writer did meanwhile (then patch again).
                let create = try await send(
                    "POST", url, body: ["options": ["cas": 0], "data": [field: .string(value)]], reference: reference,
                    token: token)
                if (200..<300).contains(create.status) { return }
                guard create.status == 400, attempt < 2 else { throw failure(create, reference: reference) }
            case 403 where attempt == 0:
                // Refused by policy, or the token was revoked or expired: only the second is worth a new login.
                guard try await !isValid(token, reference: reference) else {
                    throw failure(patch, reference: reference)
                }
                if self.token == token { self.token = nil }
            default: throw failure(patch, reference: reference)
            }
        }
        throw SecretStoreError(kind: .unavailable, reference: reference, message: "the write did not go through")
    }

    /// Forgets cached secrets (after a rotation).
    public func invalidate() { cache.removeAll() }

    /// Revokes the token obtained by logging in (`auth/token/revoke-self`), waiting for a login under way first, and
    /// forgets cached secrets; reads fail afterwards. A token given to the store is left alone. Call it once, when the process ends.
    public func close() async {
        guard !closed else { return }
        closed = true
        cache.removeAll()
        if let refreshing { _ = try? await refreshing.value }
        guard case .appRole = authentication, let token else { return }
        self.token = nil
        let response = try? await send(
            "POST", address.appendingPathComponent("v1/auth/token/revoke-self"), body: [:], reference: "close",
            token: token)
        if let response, (200..<300).contains(response.status) { revocations += 1 }
    }

    private func read(_ kvPath: String, reference: String) async throws -> Cached {
        let url = address.appendingPathComponent("v1/\(mount)/data/\(kvPath)")
        for attempt in 0..<2 {
            let token = try await currentToken(reference: reference)
            fetches += 1
            let response = try await send("GET", url, body: nil, reference: reference, token: token)
            switch response.status {
            case 200:
                guard case .object(let data)? = (try? JSONParser.value(response.body))?["data"]?["data"] else {
                    return .values([:])
                }
                var values: [String: String] = [:]
                for member in data { values[member.key] = member.value.stringValue ?? member.value.serialized() }
                return .values(values)
            case 404: return .values(nil)
            case 403:
                // Refused by policy, or the token was revoked or expired: only the second is worth a new login.
                guard attempt == 0 else { return .forbidden }
                let valid = try await isValid(token, reference: reference)
                guard !valid else { return .forbidden }
                if self.token == token { self.token = nil }
            default: throw failure(response, reference: reference)
            }
        }
        return .forbidden
    }

    /// Whether the server still knows `token` (`auth/token/lookup-self`).
    private func isValid(_ token: String, reference: String) async throws -> Bool {
        let response = try await send(
            "GET", address.appendingPathComponent("v1/auth/token/lookup-self"), body: nil, reference: reference,
            token: token)
        switch response.status {
        case 200: return true
        case 401, 403: return false
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
        _ method: String, _ url: URL, body: JSONValue?, reference: String, token: String? = nil,
        contentType: String = "application/json"
    ) async throws -> HTTPResponse {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let namespace { headers.set("X-Vault-Namespace", namespace) }
        if let token { headers.set("X-Vault-Token", token) }
        if body != nil { headers.set("Content-Type", contentType) }
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

    /// A valid token: the current one while more than a third of its lease is left; else the one a renewal or a
    /// login (shared by every read waiting meanwhile) brings.
    private func currentToken(reference: String) async throws -> String {
        guard !closed else {
            throw SecretStoreError(kind: .unavailable, reference: reference, message: "the secret store is closed")
        }
        if let token, tokenExpiry.map({ $0 - .now > tokenLease / 3 }) ?? true { return token }
        if let refreshing { return try await refreshing.value }
        let task = Task { try await refresh(reference: reference) }
        refreshing = task
        return try await task.value
    }

    /// Renews the token when it can, else logs in; ends the shared refresh.
    private func refresh(reference: String) async throws -> String {
        defer { refreshing = nil }
        if token != nil, renewable, let expiry = tokenExpiry, expiry > .now, try await renew(reference: reference) {
            return token!
        }
        return try await login(reference: reference)
    }

    private func login(reference: String) async throws -> String {
        logins += 1
        token = nil
        switch authentication {
        case .token(let value):
            let response = try await send(
                "GET", address.appendingPathComponent("v1/auth/token/lookup-self"), body: nil, reference: reference,
                token: value)
            guard response.status == 200, let data = (try? JSONParser.value(response.body))?["data"] else {
                throw response.status == 403
                    ? SecretStoreError(
                        kind: .forbidden, reference: reference, message: "the token is invalid or expired")
                    : failure(response, reference: reference)
            }
            let ttl = data["ttl"]?.doubleValue ?? 0
            renewable = data["renewable"] == true
            tokenLease = .seconds(ttl)
            tokenExpiry = ttl > 0 ? .now + .seconds(ttl) : nil
            token = value
            return value
        case .appRole(let roleID, let secretID, let mountPath):
            let response = try await send(
                "POST", address.appendingPathComponent("v1/auth/\(mountPath)/login"),
                body: ["role_id": .string(roleID), "secret_id": .string(secretID)], reference: reference)
            guard response.status == 200, let auth = (try? JSONParser.value(response.body))?["auth"],
                let clientToken = auth["client_token"]?.stringValue
            else {
                throw response.status == 400 || response.status == 403
                    ? SecretStoreError(kind: .forbidden, reference: reference, message: "AppRole login was refused")
                    : failure(response, reference: reference)
            }
            let lease = auth["lease_duration"]?.doubleValue ?? 0
            renewable = auth["renewable"] == true
            tokenLease = .seconds(lease)
            tokenExpiry = lease > 0 ? .now + .seconds(lease) : nil
            if closed {
                // Closed while logging in: the token is revoked at once.
                _ = try? await send(
                    "POST", address.appendingPathComponent("v1/auth/token/revoke-self"), body: [:],
                    reference: reference, token: clientToken)
                throw SecretStoreError(kind: .unavailable, reference: reference, message: "the secret store is closed")
            }
            token = clientToken
            return clientToken
        }
    }

    /// Renews the token; false when it cannot be renewed (then the caller logs in again).
    private func renew(reference: String) async throws -> Bool {
        let response = try await send(
            "POST", address.appendingPathComponent("v1/auth/token/renew-self"), body: [:], reference: reference,
            token: token)
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
