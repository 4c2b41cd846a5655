import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Clocks
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Signed caller identity: OIDC access tokens checked against a JWKS served from loopback, with keys generated here
/// and time on a test clock.
@Suite("Gateway: signed identity (OIDC access tokens)")
struct SignedIdentityTests {
    typealias F = GatewayFixture

    /// A gateway accepting `provider`'s tokens (and the fixture's service tokens), on `clock`.
    static func fixture(
        _ provider: TestIdentityProvider, clock: TestClock<Duration>, settings: OIDCSettings? = nil
    ) throws -> GatewayFixture {
        var configuration = GatewayConfiguration(
            serviceToken: F.token, platformToken: F.platformToken, eventPollInterval: .milliseconds(20))
        configuration.time = TimeSource(clock)
        configuration.accessTokens = AccessTokenVerifier(
            settings: settings ?? provider.settings(), transport: URLSessionTransport())
        return try F(configuration: configuration)
    }

    /// The status, error code and message of a request with `authorization` and `headers`.
    static func call(
        _ client: some TestClientProtocol, _ authorization: String?, headers: HTTPFields = [:],
        uri: String = "/v1/agents"
    ) async throws -> (status: HTTPResponse.Status, code: String?, message: String) {
        var fields = headers
        if let authorization { fields[.authorization] = authorization }
        return try await client.execute(uri: uri, method: .get, headers: fields) { response in
            let body = try F.json(response)
            return (
                response.status, body["error"]?["code"]?.stringValue, body["error"]?["message"]?.stringValue ?? ""
            )
        }
    }

    static let tenantHeader = HTTPField.Name("X-Tenant-ID")!
    static let userHeader = HTTPField.Name("X-User-ID")!
    static let rolesHeader = HTTPField.Name("X-User-Roles")!

    @Test("RS256 and ES256 tokens are accepted, with any case of Bearer; the caller comes from the claims only")
    func validTokens() async throws {
        let rsa = try await TestIdentityProvider.Key.rsa("rsa-1")
        let ec = try await TestIdentityProvider.Key.p256("ec-1")
        let provider = try TestIdentityProvider(publishing: [rsa, ec])
        let clock = TestClock()
        let fixture = try Self.fixture(provider, clock: clock)
        defer { fixture.directory.remove() }
        let now = fixture.services.configuration.time.now
        let rsaToken = try await rsa.sign(provider.claims(now: now))
        let ecToken = try await ec.sign(provider.claims(now: now))
        try await fixture.app.test(.router) { client in
            #expect(try await Self.call(client, "Bearer \(rsaToken)").status == .ok)
            #expect(try await Self.call(client, "bearer \(ecToken)").status == .ok)
            #expect(try await Self.call(client, "BEARER \(ecToken)").status == .ok)
            // Identity headers may repeat the claims…
            let agreeing: HTTPFields = [
                Self.tenantHeader: "acme", Self.userHeader: "ada", Self.rolesHeader: "tenant_admin",
            ]
            #expect(try await Self.call(client, "Bearer \(rsaToken)", headers: agreeing).status == .ok)
            // …but never override them.
            for (name, value, fragment) in [
                (Self.tenantHeader, "globex", "differs from the access token's tenant"),
                (Self.userHeader, "grace", "differs from the access token's user"),
                (
                    Self.rolesHeader, "tenant_admin,platform_admin",
                    "platform_admin, which the access token does not grant"
                ),
            ] {
                let result = try await Self.call(client, "Bearer \(rsaToken)", headers: [name: value])
                #expect(result.status == .forbidden)
                #expect(result.message.contains(fragment), "\(result.message)")
            }
            // The tenant must exist.
            let stranger = try await rsa.sign(provider.claims(now: now, ["tenant": "initech"]))
            let unknown = try await Self.call(client, "Bearer \(stranger)")
            #expect(unknown.status == .forbidden)
            #expect(unknown.message == "unknown tenant \"initech\"")
            // A tenant_user token cannot reach a platform route; a platform_admin token can.
            let user = try await rsa.sign(provider.claims(now: now, ["roles": ["tenant_user"]]))
            let admin = try await ec.sign(provider.claims(now: now, ["roles": ["platform_admin"]]))
            let body = F.body(["name": "x"])
            try await client.execute(
                uri: "/v1/agents/seo-specialist", method: .put, headers: [.authorization: "Bearer \(user)"], body: body
            ) { #expect($0.status == .forbidden) }
            try await client.execute(
                uri: "/v1/agents/seo-specialist", method: .put, headers: [.authorization: "Bearer \(admin)"], body: body
            ) { #expect($0.status != .forbidden && $0.status != .unauthorized) }
        }
        #expect(provider.keySetFetches == 1)
    }

    @Test("forged and downgraded tokens are refused with 401 and a reason, never echoing the token")
    func forgedTokens() async throws {
        let rsa = try await TestIdentityProvider.Key.rsa("rsa-1")
        let ec = try await TestIdentityProvider.Key.p256("ec-1")
        let provider = try TestIdentityProvider(publishing: [rsa, ec])
        let fixture = try Self.fixture(provider, clock: TestClock())
        defer { fixture.directory.remove() }
        let now = fixture.services.configuration.time.now
        let claims = provider.claims(now: now)
        // Another key that claims to be rsa-1.
        let impostor = try await TestIdentityProvider.Key.rsa("rsa-1")
        let valid = try await rsa.sign(claims)
        let parts = valid.split(separator: ".").map(String.init)
        let raised = TestIdentityProvider.handmade(
            header: ["alg": "RS256", "kid": "rsa-1"], claims: provider.claims(now: now, ["roles": ["super_admin"]])
        ).split(separator: ".").map(String.init)
        let cases: [(String, String)] = [
            (try await impostor.sign(claims), "the signature does not match key \"rsa-1\" of \(provider.issuer)/jwks"),
            // The claims changed under a valid signature.
            (raised[0] + "." + raised[1] + "." + parts[2], "the signature does not match"),
            (
                TestIdentityProvider.handmade(header: ["alg": "none", "kid": "rsa-1"], claims: claims),
                #"algorithm "none" is not accepted"#
            ),
            (
                TestIdentityProvider.handmade(
                    header: ["alg": "HS256", "kid": "rsa-1"], claims: claims, signature: "c2ln"),
                #"algorithm "HS256" is not accepted (accepted: RS256, ES256)"#
            ),
            (
                TestIdentityProvider.handmade(
                    header: ["alg": "RS256", "kid": "ec-1"], claims: claims, signature: parts[2]),
                #"the token is signed with RS256, but key "ec-1" is for ES256"#
            ),
            ("e30.e30.c2ln", "the access token's header names no algorithm"),
            ("not-json.e30.c2ln", "not a well-formed JWT"),
        ]
        try await fixture.app.test(.router) { client in
            for (token, fragment) in cases {
                let result = try await Self.call(client, "Bearer \(token)")
                #expect(result.status == .unauthorized)
                #expect(result.code == "UNAUTHORIZED")
                #expect(result.message.contains(fragment), "\(result.message)")
                #expect(!result.message.contains(token))
            }
        }
    }

    @Test("an unknown kid fetches the keys again (a rotation), at most once per interval")
    func keyRotation() async throws {
        let first = try await TestIdentityProvider.Key.rsa("rsa-1")
        let second = try await TestIdentityProvider.Key.p256("ec-2")
        let provider = try TestIdentityProvider(publishing: [first])
        let clock = TestClock()
        let fixture = try Self.fixture(provider, clock: clock)
        defer { fixture.directory.remove() }
        let time = fixture.services.configuration.time
        try await fixture.app.test(.router) { client in
            #expect(
                try await Self.call(client, "Bearer \(try await first.sign(provider.claims(now: time.now)))").status
                    == .ok)
            #expect(provider.keySetFetches == 1)
            // The provider rotates; the keys were fetched just now, so the new kid waits for the interval.
            provider.publish([first, second])
            let early = try await Self.call(client, "Bearer \(try await second.sign(provider.claims(now: time.now)))")
            #expect(early.status == .unauthorized)
            #expect(early.message == "key \"ec-2\" is not among the signing keys of \(provider.issuer)/jwks")
            #expect(provider.keySetFetches == 1)
            await clock.advance(by: .seconds(30))
            #expect(
                try await Self.call(client, "Bearer \(try await second.sign(provider.claims(now: time.now)))").status
                    == .ok)
            #expect(provider.keySetFetches == 2)
            // Made-up key ids cost one fetch per interval, however many arrive.
            await clock.advance(by: .seconds(30))
            for index in 0..<20 {
                let made = TestIdentityProvider.handmade(
                    header: ["alg": "RS256", "kid": .string("made-up-\(index)")],
                    claims: provider.claims(now: time.now),
                    signature: "c2ln")
                #expect(try await Self.call(client, "Bearer \(made)").status == .unauthorized)
            }
            #expect(provider.keySetFetches == 3)
            // Both keys still work.
            #expect(
                try await Self.call(client, "Bearer \(try await first.sign(provider.claims(now: time.now)))").status
                    == .ok)
            #expect(
                try await Self.call(client, "Bearer \(try await second.sign(provider.claims(now: time.now)))").status
                    == .ok)
        }
    }

    @Test("an outage of the provider: 503 until keys are fetched, then cached keys keep working")
    func providerOutage() async throws {
        let key = try await TestIdentityProvider.Key.rsa("rsa-1")
        let provider = try TestIdentityProvider(publishing: [key])
        provider.setDown(true)
        let clock = TestClock()
        let fixture = try Self.fixture(provider, clock: clock)
        defer { fixture.directory.remove() }
        let time = fixture.services.configuration.time
        try await fixture.app.test(.router) { client in
            let down = try await Self.call(client, "Bearer \(try await key.sign(provider.claims(now: time.now)))")
            #expect(down.status == .serviceUnavailable)
            #expect(
                down.message.contains("the signing keys of \(provider.issuer) could not be fetched"), "\(down.message)")
            provider.setDown(false)
            await clock.advance(by: .seconds(30))
            #expect(
                try await Self.call(client, "Bearer \(try await key.sign(provider.claims(now: time.now)))").status
                    == .ok)
            // Down again, past the cache duration: the cached key still verifies.
            provider.setDown(true)
            await clock.advance(by: .seconds(3700))
            #expect(
                try await Self.call(client, "Bearer \(try await key.sign(provider.claims(now: time.now)))").status
                    == .ok)
            // A key the cache lacks cannot be checked while the provider is down.
            await clock.advance(by: .seconds(30))
            let other = try await TestIdentityProvider.Key.rsa("rsa-2")
            let unknown = try await Self.call(client, "Bearer \(try await other.sign(provider.claims(now: time.now)))")
            #expect(unknown.status == .serviceUnavailable)
            #expect(unknown.code == "UNAVAILABLE")
        }
    }

    @Test("exp and nbf within the leeway; iss, aud, tenant and user claims checked")
    func claims() async throws {
        let key = try await TestIdentityProvider.Key.p256("ec-1")
        let provider = try TestIdentityProvider(publishing: [key])
        let fixture = try Self.fixture(provider, clock: TestClock())
        defer { fixture.directory.remove() }
        let now = fixture.services.configuration.time.now
        let epoch = Int(now.timeIntervalSince1970)
        let cases: [([String: JSONValue], HTTPResponse.Status, String)] = [
            (["exp": .int(epoch - 59)], .ok, ""),
            (["exp": .int(epoch - 61)], .unauthorized, "the access token expired at 2027-01-15T07:58:59Z"),
            (["exp": .null], .unauthorized, "the access token has no expiry (exp)"),
            (["nbf": .int(epoch + 59)], .ok, ""),
            (["nbf": .int(epoch + 120)], .unauthorized, "the access token is not valid before 2027-01-15T08:02:00Z"),
            (
                ["iss": "https://evil.example"], .unauthorized,
                #"issuer "https://evil.example" is not accepted (expected "\#(provider.issuer)")"#
            ),
            (
                ["aud": "another-app"], .unauthorized,
                #"audience "another-app" is not accepted (expected "agentruntime")"#
            ),
            (["aud": ["another-app", "agentruntime"]], .ok, ""),
            (["tenant": .null], .unauthorized, #"the access token names no tenant (claim "tenant")"#),
            (["sub": .null], .unauthorized, #"the access token names no user (claim "sub")"#),
            (["roles": ["janitor"]], .forbidden, #"the access token grants no role of this service (claim "roles""#),
        ]
        try await fixture.app.test(.router) { client in
            for (changes, status, message) in cases {
                let result = try await Self.call(
                    client, "Bearer \(try await key.sign(provider.claims(now: now, changes)))")
                #expect(result.status == status, "\(changes)")
                if !message.isEmpty { #expect(result.message.hasPrefix(message), "\(result.message)") }
            }
        }
    }

    @Test("roles as an array, a string or Zitadel's object; tenant by claim name or dotted path; unknown roles ignored")
    func claimShapes() async throws {
        let key = try await TestIdentityProvider.Key.rsa("rsa-1", declaresAlgorithm: false)
        let provider = try TestIdentityProvider(publishing: [key])
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func principal(_ settings: OIDCSettings, _ changes: [String: JSONValue]) async throws -> Principal {
            let verifier = AccessTokenVerifier(settings: settings, transport: URLSessionTransport())
            return try await verifier.verify(try await key.sign(provider.claims(now: now, changes)), at: now)
        }
        let plain = provider.settings()
        #expect(
            try await principal(plain, ["roles": ["tenant_user", "janitor"]])
                == Principal(tenant: "acme", user: "ada", roles: [.tenantUser]))
        #expect(try await principal(plain, ["roles": "tenant_user tenant_admin"]).roles == [.tenantUser, .tenantAdmin])
        #expect(
            try await principal(plain, ["roles": "tenant_user,platform_admin"]).roles == [.tenantUser, .platformAdmin])
        let zitadel = provider.settings(
            tenantClaim: "urn:zitadel:iam:org:id", rolesClaim: "urn:zitadel:iam:org:project:roles")
        #expect(
            try await principal(
                zitadel,
                [
                    "urn:zitadel:iam:org:id": "278201934",
                    "urn:zitadel:iam:org:project:roles": [
                        "tenant_user": ["278201934": "acme.zitadel.cloud"],
                        "viewer": ["278201934": "acme.zitadel.cloud"],
                    ],
                ]) == Principal(tenant: "278201934", user: "ada", roles: [.tenantUser]))
        let nested = provider.settings(tenantClaim: "org.tenant", rolesClaim: "realm_access.roles")
        #expect(
            try await principal(nested, ["org": ["tenant": "globex"], "realm_access": ["roles": ["tenant_user"]]])
                == Principal(tenant: "globex", user: "ada", roles: [.tenantUser]))
        // A key without "alg" takes the token's algorithm only if it fits the key's type.
        let verifier = AccessTokenVerifier(settings: plain, transport: URLSessionTransport())
        let misfit = TestIdentityProvider.handmade(
            header: ["alg": "ES256", "kid": "rsa-1"], claims: provider.claims(now: now), signature: "c2ln")
        do {
            _ = try await verifier.verify(misfit, at: now)
            Issue.record("a token signed with ES256 was accepted for an RSA key")
        } catch {
            #expect(error.code == .unauthorized)
            #expect(error.message == #"the token is signed with ES256, but key "rsa-1" is an RSA key"#)
        }
    }
}
