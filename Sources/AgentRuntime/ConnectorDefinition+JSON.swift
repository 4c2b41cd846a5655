/// A connector file's shape was wrong where ``ConnectorDefinition/init(json:)`` needed it (the Agents module's
/// decoder reports every problem with its line and column before this is reached).
public struct ConnectorDefinitionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

extension ConnectorDefinition {
    /// The fields of a connector file, in their canonical order.
    public static let fields = [
        "$schema", "id", "name", "description", "category", "docs_url", "base_url", "settings", "allowed_hosts",
        "secrets", "auth", "headers", "rate_limit", "errors", "example_settings", "example_secrets", "notes",
        "operations",
    ]

    /// Builds a definition from a parsed file. Fields the format does not know are ignored here (the decoder reports
    /// them); a required field that is missing or of the wrong type throws.
    public init(json: JSONValue) throws(ConnectorDefinitionError) {
        func text(_ value: JSONValue?, _ what: String) throws(ConnectorDefinitionError) -> String {
            guard let string = value?.stringValue else { throw ConnectorDefinitionError("\(what) must be a string") }
            return string
        }
        let id = try text(json["id"], "id")
        var settings: [Setting] = []
        if case .object(let object)? = json["settings"] {
            for (name, value) in object {
                let defaultValue = value["default"]?.scalarText
                settings.append(
                    Setting(
                        name: name, description: value["description"]?.stringValue,
                        isRequired: value["required"].map { $0 == true } ?? (defaultValue == nil),
                        pattern: value["pattern"]?.stringValue, example: value["example"]?.scalarText,
                        defaultValue: defaultValue))
            }
        }
        var secrets: [Secret] = []
        if case .object(let object)? = json["secrets"] {
            for (name, value) in object {
                secrets.append(Secret(name: name, description: value["description"]?.stringValue))
            }
        }
        var errors = ErrorMapping()
        if let mapping = json["errors"] {
            errors.message = Self.strings(mapping["message"])
            errors.code = mapping["code"]?.stringValue
            if let failure = mapping["failure"], let path = failure["path"]?.stringValue {
                errors.failure = Failure(path: path, equals: failure["equals"] ?? .bool(false))
            }
            errors.hints = Self.stringMap(mapping["hints"])
            errors.details = Self.strings(mapping["details"])
            errors.append = mapping["append"]?.stringValue
            errors.transientCodes = Self.strings(mapping["transient_codes"])
        }
        var rateLimit: RateLimit?
        if let limit = json["rate_limit"] {
            rateLimit = RateLimit(
                requestsPerSecond: limit["requests_per_second"]?.doubleValue,
                retryAfterHeader: limit["retry_after_header"]?.stringValue)
        }
        var operations: [ConnectorOperationDefinition] = []
        for operation in json["operations"]?.arrayValue ?? [] {
            operations.append(try ConnectorOperationDefinition(json: operation))
        }
        self.init(
            id: id, name: try text(json["name"], "name"), description: try text(json["description"], "description"),
            category: json["category"]?.stringValue, docsURL: json["docs_url"]?.stringValue,
            baseURL: try text(json["base_url"], "base_url"), settings: settings,
            allowedHosts: Self.strings(json["allowed_hosts"]), secrets: secrets, auth: try Self.auth(json["auth"]),
            headers: Self.pairs(json["headers"]), rateLimit: rateLimit, errors: errors,
            exampleSettings: Self.stringMap(json["example_settings"]),
            exampleSecrets: Self.stringMap(json["example_secrets"]), notes: json["notes"]?.stringValue,
            operations: operations)
    }

    static func auth(_ json: JSONValue?) throws(ConnectorDefinitionError) -> Auth {
        guard let json, json != .null else { return .none }
        switch json["type"]?.stringValue {
        case "none": return .none
        case "bearer": return .bearer(token: json["token"]?.stringValue ?? "")
        case "basic":
            return .basic(username: json["username"]?.stringValue ?? "", password: json["password"]?.stringValue ?? "")
        case "header": return .header(name: json["name"]?.stringValue ?? "", value: json["value"]?.stringValue ?? "")
        case "query": return .query(pairs(json["params"]))
        case "oauth2":
            var refresh: OAuthRefresh?
            if let object = json["refresh"], object != .null {
                refresh = OAuthRefresh(
                    tokenURL: object["token_url"]?.stringValue ?? "",
                    refreshToken: object["refresh_token"]?.stringValue ?? "refresh_token",
                    clientID: object["client_id"]?.stringValue ?? "client_id",
                    clientSecret: object["client_secret"]?.stringValue ?? "client_secret")
            }
            return .oauth2(token: json["token"]?.stringValue ?? "{secrets.access_token}", refresh: refresh)
        case let other: throw ConnectorDefinitionError("unknown auth type \(other ?? "(none)")")
        }
    }

    static func strings(_ json: JSONValue?) -> [String] {
        switch json {
        case .string(let text)?: [text]
        case .array(let items)?: items.compactMap(\.stringValue)
        default: []
        }
    }

    static func stringMap(_ json: JSONValue?) -> [String: String] {
        guard case .object(let object)? = json else { return [:] }
        var map: [String: String] = [:]
        for (key, value) in object { if let text = value.scalarText { map[key] = text } }
        return map
    }

    static func pairs(_ json: JSONValue?) -> [Pair] {
        guard case .object(let object)? = json else { return [] }
        return object.compactMap { member in member.value.scalarText.map { Pair(member.key, $0) } }
    }
}

extension ConnectorOperationDefinition {
    /// The fields of an operation, in their canonical order.
    public static let fields = [
        "id", "description", "access", "approval", "method", "path", "missing_path_message", "parameters", "query",
        "headers", "body", "idempotency_key", "defaults", "response", "pagination", "examples", "notes",
    ]

    /// The schema of the `cursor` argument added to operations that page.
    public static let cursorSchema: JSONValue = [
        "type": "string", "description": "next_cursor of the previous page; omit for the first page",
    ]

    /// Builds an operation from its part of a parsed file.
    public init(json: JSONValue) throws(ConnectorDefinitionError) {
        guard let id = json["id"]?.stringValue else { throw ConnectorDefinitionError("operation id must be a string") }
        let access = json["access"]?.stringValue.flatMap(ToolAccess.init(rawValue:)) ?? .read
        var paths: [String] = ConnectorDefinition.strings(json["path"])
        if paths.isEmpty { paths = [""] }
        var body: Body?
        if let object = json["body"], object != .null {
            body = Body(
                encoding: object["encoding"]?.stringValue.flatMap(Body.Encoding.init(rawValue:)) ?? .json,
                value: object["value"], fromArguments: object["from_arguments"] == true,
                exclude: ConnectorDefinition.strings(object["exclude"]), wrap: object["wrap"]?.stringValue)
        }
        var response = Response()
        if let object = json["response"], object != .null {
            response.select = object["select"]?.stringValue
            switch object["fields"] {
            case .array(let items)?:
                response.fields = items.compactMap(\.stringValue).map { Field(name: $0, path: $0) }
            case .object(let map)?:
                response.fields = map.compactMap { member in
                    member.value.stringValue.map { Field(name: member.key, path: $0) }
                }
            default: break
            }
            response.maxItems = object["max_items"]?.intValue
            response.maxBytes = object["max_bytes"]?.intValue
            response.itemsKey = object["items_key"]?.stringValue ?? "items"
        }
        var pagination: Pagination?
        if let object = json["pagination"], object != .null {
            switch object["type"]?.stringValue {
            case "cursor":
                pagination = .cursor(
                    param: object["param"]?.stringValue ?? "cursor", next: object["next"]?.stringValue ?? "",
                    hasMore: object["has_more"]?.stringValue, inBody: object["in"] == "body",
                    pattern: object["pattern"]?.stringValue)
            case "link": pagination = .link
            case "offset":
                pagination = .offset(
                    param: object["param"]?.stringValue ?? "offset", limitParam: object["limit_param"]?.stringValue,
                    pageSize: object["page_size"]?.intValue, total: object["total"]?.stringValue)
            case "page":
                pagination = .page(
                    param: object["param"]?.stringValue ?? "page", start: object["start"]?.intValue ?? 1,
                    limitParam: object["limit_param"]?.stringValue, pageSize: object["page_size"]?.intValue,
                    total: object["total"]?.stringValue)
            case let other: throw ConnectorDefinitionError("unknown pagination type \(other ?? "(none)")")
            }
        }
        var parameters = json["parameters"] ?? ["type": "object", "properties": [:]]
        if pagination != nil, case .object(var schema) = parameters {
            var properties: JSONObject
            if case .object(let existing)? = schema["properties"] { properties = existing } else { properties = [:] }
            if properties["cursor"] == nil { properties["cursor"] = Self.cursorSchema }
            schema["properties"] = .object(properties)
            parameters = .object(schema)
        }
        self.init(
            id: id, description: json["description"]?.stringValue ?? "", access: access,
            approval: json["approval"].flatMap { if case .bool(let flag) = $0 { flag } else { nil } },
            method: (json["method"]?.stringValue ?? "GET").uppercased(), paths: paths,
            missingPathMessage: json["missing_path_message"]?.stringValue, parameters: JSONSchema(parameters),
            query: ConnectorDefinition.pairs(json["query"]), headers: ConnectorDefinition.pairs(json["headers"]),
            body: body, response: response, pagination: pagination,
            idempotencyKey: json["idempotency_key"]?.stringValue, examples: json["examples"]?.arrayValue ?? [],
            notes: json["notes"]?.stringValue)
        if case .object(let defaults)? = json["defaults"] { self.defaults = defaults }
    }
}
