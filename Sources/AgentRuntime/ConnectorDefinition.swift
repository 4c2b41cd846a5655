/// A connector defined by a file (`connectors/<id>.json`, format v1): how to reach a service's HTTP API and the
/// operations an agent may call on it. The Agents module decodes and validates the file (with diagnostics); the
/// Tools module turns every operation into a tool that calls through the same ``HTTPTransport`` path as the
/// connectors written in Swift.
public struct ConnectorDefinition: Hashable, Sendable {
    /// A tenant setting the definition declares (`shop_domain`, `company_domain`, ...).
    public struct Setting: Hashable, Sendable {
        /// The setting's name.
        public var name: String
        /// What it is, for administrators.
        public var description: String?
        /// Whether a tenant must give it (true unless the file says false or gives a default).
        public var isRequired: Bool
        /// A regular expression the whole value must match.
        public var pattern: String?
        /// An example value.
        public var example: String?
        /// The value used when the tenant gives none.
        public var defaultValue: String?

        /// Creates a setting.
        public init(
            name: String, description: String? = nil, isRequired: Bool = true, pattern: String? = nil,
            example: String? = nil, defaultValue: String? = nil
        ) {
            self.name = name
            self.description = description
            self.isRequired = isRequired
            self.pattern = pattern
            self.example = example
            self.defaultValue = defaultValue
        }
    }

    /// A tenant secret the definition declares (its value lives in the tenant's secret store, never in a file).
    public struct Secret: Hashable, Sendable {
        /// The secret's name (`api_token`).
        public var name: String
        /// What it is, for administrators.
        public var description: String?

        /// Creates a secret.
        public init(name: String, description: String? = nil) {
            self.name = name
            self.description = description
        }
    }

    /// A name and a template value (a header, a query parameter).
    public struct Pair: Hashable, Sendable {
        /// The name.
        public var name: String
        /// The template.
        public var value: String

        /// Creates a pair.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// How requests authenticate.
    public enum Auth: Hashable, Sendable {
        /// No credential (or one inside `base_url`).
        case none
        /// `Authorization: Bearer <token>`.
        case bearer(token: String)
        /// `Authorization: Basic base64(<username>:<password>)`.
        case basic(username: String, password: String)
        /// One header.
        case header(name: String, value: String)
        /// Query parameters appended to every request.
        case query([Pair])
        /// A bearer token refreshed through the OAuth token endpoint when the tenant has a refresh token.
        case oauth2(token: String, refresh: OAuthRefresh?)

        /// The auth type's name in the file.
        public var typeName: String {
            switch self {
            case .none: "none"
            case .bearer: "bearer"
            case .basic: "basic"
            case .header: "header"
            case .query: "query"
            case .oauth2: "oauth2"
            }
        }

        /// The templates of this auth (for placeholder checks and secret collection).
        public var templates: [String] {
            switch self {
            case .none: []
            case .bearer(let token): [token]
            case .basic(let username, let password): [username, password]
            case .header(_, let value): [value]
            case .query(let params): params.map(\.value)
            case .oauth2(let token, _): [token]
            }
        }
    }

    /// How an OAuth 2 token is refreshed: the token endpoint and the names of the secrets involved.
    public struct OAuthRefresh: Hashable, Sendable {
        /// The provider's token endpoint (a tenant's `token_url` setting replaces it).
        public var tokenURL: String
        /// The refresh token's secret name.
        public var refreshToken: String
        /// The client id's secret name.
        public var clientID: String
        /// The client secret's secret name.
        public var clientSecret: String

        /// Creates refresh settings.
        public init(tokenURL: String, refreshToken: String, clientID: String, clientSecret: String) {
            self.tokenURL = tokenURL
            self.refreshToken = refreshToken
            self.clientID = clientID
            self.clientSecret = clientSecret
        }
    }

    /// Where a service's error message is and how it is told.
    public struct ErrorMapping: Hashable, Sendable {
        /// Paths tried in order for the message.
        public var message: [String] = []
        /// The path of a machine-readable code.
        public var code: String?
        /// A 2xx answer that is an error nevertheless (`ok: false`).
        public var failure: Failure?
        /// Explanations by code, appended as ` (hint)`; `{path}` placeholders read the error body.
        public var hints: [String: String] = [:]
        /// Templates appended as ` (a, b)` when all their placeholders resolve (`{error.code|error.type}`).
        public var details: [String] = []
        /// The path of an array of strings appended as `: a; b`.
        public var append: String?
        /// Codes that make an error transient (worth trying again).
        public var transientCodes: [String] = []

        /// Creates a mapping.
        public init() {}
    }

    /// A 2xx answer whose body says it failed.
    public struct Failure: Hashable, Sendable {
        /// The path read.
        public var path: String
        /// The value that means failure.
        public var equals: JSONValue

        /// Creates a failure test.
        public init(path: String, equals: JSONValue) {
            self.path = path
            self.equals = equals
        }
    }

    /// The service's published limits (informational; 429 + Retry-After is honoured by the client).
    public struct RateLimit: Hashable, Sendable {
        /// Requests per second allowed.
        public var requestsPerSecond: Double?
        /// The header that says how long to wait.
        public var retryAfterHeader: String?

        /// Creates rate-limit hints.
        public init(requestsPerSecond: Double? = nil, retryAfterHeader: String? = nil) {
            self.requestsPerSecond = requestsPerSecond
            self.retryAfterHeader = retryAfterHeader
        }
    }

    /// The id (`pipedrive`), also the first part of its tool ids.
    public var id: String
    /// The display name.
    public var name: String
    /// What the connector is for.
    public var description: String
    /// A grouping (`crm`, `commerce`).
    public var category: String?
    /// The service's API reference.
    public var docsURL: String?
    /// The base URL template (`https://{company_domain}.pipedrive.com/api/v1`).
    public var baseURL: String
    /// Declared settings, in file order.
    public var settings: [Setting]
    /// Host patterns the resolved base URL must match (empty: any).
    public var allowedHosts: [String]
    /// Declared secrets, in file order.
    public var secrets: [Secret]
    /// How requests authenticate.
    public var auth: Auth
    /// Headers sent on every request.
    public var headers: [Pair]
    /// Rate-limit hints.
    public var rateLimit: RateLimit?
    /// Error mapping.
    public var errors: ErrorMapping
    /// Settings the test harness configures.
    public var exampleSettings: [String: String]
    /// Fake secrets the test harness configures.
    public var exampleSecrets: [String: String]
    /// Free text about what the definition cannot say.
    public var notes: String?
    /// The operations, in file order.
    public var operations: [ConnectorOperationDefinition]

    /// Creates a definition.
    public init(
        id: String, name: String, description: String, category: String? = nil, docsURL: String? = nil,
        baseURL: String, settings: [Setting] = [], allowedHosts: [String] = [], secrets: [Secret] = [],
        auth: Auth = .none, headers: [Pair] = [], rateLimit: RateLimit? = nil, errors: ErrorMapping = ErrorMapping(),
        exampleSettings: [String: String] = [:], exampleSecrets: [String: String] = [:], notes: String? = nil,
        operations: [ConnectorOperationDefinition]
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.category = category
        self.docsURL = docsURL
        self.baseURL = baseURL
        self.settings = settings
        self.allowedHosts = allowedHosts
        self.secrets = secrets
        self.auth = auth
        self.headers = headers
        self.rateLimit = rateLimit
        self.errors = errors
        self.exampleSettings = exampleSettings
        self.exampleSecrets = exampleSecrets
        self.notes = notes
        self.operations = operations
    }

    /// Every operation's tool spec.
    public var specs: [ToolSpec] { operations.map { $0.spec(connector: id) } }

    /// The setting named `name`.
    public func setting(_ name: String) -> Setting? { settings.first { $0.name == name } }

    /// Whether `host` matches one of `allowedHosts` (`api.stripe.com`, `*.pipedrive.com`); true when none is given.
    public func allows(host: String) -> Bool {
        guard !allowedHosts.isEmpty else { return true }
        let host = host.lowercased()
        return allowedHosts.contains { pattern in
            let pattern = pattern.lowercased()
            if pattern.hasPrefix("*.") { return host.hasSuffix(String(pattern.dropFirst(1))) }
            return host == pattern
        }
    }
}

/// One operation of a defined connector.
public struct ConnectorOperationDefinition: Hashable, Sendable {
    /// How the request body is made.
    public struct Body: Hashable, Sendable {
        /// `json` or `form`.
        public enum Encoding: String, Hashable, Sendable {
            /// `application/json`.
            case json
            /// `application/x-www-form-urlencoded`, nested objects as `a[b]`.
            case form
        }

        /// The encoding.
        public var encoding: Encoding
        /// The template value (nil with `fromArguments`).
        public var value: JSONValue?
        /// Whether the arguments themselves are the body.
        public var fromArguments: Bool
        /// Arguments left out of a `fromArguments` body.
        public var exclude: [String]
        /// Wraps the value in an object under this key.
        public var wrap: String?

        /// Creates a body.
        public init(
            encoding: Encoding, value: JSONValue? = nil, fromArguments: Bool = false, exclude: [String] = [],
            wrap: String? = nil
        ) {
            self.encoding = encoding
            self.value = value
            self.fromArguments = fromArguments
            self.exclude = exclude
            self.wrap = wrap
        }
    }

    /// One output field: its key in the result and the path it is read from.
    public struct Field: Hashable, Sendable {
        /// The output key.
        public var name: String
        /// The path in the item.
        public var path: String

        /// Creates a field.
        public init(name: String, path: String) {
            self.name = name
            self.path = path
        }
    }

    /// What of the response the tool returns.
    public struct Response: Hashable, Sendable {
        /// The path of the part returned (nil: the whole body).
        public var select: String?
        /// Fields kept per item (nil: all).
        public var fields: [Field]?
        /// The most array items returned.
        public var maxItems: Int?
        /// The most bytes of serialized result.
        public var maxBytes: Int?
        /// The key of the array in the result (`items` unless the file says otherwise).
        public var itemsKey: String

        /// Creates response shaping.
        public init(
            select: String? = nil, fields: [Field]? = nil, maxItems: Int? = nil, maxBytes: Int? = nil,
            itemsKey: String = "items"
        ) {
            self.select = select
            self.fields = fields
            self.maxItems = maxItems
            self.maxBytes = maxBytes
            self.itemsKey = itemsKey
        }
    }

    /// How a list pages; the tool takes a `cursor` argument and returns `next_cursor`.
    public enum Pagination: Hashable, Sendable {
        /// A cursor read from the body and sent in `param` (query, or the JSON body when `inBody`).
        case cursor(param: String, next: String, hasMore: String?, inBody: Bool, pattern: String?)
        /// RFC 8288 `Link: <…>; rel="next"`; the cursor is the next URL.
        case link
        /// The next offset while pages come back full.
        case offset(param: String, limitParam: String?, pageSize: Int?, total: String?)
        /// The next page number while pages come back full.
        case page(param: String, start: Int, limitParam: String?, pageSize: Int?, total: String?)

        /// The type's name in the file.
        public var typeName: String {
            switch self {
            case .cursor: "cursor"
            case .link: "link"
            case .offset: "offset"
            case .page: "page"
            }
        }
    }

    /// The operation id (`list_deals`).
    public var id: String
    /// What it does, for the model.
    public var description: String
    /// The access level the policy gate checks.
    public var access: ToolAccess
    /// `true` forces approval; nil follows the tenant's policy.
    public var approval: Bool?
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    public var method: String
    /// Path templates; the first whose placeholders all have arguments is used.
    public var paths: [String]
    /// The error when no path can be used (several paths only).
    public var missingPathMessage: String?
    /// The argument schema, with `cursor` added when the operation pages.
    public var parameters: JSONSchema
    /// Query parameter templates, in order.
    public var query: [ConnectorDefinition.Pair]
    /// Header templates.
    public var headers: [ConnectorDefinition.Pair]
    /// The body, if any.
    public var body: Body?
    /// Response shaping.
    public var response: Response
    /// Paging, if the operation lists.
    public var pagination: Pagination?
    /// A header that carries the call's idempotency key (`Idempotency-Key`).
    public var idempotencyKey: String?
    /// Argument values used when the model gives none (`{"limit": 20}`).
    public var defaults: JSONObject = [:]
    /// Recorded documentation samples the harness replays.
    public var examples: [JSONValue]
    /// Free text.
    public var notes: String?

    /// Creates an operation.
    public init(
        id: String, description: String, access: ToolAccess, approval: Bool? = nil, method: String, paths: [String],
        missingPathMessage: String? = nil, parameters: JSONSchema, query: [ConnectorDefinition.Pair] = [],
        headers: [ConnectorDefinition.Pair] = [], body: Body? = nil, response: Response = Response(),
        pagination: Pagination? = nil, idempotencyKey: String? = nil, examples: [JSONValue] = [], notes: String? = nil
    ) {
        self.id = id
        self.description = description
        self.access = access
        self.approval = approval
        self.method = method
        self.paths = paths
        self.missingPathMessage = missingPathMessage
        self.parameters = parameters
        self.query = query
        self.headers = headers
        self.body = body
        self.response = response
        self.pagination = pagination
        self.idempotencyKey = idempotencyKey
        self.examples = examples
        self.notes = notes
    }

    /// The tool spec of this operation in `connector`.
    public func spec(connector: String) -> ToolSpec {
        ToolSpec(
            id: ToolID("\(connector).\(id)"), description: description, parameters: parameters, access: access,
            requiresApproval: approval ?? false)
    }
}

/// `{name}` placeholders of connector templates: names may hold dots (`{secrets.api_key}`, `{error.code}`) and
/// alternatives (`{error.code|error.type}`); `{{` and `}}` write literal braces.
public enum ConnectorTemplate {
    /// One piece of a template.
    public enum Piece: Hashable, Sendable {
        /// Literal text.
        case text(String)
        /// A placeholder: its alternatives in order.
        case placeholder([String])
    }

    /// The pieces of `text`.
    public static func pieces(_ text: String) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "{", index + 1 < scalars.count, scalars[index + 1] == "{" {
                literal.unicodeScalars.append("{")
                index += 2
                continue
            }
            if scalar == "}", index + 1 < scalars.count, scalars[index + 1] == "}" {
                literal.unicodeScalars.append("}")
                index += 2
                continue
            }
            if scalar == "{", let close = scalars[(index + 1)...].firstIndex(of: "}") {
                let inner = String(String.UnicodeScalarView(scalars[(index + 1)..<close]))
                let names = inner.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                if !names.isEmpty, names.allSatisfy(isName) {
                    if !literal.isEmpty { pieces.append(.text(literal)) }
                    literal = ""
                    pieces.append(.placeholder(names))
                    index = close + 1
                    continue
                }
            }
            literal.unicodeScalars.append(scalar)
            index += 1
        }
        if !literal.isEmpty { pieces.append(.text(literal)) }
        return pieces
    }

    /// Every placeholder name in `text` (alternatives included), in order.
    public static func names(_ text: String) -> [String] {
        pieces(text).flatMap { piece -> [String] in
            if case .placeholder(let names) = piece { return names }
            return []
        }
    }

    /// `text` with each placeholder replaced by the first alternative `value` gives; nil when one has none.
    public static func render(_ text: String, _ value: (String) -> String?) -> String? {
        var output = ""
        for piece in pieces(text) {
            switch piece {
            case .text(let literal): output += literal
            case .placeholder(let names):
                guard let found = names.lazy.compactMap(value).first else { return nil }
                output += found
            }
        }
        return output
    }

    /// When `text` is exactly one placeholder with one name, that name.
    public static func soleName(_ text: String) -> String? {
        let pieces = pieces(text)
        if pieces.count == 1, case .placeholder(let names) = pieces[0], names.count == 1 { return names[0] }
        return nil
    }

    /// `[A-Za-z_][A-Za-z0-9_.-]*`.
    static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || isLetter(first) else { return false }
        return text.unicodeScalars.allSatisfy {
            isLetter($0) || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)
        }
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
}

extension JSONValue {
    /// The value at a connector path: dot-separated keys and indices, `-1` = last element; `""` or `.` = the whole.
    public func value(atPath path: String) -> JSONValue? {
        if path.isEmpty || path == "." { return self }
        var current: JSONValue? = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let value = current else { return nil }
            switch value {
            case .object(let object): current = object[String(part)]
            case .array(let items):
                guard let index = Int(part) else { return nil }
                let resolved = index < 0 ? items.count + index : index
                current = items.indices.contains(resolved) ? items[resolved] : nil
            default: return nil
            }
        }
        return current
    }

    /// A scalar as text (strings as they are, numbers and booleans written out); nil for null, arrays and objects.
    public var scalarText: String? {
        switch self {
        case .string(let text): text
        case .int(let int): String(int)
        case .double(let double): double == double.rounded() && abs(double) < 1e15 ? String(Int(double)) : "\(double)"
        case .bool(let bool): bool ? "true" : "false"
        default: nil
        }
    }
}
