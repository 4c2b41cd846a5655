import AgentRuntime
import Foundation

/// What every connector operation shares: the tenant's settings and secrets,
/// HTTP through the transport port, and turning service errors and rate-limit
/// signals into tool errors the model can read. Secrets never appear in errors.
public struct ConnectorClient: Sendable {
    /// The transport. Tenants choose where connectors connect (`site_url`, `base_url`, `shop_domain`), so in a
    /// deployment this is ``RedirectingTransport/guarded(_:egress:resolver:maxRedirects:)``: the egress policy
    /// checks every hop.
    public let transport: any HTTPTransport
    /// Tenants' connector settings.
    public let settings: any ConnectorSettingsSource
    /// The longest `Retry-After` waited for once before giving up with a transient error.
    public var maxRateLimitWait: Duration
    /// The deadline of one HTTP exchange.
    public var timeout: Duration
    /// Where OAuth token expiry reads the time.
    public var time: TimeSource
    /// OAuth access tokens per tenant and connector, shared by every copy of the client.
    public let tokens: OAuthTokenCache

    /// Creates a client.
    public init(
        transport: any HTTPTransport, settings: any ConnectorSettingsSource, maxRateLimitWait: Duration = .seconds(10),
        timeout: Duration = .seconds(60), time: TimeSource = .system, tokens: OAuthTokenCache = OAuthTokenCache()
    ) {
        self.transport = transport
        self.settings = settings
        self.maxRateLimitWait = maxRateLimitWait
        self.timeout = timeout
        self.time = time
        self.tokens = tokens
    }

    /// The calling tenant's settings for `connector`; a readable error when it is not connected.
    public func configuration(_ connector: String, context: ToolContext) async throws -> ConnectorSettings {
        guard let settings = await settings.settings(for: connector, tenant: context.principal.tenant) else {
            throw ToolError("\(connector) is not connected for this tenant")
        }
        return settings
    }

    /// A required non-secret setting.
    public func setting(_ name: String, of configuration: ConnectorSettings) throws -> String {
        guard let value = configuration.settings[name], !value.isEmpty else {
            throw ToolError(
                "\(configuration.connector) is missing the setting \"\(name)\"; ask an administrator to complete the connection"
            )
        }
        return value
    }

    /// A secret of the connection, read in the calling tenant's scope only.
    public func secret(_ name: String, of configuration: ConnectorSettings, context: ToolContext) async throws -> String
    {
        guard let path = configuration.secrets[name] else {
            throw ToolError("\(configuration.connector) has no \"\(name)\" credential configured")
        }
        guard let store = context.secrets else {
            throw ToolError("no secret store is configured for \(configuration.connector)")
        }
        do {
            guard let value = try await store.secret(path, scope: .tenant(context.principal.tenant)) else {
                let location = store.location(of: path, scope: .tenant(context.principal.tenant)).map { ", \($0)" }
                throw ToolError(
                    "the \(configuration.connector) credential \"\(name)\" (tenants/\(context.principal.tenant)/\(path)\(location ?? "")) is not set"
                )
            }
            return value
        } catch let error as SecretStoreError {
            throw ToolError(
                "the \(configuration.connector) credential \"\(name)\" could not be read: \(error.kind.rawValue) (\(error.reference))",
                isTransient: error.kind == .unavailable)
        }
    }

    /// The URL a connector's requests are built on: the service's versioned API path (`apiPath`: `/v1` for Stripe,
    /// `/api` for Slack, ...) under the `base_url` setting when present (a proxy, a self-hosted service, tests), else
    /// under `standard`, the service's own origin (`https://api.stripe.com`, a WordPress `site_url`).
    ///
    /// `base_url` means the same for every connector: it replaces the scheme, host and port (and `standard`'s path,
    /// such as a WordPress site's), any path it has itself is kept as a prefix, and `apiPath` always follows. With
    /// `apiPath` `/v1`, `http://127.0.0.1:8080` gives `http://127.0.0.1:8080/v1` and `https://proxy.example/stripe/`
    /// gives `https://proxy.example/stripe/v1`. `standard` is evaluated only when there is no `base_url`.
    public func baseURL(
        _ configuration: ConnectorSettings, standard: @autoclosure () throws -> String, apiPath: String = ""
    ) throws -> URL {
        let text = try configuration.settings["base_url"] ?? standard()
        guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil,
            var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        else {
            throw ToolError("\(configuration.connector) has an invalid base URL setting")
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        let api = apiPath.split(separator: "/").joined(separator: "/")
        components.percentEncodedPath = api.isEmpty ? path : "\(path)/\(api)"
        guard let root = components.url else {
            throw ToolError("\(configuration.connector) has an invalid base URL setting")
        }
        return root
    }

    /// A decoded response.
    public struct Response: Sendable {
        /// The status.
        public var status: Int
        /// The headers.
        public var headers: HTTPHeaders
        /// The body as JSON (`null` for an empty body).
        public var json: JSONValue
    }

    /// Sends a request; on 429 waits once for `Retry-After` (when short), and maps failures to tool errors.
    /// `describeError` extracts the service's message from an error body.
    public func send(
        _ request: HTTPRequest, connector: String, secrets: [String] = [],
        describeError: (JSONValue) -> String? = ConnectorClient.defaultErrorMessage
    ) async throws -> Response {
        try await exchange(
            request, connector: connector, secrets: secrets, describeError: describeError, returning: { _ in false })
    }

    /// ``send(_:connector:secrets:describeError:)``, returning the failed responses whose status `returning` accepts
    /// instead of throwing (a 401 the caller answers with a refreshed token, a token endpoint's refusal).
    func exchange(
        _ request: HTTPRequest, connector: String, secrets: [String], describeError: (JSONValue) -> String?,
        returning: (Int) -> Bool
    ) async throws -> Response {
        var request = request
        request.deadline = ContinuousClock.now.advanced(by: timeout)
        // The credential headers' values are secrets too: a `Basic base64(user:password)` echoed back is masked whole.
        let redactor = Redactor(secrets: secrets + Self.credentials(in: request.headers))
        for attempt in 0..<2 {
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch let error as HTTPTransportError {
                if error.kind == .cancelled { throw CancellationError() }
                if error.kind == .egress {
                    throw ToolError(
                        "\(connector) may not connect there: \(redactor.redact(error.message)); the tenant's \(connector) settings (base_url, site_url, shop_domain, token_url) point to it"
                    )
                }
                throw ToolError(
                    "\(connector) could not be reached: \(redactor.redact(error.message))", isTransient: true)
            }
            let json =
                response.body.isEmpty
                ? JSONValue.null
                : ((try? JSONParser.value(response.body))
                    ?? .string(String(decoding: response.body.prefix(500), as: UTF8.self)))
            if (200..<300).contains(response.status) {
                // A service that echoes a credential must not leak it into results, events or the audit log.
                return Response(
                    status: response.status, headers: response.headers,
                    json: redactor.isEmpty ? json : redactor.redact(json))
            }
            if returning(response.status) {
                return Response(
                    status: response.status, headers: response.headers,
                    json: redactor.isEmpty ? json : redactor.redact(json))
            }
            let message = redactor.redact(describeError(json) ?? Self.excerpt(json))
            if response.status == 429 {
                let wait = RetryAfter.parse(response.headers) ?? .seconds(1)
                if attempt == 0, wait <= maxRateLimitWait {
                    try await Task.sleep(for: wait)
                    continue
                }
                throw ToolError(
                    "\(connector) rate limit reached; try again in \(Int(wait.seconds.rounded(.up))) s (\(message))",
                    isTransient: true)
            }
            switch response.status {
            case 401: throw ToolError("\(connector) rejected the credentials (HTTP 401): \(message)")
            case 403: throw ToolError("\(connector) refused the operation (HTTP 403): \(message)")
            case 404: throw ToolError("\(connector) found nothing there (HTTP 404): \(message)")
            case 500...: throw ToolError("\(connector) failed (HTTP \(response.status)): \(message)", isTransient: true)
            default: throw ToolError("\(connector) rejected the request (HTTP \(response.status)): \(message)")
            }
        }
        throw ToolError("\(connector) rate limit reached", isTransient: true)
    }

    /// The values of a request's credential headers (`Authorization`, `X-Api-Key`, `X-Shopify-Access-Token`, ...),
    /// whole and without their scheme (`Basic`, `Bearer`).
    static func credentials(in headers: HTTPHeaders) -> [String] {
        headers.fields.flatMap { field -> [String] in
            let name = field.name.lowercased()
            guard Redactor.sensitiveFieldNames.contains(where: name.contains) || name.contains("auth") else {
                return []
            }
            let parts = field.value.split(separator: " ", maxSplits: 1)
            return [field.value] + (parts.count == 2 ? [String(parts[1])] : [])
        }
    }

    /// `message`, `error.message`, `error_description`, `detail`, or `errors[0].message`.
    public static func defaultErrorMessage(_ json: JSONValue) -> String? {
        if let message = json["message"]?.stringValue { return message }
        if let message = json["error"]?["message"]?.stringValue { return message }
        if let message = json["error_description"]?.stringValue { return message }
        if let message = json["detail"]?.stringValue { return message }
        if case .array(let errors)? = json["errors"], let message = errors.first?["message"]?.stringValue {
            return message
        }
        if let message = json["error"]?.stringValue { return message }
        return nil
    }

    static func excerpt(_ json: JSONValue) -> String {
        if case .string(let text) = json { return String(text.prefix(300)) }
        return json == .null ? "(no details)" : String(json.serialized().prefix(300))
    }

    /// `base` + `/` + `path` + `?a=1&b=2` from pairs (values percent-encoded), skipping nil values.
    ///
    /// `path` is taken as already percent-encoded: the operation's fixed text, with every part that comes from an
    /// argument made by ``pathSegment(_:name:)``, so each encoded byte reaches the wire exactly once.
    public static func url(_ base: URL, path: String, query: [(String, String?)] = []) -> URL {
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        var basePath = components.percentEncodedPath
        if !basePath.hasSuffix("/") { basePath += "/" }
        components.percentEncodedPath = basePath + (path.hasPrefix("/") ? String(path.dropFirst()) : path)
        let items = query.compactMap { pair in pair.1.map { URLQueryItem(name: pair.0, value: $0) } }
        if !items.isEmpty { components.queryItems = (components.queryItems ?? []) + items }
        // URLComponents leaves '+' as is, and most services read it as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.url!
    }

    /// An argument (`id`, `list_id`, ...) as one segment of a URL path: refused when it is empty, `.` or `..` or
    /// holds a control character, and with every byte outside RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _
    /// ~`) percent-encoded, so `/`, `?`, `#` and `%` stay inside the segment (`a@b/../deals` is `a%40b%2F..%2Fdeals`).
    public static func pathSegment(_ value: String, name: String) throws -> String {
        guard !value.isEmpty else { throw ToolError("\"\(name)\" must not be empty") }
        guard value != ".", value != ".." else { throw ToolError("\"\(name)\" must not be \"\(value)\"") }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw ToolError("\"\(name)\" must not contain control characters")
        }
        return value.addingPercentEncoding(withAllowedCharacters: unreserved)!
    }

    /// RFC 3986's unreserved characters, ASCII only.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// A request with one authentication header, `Accept: application/json`, and a JSON body when given.
    public static func jsonRequest(
        _ method: String, _ url: URL, authentication: (name: String, value: String), body: JSONValue? = nil,
        contentType: String = "application/json"
    ) -> HTTPRequest {
        var headers: HTTPHeaders = [authentication.name: authentication.value, "Accept": "application/json"]
        if body != nil { headers.set("Content-Type", contentType) }
        return HTTPRequest(method: method, url: url, headers: headers, body: body.map { Array($0.serialized().utf8) })
    }

    /// `application/x-www-form-urlencoded` body.
    public static func formBody(_ pairs: [(String, String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Array(
            pairs.map {
                "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)"
            }.joined(separator: "&").utf8)
    }

    /// `limit` argument clamped to 1...max (default `fallback`).
    public static func limit(_ arguments: JSONValue, default fallback: Int = 20, max maximum: Int = 100) -> Int {
        Swift.max(1, Swift.min(maximum, arguments["limit"]?.intValue ?? fallback))
    }
}
