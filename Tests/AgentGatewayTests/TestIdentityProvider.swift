import AgentRuntime
import AgentRuntimeTesting
import CryptoExtras
import Foundation
import JWTKit

/// An OIDC identity provider for tests: keys generated in the test (RSA 2048 and P-256), its discovery document and
/// JWKS served from a loopback server, and tokens signed with those keys.
///
/// Which keys the JWKS lists can change while it runs (key rotation), and it can be taken down (an outage).
final class TestIdentityProvider: @unchecked Sendable {
    /// A signing key: its id, its public JWK, and a collection that signs with it.
    struct Key: Sendable {
        let kid: String
        let jwk: JSONValue
        let signer: JWTKeyCollection

        /// An RSA 2048 key (RS256).
        static func rsa(_ kid: String, declaresAlgorithm: Bool = true) async throws -> Key {
            let key = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
            let primitives = try key.publicKey.getKeyPrimitives()
            var jwk: JSONValue = [
                "kty": "RSA", "use": "sig", "kid": .string(kid),
                "n": .string(Self.base64URL(primitives.modulus)),
                "e": .string(Self.base64URL(primitives.publicExponent)),
            ]
            if declaresAlgorithm, case .object(var object) = jwk {
                object["alg"] = "RS256"
                jwk = .object(object)
            }
            let signer = JWTKeyCollection()
            await signer.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
            return Key(kid: kid, jwk: jwk, signer: signer)
        }

        /// A P-256 key (ES256).
        static func p256(_ kid: String) async throws -> Key {
            let key = ES256PrivateKey()
            let parameters = key.publicKey.parameters!
            let jwk: JSONValue = [
                "kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": .string(kid),
                "x": .string(parameters.x), "y": .string(parameters.y),
            ]
            let signer = JWTKeyCollection()
            await signer.add(ecdsa: key, kid: JWKIdentifier(string: kid))
            return Key(kid: kid, jwk: jwk, signer: signer)
        }

        /// A token with these claims, signed with this key and naming it in `kid`.
        func sign(_ claims: JSONValue) async throws -> String {
            try await signer.sign(Claims(value: claims), kid: JWKIdentifier(string: kid))
        }

        static func base64URL(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
    }

    /// Any JSON as a JWT payload.
    struct Claims: JWTPayload {
        var value: JSONValue
        init(value: JSONValue) { self.value = value }
        init(from decoder: any Decoder) throws { value = try JSONValue(from: decoder) }
        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    private let lock = NSLock()
    private var published: [JSONValue] = []
    private var down = false
    private var keySetRequests = 0
    private var server: LoopbackHTTPServer!

    /// The issuer: `http://127.0.0.1:<port>`.
    let issuer: String
    /// The audience tokens are issued for by default.
    let audience = "agentruntime"

    /// Starts the provider's server, publishing `keys`.
    init(publishing keys: [Key]) throws {
        let box = IssuerBox()
        let server = try LoopbackHTTPServer { request in box.provider?.answer(request) ?? .init(status: 500, body: "") }
        issuer = "http://127.0.0.1:\(server.port)"
        self.server = server
        published = keys.map(\.jwk)
        box.provider = self
    }

    deinit { server.stop() }

    /// Lists exactly these keys in the JWKS from now on (a key rotation).
    func publish(_ keys: [Key]) { lock.withLock { published = keys.map(\.jwk) } }

    /// Whether the provider answers 503 to everything (an outage).
    func setDown(_ isDown: Bool) { lock.withLock { down = isDown } }

    /// How many times the JWKS was fetched.
    var keySetFetches: Int { lock.withLock { keySetRequests } }

    /// Settings accepting this provider's tokens.
    func settings(
        tenantClaim: String = "tenant", rolesClaim: String = "roles", algorithms: [String] = ["RS256", "ES256"]
    ) -> OIDCSettings {
        OIDCSettings(
            issuer: issuer, audiences: [audience], tenantClaim: tenantClaim, rolesClaim: rolesClaim,
            algorithms: algorithms)
    }

    /// Claims a valid token carries at `now`: this issuer and audience, user `ada`, tenant `acme`, a role, ten
    /// minutes of validity; `changes` replace or add claims (a `null` removes one).
    func claims(now: Date, _ changes: [String: JSONValue] = [:]) -> JSONValue {
        var object = JSONObject([
            ("iss", .string(issuer)), ("aud", .string(audience)), ("sub", "ada"), ("tenant", "acme"),
            ("roles", ["tenant_admin"]), ("iat", .int(Int(now.timeIntervalSince1970))),
            ("nbf", .int(Int(now.timeIntervalSince1970))), ("exp", .int(Int(now.timeIntervalSince1970) + 600)),
        ])
        for (key, value) in changes { object[key] = value == .null ? nil : value }
        return .object(object)
    }

    /// A token assembled by hand (for headers no library would sign): base64url parts joined by dots.
    static func handmade(header: JSONValue, claims: JSONValue, signature: String = "") -> String {
        Key.base64URL(Data(header.serialized().utf8)) + "." + Key.base64URL(Data(claims.serialized().utf8)) + "."
            + signature
    }

    private func answer(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        let (isDown, keys) = lock.withLock {
            if request.path == "/jwks" { keySetRequests += 1 }
            return (down, published)
        }
        if isDown { return .init(status: 503, body: #"{"error": "down"}"#) }
        switch request.path {
        case "/.well-known/openid-configuration":
            let document: JSONValue = ["issuer": .string(issuer), "jwks_uri": .string(issuer + "/jwks")]
            return .init(body: document.serialized())
        case "/jwks":
            let keySet: JSONValue = ["keys": .array(keys)]
            return .init(body: keySet.serialized())
        default:
            return .init(status: 404, body: "{}")
        }
    }
}

/// Lets the server's handler reach the provider, which is created after the server.
private final class IssuerBox: @unchecked Sendable {
    private let lock = NSLock()
    private weak var _provider: TestIdentityProvider?
    var provider: TestIdentityProvider? {
        get { lock.withLock { _provider } }
        set { lock.withLock { _provider = newValue } }
    }
}
