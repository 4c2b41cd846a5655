import AgentRuntime
import Foundation
import JWTKit

/// Checks OIDC access tokens (JWTs) and reads the caller from their claims.
///
/// A token is accepted when its `alg` is one of the configured asymmetric algorithms, its signature matches the
/// issuer's key named by `kid` (keys from the issuer's JWKS, see ``JWKSKeyCache``), `iss` is the configured issuer,
/// `aud` names a configured audience, and `exp` / `nbf` hold within the leeway. The caller's tenant, user and roles
/// come from the configured claims only; role names the runtime does not know are ignored (identity providers put
/// unrelated groups and roles in the same claim), and a token granting none of the runtime's roles is refused.
///
/// Errors are `GatewayError`s: 401 for a token that is not acceptable (the message says why and never repeats the
/// token), 403 for a token granting no role, 503 when the issuer's keys cannot be fetched and none are cached.
public struct AccessTokenVerifier: Sendable {
    /// What is accepted, and where the caller's identity is.
    public let settings: OIDCSettings
    private let keys: JWKSKeyCache

    /// Longer tokens are refused before any work.
    static let maximumLength = 16 * 1024

    /// Creates a verifier that fetches keys through `transport`.
    public init(settings: OIDCSettings, transport: any HTTPTransport) {
        self.settings = settings
        keys = JWKSKeyCache(settings: settings, transport: transport)
    }

    /// Whether a bearer value has the shape of a JWT (three base64url parts separated by dots): such a value is
    /// checked as a signed token, anything else as a static service token.
    public static func looksLikeJWT(_ value: String) -> Bool {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].count > 0 && parts[1].count > 0
            && value.utf8.allSatisfy { byte in
                byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            }
    }

    /// The caller named by `token`, checked as of `now`.
    public func verify(_ token: String, at now: Date) async throws(GatewayError) -> Principal {
        guard token.utf8.count <= Self.maximumLength else {
            throw GatewayError(.unauthorized, "the access token is longer than \(Self.maximumLength) bytes")
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let header = Self.decodeObject(parts[0]), let claims = Self.decodeObject(parts[1])
        else {
            throw GatewayError(.unauthorized, "the access token is not a well-formed JWT")
        }
        guard let algorithm = header["alg"]?.stringValue else {
            throw GatewayError(.unauthorized, "the access token's header names no algorithm (alg)")
        }
        guard settings.algorithms.contains(algorithm) else {
            throw GatewayError(
                .unauthorized,
                "algorithm \"\(algorithm)\" is not accepted (accepted: \(settings.algorithms.joined(separator: ", ")))")
        }
        let kid = header["kid"]?.stringValue
        let keySet = try await keys.keys(for: kid, now: now)
        if let kid, let entry = keySet.entries[kid], let problem = Self.mismatch(algorithm, entry) {
            throw GatewayError(.unauthorized, "the token is signed with \(algorithm), but key \"\(kid)\" \(problem)")
        }
        do {
            _ = try await keySet.collection.verify(token, as: SignatureOnly.self, iteratingKeys: kid == nil)
        } catch {
            let which = kid.map { "key \"\($0)\"" } ?? "any key"
            throw GatewayError(.unauthorized, "the signature does not match \(which) of \(keySet.source)")
        }
        try checkClaims(claims, at: now)
        return try principal(claims)
    }

    private func checkClaims(_ claims: JSONValue, at now: Date) throws(GatewayError) {
        guard let issuer = claims["iss"]?.stringValue else {
            throw GatewayError(.unauthorized, "the access token has no issuer (iss)")
        }
        guard issuer == settings.issuer else {
            throw GatewayError(.unauthorized, "issuer \"\(issuer)\" is not accepted (expected \"\(settings.issuer)\")")
        }
        let audiences: [String]
        switch claims["aud"] {
        case .string(let value)?: audiences = [value]
        case .array(let items)?: audiences = items.compactMap(\.stringValue)
        default: throw GatewayError(.unauthorized, "the access token has no audience (aud)")
        }
        guard audiences.contains(where: settings.audiences.contains) else {
            throw GatewayError(
                .unauthorized,
                "audience \(Self.quoted(audiences)) is not accepted (expected \(Self.quoted(settings.audiences, or: true)))"
            )
        }
        let leeway = settings.leeway.seconds
        guard let expiry = claims["exp"]?.doubleValue.map(Date.init(timeIntervalSince1970:)) else {
            throw GatewayError(.unauthorized, "the access token has no expiry (exp)")
        }
        guard now.timeIntervalSince(expiry) <= leeway else {
            throw GatewayError(.unauthorized, "the access token expired at \(expiry.formatted(.iso8601))")
        }
        if let start = claims["nbf"]?.doubleValue.map(Date.init(timeIntervalSince1970:)),
            start.timeIntervalSince(now) > leeway
        {
            throw GatewayError(.unauthorized, "the access token is not valid before \(start.formatted(.iso8601))")
        }
    }

    private func principal(_ claims: JSONValue) throws(GatewayError) -> Principal {
        guard let tenant = Self.text(Self.claim(settings.tenantClaim, in: claims)), !tenant.isEmpty else {
            throw GatewayError(.unauthorized, "the access token names no tenant (claim \"\(settings.tenantClaim)\")")
        }
        guard let user = Self.text(Self.claim(settings.userClaim, in: claims)), !user.isEmpty else {
            throw GatewayError(.unauthorized, "the access token names no user (claim \"\(settings.userClaim)\")")
        }
        let roles = Set(Self.roleNames(Self.claim(settings.rolesClaim, in: claims)).compactMap(Role.init(rawValue:)))
        guard !roles.isEmpty else {
            throw GatewayError(
                .forbidden,
                "the access token grants no role of this service (claim \"\(settings.rolesClaim)\" names none of \(Role.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        return Principal(tenant: TenantID(tenant), user: user, roles: roles)
    }

    /// The claim at `path`: a top-level claim of that exact name (names like `urn:zitadel:iam:org:id` or
    /// `https://example.com/tenant` are one claim), else the dotted path through nested objects.
    static func claim(_ path: String, in claims: JSONValue) -> JSONValue? {
        if let value = claims[path] { return value }
        var current: JSONValue? = claims
        for part in path.split(separator: ".", omittingEmptySubsequences: false) { current = current?[String(part)] }
        return current
    }

    /// Role names in a claim: an array of strings, one string separated by spaces or commas, or an object's keys.
    static func roleNames(_ value: JSONValue?) -> [String] {
        switch value {
        case .string(let text)?:
            return text.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        case .array(let items)?: return items.compactMap(\.stringValue)
        case .object(let object)?: return object.keys
        default: return []
        }
    }

    private static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: return text
        case .int(let number)?: return String(number)
        default: return nil
        }
    }

    /// Why `algorithm` cannot be used with a key of this kind, or nil.
    private static func mismatch(_ algorithm: String, _ entry: JWKSKeyCache.Entry) -> String? {
        if let declared = entry.algorithm {
            return declared == algorithm ? nil : "is for \(declared)"
        }
        let needed: (type: String, curve: String?)
        switch algorithm {
        case "ES256": needed = ("EC", "P-256")
        case "ES384": needed = ("EC", "P-384")
        case "ES512": needed = ("EC", "P-521")
        case "EdDSA": needed = ("OKP", nil)
        default: needed = ("RSA", nil)
        }
        guard entry.keyType == needed.type, needed.curve == nil || entry.curve == needed.curve else {
            return "is an \(entry.keyType) key\(entry.curve.map { " on \($0)" } ?? "")"
        }
        return nil
    }

    private static func quoted(_ values: [String], or: Bool = false) -> String {
        values.map { "\"\($0)\"" }.joined(separator: or ? " or " : ", ")
    }

    /// A base64url segment holding a JSON object.
    private static func decodeObject(_ segment: String) -> JSONValue? {
        var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        guard let data = Data(base64Encoded: text), let value = try? JSONParser.value([UInt8](data)),
            case .object = value
        else { return nil }
        return value
    }
}

/// A payload jwt-kit decodes after checking the signature; the claims are read and checked by
/// ``AccessTokenVerifier`` itself, against the gateway's clock.
private struct SignatureOnly: JWTPayload {
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
