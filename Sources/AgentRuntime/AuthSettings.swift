import Foundation

/// How `serve` knows who is calling (`auth` in `agentruntime.json`): signed access tokens from an OIDC identity
/// provider, static service tokens for trusted internal callers, or both.
///
/// Tokens are never written in the file, only references to them (`env:NAME`, `secret:path`).
public struct AuthSettings: Sendable, Equatable {
    /// Signed access tokens (JWTs) from an OIDC issuer; nil: none accepted.
    public var oidc: OIDCSettings?
    /// Where the static service token comes from (`service_token`); `--token-ref` overrides it.
    public var serviceToken: CredentialReference?
    /// Where the platform-level service token comes from (`platform_token`): a caller presenting it may name
    /// platform roles in `X-User-Roles`; `--platform-token-ref` overrides it.
    public var platformToken: CredentialReference?

    /// Creates settings.
    public init(
        oidc: OIDCSettings? = nil, serviceToken: CredentialReference? = nil, platformToken: CredentialReference? = nil
    ) {
        self.oidc = oidc
        self.serviceToken = serviceToken
        self.platformToken = platformToken
    }
}

/// What makes an OIDC access token acceptable, and which claims carry the caller's tenant, user and roles.
public struct OIDCSettings: Sendable, Equatable {
    /// The signature algorithms accepted: asymmetric only (a JWKS holds public keys, so `none` and `HS*` never are).
    public static let supportedAlgorithms = [
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
    ]

    /// The `iss` every token must carry, exactly as the provider writes it (its discovery document's `issuer`).
    public var issuer: String
    /// The accepted `aud` values; a token must name at least one.
    public var audiences: [String]
    /// Where the signing keys are; nil: the `jwks_uri` of `<issuer>/.well-known/openid-configuration`.
    public var jwksURL: URL?
    /// The claim naming the caller's tenant: a top-level name, or a dotted path into nested objects.
    public var tenantClaim: String
    /// The claim naming the user.
    public var userClaim: String
    /// The claim listing roles: an array of names, a string of names separated by spaces or commas, or an object
    /// whose keys are the names (Zitadel's `urn:zitadel:iam:org:project:roles`).
    public var rolesClaim: String
    /// How far `exp` and `nbf` may be off (clock skew between the provider and this service).
    public var leeway: Duration
    /// The accepted `alg` values, a subset of ``supportedAlgorithms``.
    public var algorithms: [String]
    /// How long fetched keys are used before they are fetched again.
    public var jwksCacheDuration: Duration
    /// The shortest time between two fetches of the keys: a token with an unknown `kid` fetches them again at most
    /// this often, so made-up key ids cannot make the service hammer the provider.
    public var jwksMinimumRefreshInterval: Duration

    /// Creates settings.
    public init(
        issuer: String, audiences: [String], jwksURL: URL? = nil, tenantClaim: String = "tenant",
        userClaim: String = "sub", rolesClaim: String = "roles", leeway: Duration = .seconds(60),
        algorithms: [String] = ["RS256", "ES256"], jwksCacheDuration: Duration = .seconds(3600),
        jwksMinimumRefreshInterval: Duration = .seconds(30)
    ) {
        self.issuer = issuer
        self.audiences = audiences
        self.jwksURL = jwksURL
        self.tenantClaim = tenantClaim
        self.userClaim = userClaim
        self.rolesClaim = rolesClaim
        self.leeway = leeway
        self.algorithms = algorithms
        self.jwksCacheDuration = jwksCacheDuration
        self.jwksMinimumRefreshInterval = jwksMinimumRefreshInterval
    }

    /// The discovery document's address: `<issuer>/.well-known/openid-configuration` (Authentik and Zitadel both
    /// serve it there; the issuer's trailing slash is not doubled).
    public var discoveryURL: URL? {
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        return URL(string: base + "/.well-known/openid-configuration")
    }
}
