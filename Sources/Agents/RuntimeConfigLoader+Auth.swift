import AgentRuntime
import Foundation

extension RuntimeConfigLoader {
    /// Every field of `auth`.
    public static let authAllowed = ["oidc", "service_token", "platform_token"]
    /// Every field of `auth.oidc`.
    public static let oidcAllowed = [
        "issuer", "audience", "jwks_url", "tenant_claim", "user_claim", "roles_claim", "leeway_seconds", "algorithms",
        "jwks_cache_seconds", "jwks_min_refresh_seconds",
    ]
}

extension DefinitionReader {
    /// `auth`: OIDC settings and references to the static service tokens.
    mutating func auth(_ node: JSONNode, at pointer: JSONPointer) -> AuthSettings? {
        guard
            let fields = object(
                node, at: pointer, what: "auth settings", allowed: RuntimeConfigLoader.authAllowed, required: [])
        else { return nil }
        var settings = AuthSettings()
        settings.serviceToken = tokenReference(fields, "service_token")
        settings.platformToken = tokenReference(fields, "platform_token")
        if let member = fields["oidc"] { settings.oidc = oidc(member.value, at: pointer.appending("oidc")) }
        if let service = settings.serviceToken, service == settings.platformToken, let member = fields["platform_token"]
        {
            error(
                .invalidValue,
                "\"platform_token\" and \"service_token\" name the same token (\(service)); a platform-level token must be a different secret",
                at: member.value.offset, pointer.appending("platform_token"))
            settings.platformToken = nil
        }
        return hasErrors(at: pointer) ? nil : settings
    }

    /// A reference to a token; never the token itself (a pasted value is not echoed).
    private mutating func tokenReference(_ fields: Fields, _ key: String) -> CredentialReference? {
        guard let text = string(fields, key), let member = fields[key] else { return nil }
        guard let reference = CredentialReference(parsing: text) else {
            error(
                .invalidFormat, "\"\(key)\" must be a reference (env:NAME or secret:path), never the token itself",
                at: member.value.offset, fields.pointer.appending(key))
            return nil
        }
        return reference
    }

    private mutating func oidc(_ node: JSONNode, at pointer: JSONPointer) -> OIDCSettings? {
        guard
            let fields = object(
                node, at: pointer, what: "OIDC settings", allowed: RuntimeConfigLoader.oidcAllowed,
                required: ["issuer", "audience"])
        else { return nil }
        let issuer = string(fields, "issuer")
        if let issuer, let member = fields["issuer"] { _ = providerURL(issuer, member, "issuer", at: pointer) }
        var audiences: [String] = []
        if let member = fields["audience"] {
            switch member.value.content {
            case .string(let text) where !text.isEmpty: audiences = [text]
            case .array:
                audiences = stringArray(fields, "audience")?.map(\.value).filter { !$0.isEmpty } ?? []
                if audiences.isEmpty {
                    error(
                        .emptyValue, "\"audience\" must name at least one audience", at: member.value.offset,
                        pointer.appending("audience"))
                }
            default:
                typeMismatch(
                    member.value, expected: "a string or an array of strings", at: pointer.appending("audience"),
                    what: "\"audience\"")
            }
        }
        var jwksURL: URL?
        if let text = string(fields, "jwks_url"), let member = fields["jwks_url"] {
            jwksURL = providerURL(text, member, "jwks_url", at: pointer)
        }
        var algorithms = ["RS256", "ES256"]
        if let listed = stringArray(fields, "algorithms"), let member = fields["algorithms"] {
            algorithms = []
            for item in listed {
                if OIDCSettings.supportedAlgorithms.contains(item.value) {
                    algorithms.append(item.value)
                    continue
                }
                let why =
                    item.value.lowercased() == "none"
                    ? "an unsigned token proves nothing"
                    : item.value.uppercased().hasPrefix("HS")
                        ? "HMAC needs a shared secret, and the issuer's key set holds public keys only"
                        : "supported: \(OIDCSettings.supportedAlgorithms.joined(separator: ", "))"
                            + NameSuggestion.didYouMean(item.value, in: OIDCSettings.supportedAlgorithms)
                error(
                    .invalidValue, "algorithm \"\(item.value)\" is not accepted (\(why))", at: item.offset, item.pointer
                )
            }
            if listed.isEmpty {
                error(
                    .emptyValue, "\"algorithms\" must name at least one algorithm", at: member.value.offset,
                    pointer.appending("algorithms"))
            }
        }
        let leeway = integer(fields, "leeway_seconds", range: 0...300) ?? 60
        let cache = integer(fields, "jwks_cache_seconds", range: 60...86_400) ?? 3600
        let refresh = integer(fields, "jwks_min_refresh_seconds", range: 1...3600) ?? 30
        guard let issuer, !audiences.isEmpty, !hasErrors(at: pointer) else { return nil }
        return OIDCSettings(
            issuer: issuer, audiences: audiences, jwksURL: jwksURL,
            tenantClaim: string(fields, "tenant_claim") ?? "tenant", userClaim: string(fields, "user_claim") ?? "sub",
            rolesClaim: string(fields, "roles_claim") ?? "roles", leeway: .seconds(leeway), algorithms: algorithms,
            jwksCacheDuration: .seconds(cache), jwksMinimumRefreshInterval: .seconds(refresh))
    }

    /// An identity provider's address: absolute https, or http on a loopback host (a local provider, tests).
    private mutating func providerURL(
        _ text: String, _ member: JSONMember, _ key: String, at pointer: JSONPointer
    ) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
            scheme == "https" || scheme == "http"
        else {
            error(
                .invalidFormat, "\"\(key)\" must be an absolute https URL, found \"\(text)\"", at: member.value.offset,
                pointer.appending(key))
            return nil
        }
        let loopback = ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased())
        guard scheme == "https" || loopback else {
            error(
                .invalidValue,
                "\"\(key)\" must use https (plain http only on a loopback host), found \"\(text)\"",
                at: member.value.offset, pointer.appending(key))
            return nil
        }
        return url
    }
}
