/// The port to secrets: API keys and connector credentials, read by reference.
///
/// A reference is scoped: platform secrets, or one tenant's. A store must never
/// answer a tenant-scoped read with another tenant's value.
public protocol SecretStore: Sendable {
    /// The secret at `path` in `scope`; nil when there is none.
    /// Throws ``SecretStoreError`` when the store is unreachable, sealed or forbids the read.
    func secret(_ path: String, scope: SecretScope) async throws -> String?

    /// Where the store looks for `path` in `scope` (an environment variable's name, a KV path), for the message
    /// about a missing secret; nil when the reference says it all. Never a value.
    func location(of path: String, scope: SecretScope) -> String?
}

extension SecretStore {
    /// The reference says it all.
    public func location(of path: String, scope: SecretScope) -> String? { nil }
}

/// Whose secret.
public enum SecretScope: Hashable, Sendable, CustomStringConvertible {
    /// The platform's own (e.g. the default provider keys).
    case platform
    /// One tenant's (e.g. its own provider key, its connector credentials).
    case tenant(TenantID)

    /// `platform` or `tenants/<id>`.
    public var description: String {
        switch self {
        case .platform: return "platform"
        case .tenant(let id): return "tenants/\(id)"
        }
    }
}

/// Why a secret could not be read. Messages name the reference, never a value.
public struct SecretStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The failure kind.
    public enum Kind: String, Hashable, Sendable {
        /// The store could not be reached.
        case unavailable
        /// The store is sealed (Vault/OpenBao).
        case sealed
        /// The store refused the read.
        case forbidden
        /// The reference is malformed.
        case invalidReference = "invalid_reference"
    }

    /// The failure kind.
    public var kind: Kind
    /// The reference that failed (`scope/path`).
    public var reference: String
    /// Details (never a secret value).
    public var message: String

    /// Creates an error.
    public init(kind: Kind, reference: String, message: String) {
        self.kind = kind
        self.reference = reference
        self.message = message
    }

    /// `secret store unavailable for <reference>: <message>`.
    public var description: String { "secret store \(kind.rawValue) for \(reference): \(message)" }
}

/// Where a configured credential comes from: an environment variable, or a secret-store path.
public enum CredentialReference: Hashable, Sendable, CustomStringConvertible {
    /// `env:NAME`.
    case environment(String)
    /// `secret:path` (platform scope).
    case secret(String)

    /// Parses `env:NAME` or `secret:path`; a bare upper-case name is an environment variable.
    public init?(parsing text: String) {
        if text.hasPrefix("env:"), text.count > 4 {
            self = .environment(String(text.dropFirst(4)))
        } else if text.hasPrefix("secret:"), text.count > 7 {
            self = .secret(String(text.dropFirst(7)))
        } else if !text.isEmpty, text.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) {
            self = .environment(text)
        } else {
            return nil
        }
    }

    /// `env:NAME` or `secret:path`.
    public var description: String {
        switch self {
        case .environment(let name): return "env:\(name)"
        case .secret(let path): return "secret:\(path)"
        }
    }
}

/// A ``SecretStore`` that can also be written: where a connector keeps what it obtains itself (an OAuth access token
/// after a refresh, a rotated refresh token), so that other processes and restarts find it.
///
/// The same scoping holds as for reads: a write in a tenant's scope never lands in another tenant's secrets.
public protocol WritableSecretStore: SecretStore {
    /// Stores `value` at `path` in `scope`, replacing what was there (other secrets beside it are kept).
    /// Throws ``SecretStoreError`` when the store is unreachable, sealed or forbids the write.
    func setSecret(_ value: String, at path: String, scope: SecretScope) async throws
}
