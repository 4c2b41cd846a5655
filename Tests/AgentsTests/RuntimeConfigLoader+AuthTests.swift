import AgentRuntime
import Agents
import Foundation
import Testing

@Suite("Runtime config file: auth")
struct RuntimeConfigAuthTests {
    private func decode(_ text: String) -> (RuntimeConfig, [Diagnostic]) {
        RuntimeConfigLoader.decode(Array(text.utf8), displayPath: "agentruntime.json", base: .fromEnvironment([:]))
    }

    @Test("OIDC settings and token references load; defaults fill the rest")
    func loads() throws {
        let (config, diagnostics) = decode(
            """
            {"auth": {
              "oidc": {"issuer": "https://id.example.com/application/o/agentruntime/", "audience": ["agentruntime", "cli"],
                       "tenant_claim": "urn:zitadel:iam:org:id", "roles_claim": "urn:zitadel:iam:org:project:roles",
                       "leeway_seconds": 30, "algorithms": ["RS256", "ES256", "PS256"]},
              "service_token": "env:INTERNAL_TOKEN", "platform_token": "secret:agentruntime/platform_token"}}
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.formatted))")
        let oidc = try #require(config.auth.oidc)
        #expect(oidc.issuer == "https://id.example.com/application/o/agentruntime/")
        #expect(oidc.audiences == ["agentruntime", "cli"])
        #expect(oidc.tenantClaim == "urn:zitadel:iam:org:id")
        #expect(oidc.userClaim == "sub")
        #expect(oidc.leeway == .seconds(30))
        #expect(oidc.algorithms == ["RS256", "ES256", "PS256"])
        #expect(oidc.jwksURL == nil)
        #expect(
            oidc.discoveryURL?.absoluteString
                == "https://id.example.com/application/o/agentruntime/.well-known/openid-configuration")
        #expect(config.auth.serviceToken == .environment("INTERNAL_TOKEN"))
        #expect(config.auth.platformToken == .secret("agentruntime/platform_token"))
        let single = decode(#"{"auth": {"oidc": {"issuer": "http://127.0.0.1:9000", "audience": "api"}}}"#)
        #expect(single.1.isEmpty)
        #expect(single.0.auth.oidc?.audiences == ["api"])
        #expect(single.0.auth.oidc?.algorithms == ["RS256", "ES256"])
    }

    @Test("every mistake in auth is located; a pasted token is not echoed")
    func mistakes() {
        let (config, diagnostics) = decode(
            """
            {"auth": {
              "oidc": {"issuer": "http://id.example.com", "audiense": "x",
                       "algorithms": ["HS256", "none", "RS265"], "leeway_seconds": 3600},
              "service_token": "s3cr3t-pasted-token", "platform_tokn": "env:P"}}
            """)
        #expect(config.auth.oidc == nil)
        let messages = diagnostics.map(\.formatted).joined(separator: "\n")
        for expected in [
            #"unknown field "audiense" in OIDC settings; did you mean "audience"? [/auth/oidc/audiense]"#,
            #"missing required field "audience" in OIDC settings [/auth/oidc/audience]"#,
            #""issuer" must use https (plain http only on a loopback host), found "http://id.example.com" [/auth/oidc/issuer]"#,
            #"algorithm "HS256" is not accepted (HMAC needs a shared secret, and the issuer's key set holds public keys only) [/auth/oidc/algorithms/0]"#,
            #"algorithm "none" is not accepted (an unsigned token proves nothing) [/auth/oidc/algorithms/1]"#,
            #"algorithm "RS265" is not accepted (supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA; did you mean "RS256"?) [/auth/oidc/algorithms/2]"#,
            #""leeway_seconds" is 3600, outside the allowed range 0–300 [/auth/oidc/leeway_seconds]"#,
            #""service_token" must be a reference (env:NAME or secret:path), never the token itself [/auth/service_token]"#,
            #"unknown field "platform_tokn" in auth settings; did you mean "platform_token"? [/auth/platform_tokn]"#,
        ] {
            #expect(messages.contains(expected), "\(expected)\n---\n\(messages)")
        }
        #expect(diagnostics.allSatisfy { $0.line >= 2 && $0.severity == .error })
        #expect(!messages.contains("s3cr3t"))
        let same = decode(#"{"auth": {"service_token": "env:A", "platform_token": "env:A"}}"#).1
        #expect(same.map(\.pointer) == ["/auth/platform_token"])
    }
}
