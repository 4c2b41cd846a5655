import AgentRuntime
import Foundation

/// OAuth 2 connections that stay connected.
///
/// A tenant's connector settings name, as secret references, a `refresh_token`, a `client_id` and a `client_secret`
/// (and optionally an `access_token` to start with). The access token is then cached per tenant and connector
/// (``OAuthTokenCache``), refreshed through the provider's token endpoint (`grant_type=refresh_token`, or the
/// `token_url` setting) when it is expired or about to expire, and once more when the service answers 401, after
/// which the call is tried again once. When the secret store is writable (``WritableSecretStore``), the new access
/// token, its expiry and a rotated refresh token are written back. Without a `refresh_token`, the `access_token`
/// secret is sent as it is, as before.
extension ConnectorClient {
    /// The code of the error given when the provider refuses a refresh: the connector must be authorized again.
    public static let reconnectRequired = "connector_reconnect_required"

    /// The access token a call sends, and whether it can be refreshed.
    public struct AccessToken: Sendable {
        /// The token.
        public var value: String
        /// Whether it comes from a refresh token (so a 401 is worth a refresh).
        public var isRefreshable: Bool
        /// The secrets of the connection, masked in whatever the service answers.
        var secrets: [String]
    }

    /// The access token of `configuration`: with a `refresh_token` secret, the cached one, refreshed through
    /// `tokenURL` (or the `token_url` setting) when it is expired, about to expire or `rejected`; else the
    /// `access_token` secret.
    public func accessToken(
        _ configuration: ConnectorSettings, tokenURL standard: String, context: ToolContext, rejected: String? = nil
    ) async throws -> AccessToken {
        guard let refreshPath = configuration.secrets["refresh_token"] else {
            let token = try await secret("access_token", of: configuration, context: context)
            return AccessToken(value: token, isRefreshable: false, secrets: [token])
        }
        let endpoint = try tokenEndpoint(configuration, standard: standard)
        let key = OAuthTokenCache.Key(tenant: context.principal.tenant, connector: configuration.connector)
        let paths = OAuthPaths(configuration: configuration, refreshToken: refreshPath)
        let token = try await tokens.token(for: key, now: time.now, rejected: rejected) { previous in
            if previous == nil, rejected == nil,
                let stored = try await storedToken(configuration, paths: paths, context: context),
                await tokens.isFresh(stored, at: time.now)
            {
                return stored
            }
            return try await refresh(
                configuration, endpoint: endpoint, paths: paths, refreshToken: previous?.refreshToken,
                context: context)
        }
        await context.registerSecret(token.accessToken)
        if let refreshToken = token.refreshToken { await context.registerSecret(refreshToken) }
        return AccessToken(
            value: token.accessToken, isRefreshable: true,
            secrets: [token.accessToken] + (token.refreshToken.map { [$0] } ?? []))
    }

    /// Sends the request `build` makes with the access token (``accessToken(_:tokenURL:context:rejected:)``); when
    /// the service answers 401 and the token can be refreshed, refreshes it and sends once more.
    public func sendAuthorized(
        _ configuration: ConnectorSettings, tokenURL: String, context: ToolContext,
        describeError: (JSONValue) -> String? = ConnectorClient.defaultErrorMessage,
        _ build: (_ accessToken: String) throws -> HTTPRequest
    ) async throws -> Response {
        let connector = configuration.connector
        let token = try await accessToken(configuration, tokenURL: tokenURL, context: context)
        let response = try await exchange(
            try build(token.value), connector: connector, secrets: token.secrets, describeError: describeError,
            returning: { token.isRefreshable && $0 == 401 })
        guard response.status == 401 else { return response }
        let fresh = try await accessToken(configuration, tokenURL: tokenURL, context: context, rejected: token.value)
        return try await send(
            try build(fresh.value), connector: connector, secrets: fresh.secrets, describeError: describeError)
    }

    /// The token endpoint: the `token_url` setting, else `standard`.
    func tokenEndpoint(_ configuration: ConnectorSettings, standard: String) throws -> URL {
        let text = configuration.settings["token_url"].flatMap { $0.isEmpty ? nil : $0 } ?? standard
        guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil else {
            throw ToolError("\(configuration.connector) has an invalid token_url setting")
        }
        return url
    }

    /// The access token and expiry kept in the secret store by an earlier refresh (or put there by an
    /// administrator); nil when there is none.
    private func storedToken(
        _ configuration: ConnectorSettings, paths: OAuthPaths, context: ToolContext
    ) async throws -> OAuthTokenCache.Token? {
        guard let store = context.secrets,
            let token = try await optionalSecret(paths.accessToken, of: configuration, store: store, context: context),
            !token.isEmpty
        else { return nil }
        let expiry = try await optionalSecret(paths.expiry, of: configuration, store: store, context: context)
        return OAuthTokenCache.Token(
            accessToken: token, expiresAt: expiry.flatMap(Double.init).map { Date(timeIntervalSince1970: $0) })
    }

    private func optionalSecret(
        _ path: String, of configuration: ConnectorSettings, store: any SecretStore, context: ToolContext
    ) async throws -> String? {
        do {
            return try await store.secret(path, scope: .tenant(context.principal.tenant))
        } catch let error as SecretStoreError {
            throw ToolError(
                "the \(configuration.connector) credential at \(error.reference) could not be read: \(error.kind.rawValue)",
                isTransient: error.kind == .unavailable)
        }
    }

    /// Obtains a new access token with the refresh token (`refreshToken`, else the secret store's), and writes it
    /// back when the store is writable.
    private func refresh(
        _ configuration: ConnectorSettings, endpoint: URL, paths: OAuthPaths, refreshToken: String?,
        context: ToolContext
    ) async throws -> OAuthTokenCache.Token {
        let connector = configuration.connector
        let current: String
        if let refreshToken {
            current = refreshToken
        } else {
            current = try await secret("refresh_token", of: configuration, context: context)
        }
        let clientID =
            configuration.secrets["client_id"] != nil
            ? try await secret("client_id", of: configuration, context: context)
            : try setting("client_id", of: configuration)
        let clientSecret = try await secret("client_secret", of: configuration, context: context)
        let request = HTTPRequest(
            method: "POST", url: endpoint,
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
            body: Self.formBody([
                ("grant_type", "refresh_token"), ("refresh_token", current), ("client_id", clientID),
                ("client_secret", clientSecret),
            ]))
        let secrets = [current, clientSecret]
        let response = try await exchange(
            request, connector: "\(connector) token endpoint", secrets: secrets,
            describeError: Self.describeTokenError, returning: { (400..<500).contains($0) && $0 != 429 })
        let json = response.json
        guard (200..<300).contains(response.status), let accessToken = json["access_token"]?.stringValue,
            !accessToken.isEmpty
        else {
            throw Self.refusal(json, status: response.status, connector: connector, context: context)
        }
        let lifetime = json["expires_in"]?.doubleValue ?? json["expires_in"]?.stringValue.flatMap(Double.init)
        let now = time.now
        let token = OAuthTokenCache.Token(
            accessToken: accessToken, expiresAt: lifetime.map { now.addingTimeInterval($0) },
            refreshToken: json["refresh_token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? refreshToken)
        await writeBack(token, rotated: token.refreshToken != current, paths: paths, context: context)
        return token
    }

    /// Keeps the new token (and a rotated refresh token) in the secret store when it is writable. A failed write is
    /// not the call's failure: the token is cached in memory all the same.
    private func writeBack(
        _ token: OAuthTokenCache.Token, rotated: Bool, paths: OAuthPaths, context: ToolContext
    )
        async
    {
        guard let store = context.secrets as? any WritableSecretStore else { return }
        let scope = SecretScope.tenant(context.principal.tenant)
        if rotated, let refreshToken = token.refreshToken {
            try? await store.setSecret(refreshToken, at: paths.refreshToken, scope: scope)
        }
        try? await store.setSecret(token.accessToken, at: paths.accessToken, scope: scope)
        if let expiry = token.expiresAt {
            try? await store.setSecret(String(Int(expiry.timeIntervalSince1970)), at: paths.expiry, scope: scope)
        }
    }

    /// The error for a token endpoint's answer without an access token: a refusal (`invalid_grant`, Zoho's
    /// `invalid_code` with HTTP 200, HubSpot's `BAD_REFRESH_TOKEN`) asks for the connector to be reconnected; a
    /// rate limit (Zoho's `Access Denied` "too many requests") is transient.
    static func refusal(_ json: JSONValue, status: Int, connector: String, context: ToolContext) -> ToolError {
        let (code, description) = tokenError(json)
        let reason = describeTokenError(json) ?? "HTTP \(status)"
        if description?.lowercased().contains("too many requests") == true {
            return ToolError(
                "\(connector) token endpoint is rate limited; try again later (\(reason))", isTransient: true)
        }
        if code == nil, (200..<300).contains(status) {
            return ToolError("\(connector) token endpoint answered without an access token (HTTP \(status))")
        }
        return ToolError(
            "\(connector) must be reconnected for tenant \(context.principal.tenant): the provider refused to refresh "
                + "its access (\(reason)). An administrator needs to authorize \(connector) again and store the new "
                + "refresh token.",
            code: reconnectRequired)
    }

    /// An OAuth error body: `error` and `error_description` (RFC 6749), or HubSpot's `status` and `message`.
    static func describeTokenError(_ json: JSONValue) -> String? {
        let (code, description) = tokenError(json)
        let detail = [code, description].compactMap { $0 }.joined(separator: ": ")
        return detail.isEmpty ? nil : detail
    }

    /// The error code and description of an OAuth error body.
    private static func tokenError(_ json: JSONValue) -> (code: String?, description: String?) {
        (
            json["error"]?.stringValue ?? json["status"]?.stringValue,
            json["error_description"]?.stringValue ?? json["message"]?.stringValue
        )
    }
}

/// A tenant's connection to a service that takes an OAuth access token in `Authorization: <scheme> <token>`.
struct OAuthConnection: Sendable {
    /// The service's base URL.
    var base: URL
    /// The tenant's settings of the connector.
    var configuration: ConnectorSettings
    /// The provider's token endpoint (the `token_url` setting replaces it).
    var tokenURL: String
    /// `Bearer`, `Zoho-oauthtoken`.
    var scheme: String
    /// Extracts the service's message from an error body.
    var describeError: @Sendable (JSONValue) -> String?

    /// Sends a JSON request with the tenant's token, refreshed when needed (see
    /// ``ConnectorClient/sendAuthorized(_:tokenURL:context:describeError:_:)``).
    func send(
        _ client: ConnectorClient, _ context: ToolContext, _ method: String, _ url: URL, body: JSONValue? = nil
    ) async throws -> ConnectorClient.Response {
        try await client.sendAuthorized(
            configuration, tokenURL: tokenURL, context: context, describeError: describeError
        ) { token in
            ConnectorClient.jsonRequest(
                method, url, authentication: ("Authorization", "\(scheme) \(token)"), body: body)
        }
    }
}

/// Where an OAuth connection's secrets live in the tenant's scope.
struct OAuthPaths: Sendable {
    /// The refresh token's reference.
    var refreshToken: String
    /// The access token's: the `access_token` reference, else `access_token` beside the refresh token.
    var accessToken: String
    /// The access token's expiry (seconds since 1970): `access_token_expires_at` beside the access token.
    var expiry: String

    init(configuration: ConnectorSettings, refreshToken: String) {
        self.refreshToken = refreshToken
        accessToken = configuration.secrets["access_token"] ?? Self.sibling(of: refreshToken, named: "access_token")
        expiry = Self.sibling(of: accessToken, named: "access_token_expires_at")
    }

    /// `name` in the same folder as `path` (`ga/refresh_token` → `ga/<name>`).
    static func sibling(of path: String, named name: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return name }
        return path[...slash] + name
    }
}
