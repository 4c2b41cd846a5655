import AgentRuntime
import Foundation

/// The generic executor of connectors defined by files (`connectors/<id>.json`): one ``ConnectorOperation`` per
/// defined operation, calling through the same ``ConnectorClient`` as the Swift connectors (its transport and egress
/// guard, tenant settings and secrets, OAuth token cache, error and rate-limit mapping, and redaction of every secret
/// value).
public enum DefinedConnector {
    /// The operations of `definition`, each with its spec.
    public static func operations(_ definition: ConnectorDefinition) -> [ConnectorOperation] {
        definition.operations.map { operation in
            let call = DefinedCall(definition: definition, operation: operation)
            return ConnectorOperation(operation.spec(connector: definition.id)) { client, arguments, context in
                try await call.perform(client, arguments, context)
            }
        }
    }
}

/// One call of a defined operation.
struct DefinedCall: Sendable {
    let definition: ConnectorDefinition
    let operation: ConnectorOperationDefinition

    var connector: String { definition.id }

    func perform(_ client: ConnectorClient, _ given: JSONValue, _ context: ToolContext) async throws -> ToolResult {
        let arguments = withDefaults(given)
        let path = try resolvePath(arguments)
        let cursor = arguments["cursor"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if case .cursor(_, _, _, _, let pattern?) = operation.pagination, let cursor, !Self.matches(cursor, pattern) {
            throw ToolError("\"cursor\" must be the next_cursor of a previous \(connector) page")
        }
        let violations = JSONSchemaValidator(operation.parameters).validate(arguments)
        if !violations.isEmpty {
            throw ToolError("invalid arguments: \(violations.map(\.description).joined(separator: "; "))")
        }

        let configuration = try await client.configuration(connector, context: context)
        var settings = configuration.settings
        for setting in definition.settings where settings[setting.name] == nil {
            if let value = setting.defaultValue { settings[setting.name] = value }
        }
        var secretValues: [String: String] = [:]
        for name in connectionSecrets() {
            secretValues[name] = try await client.secret(name, of: configuration, context: context)
        }
        let lookup: (String) -> String? = { name in
            name.hasPrefix("secrets.") ? secretValues[String(name.dropFirst(8))] : settings[name]
        }
        func render(_ template: String, _ what: String) throws -> String {
            guard let value = ConnectorTemplate.render(template, lookup) else {
                let missing = ConnectorTemplate.names(template).first { lookup($0) == nil } ?? "?"
                if missing.hasPrefix("secrets.") {
                    throw ToolError("\(connector) has no \"\(missing.dropFirst(8))\" credential configured")
                }
                _ = try client.setting(missing, of: ConnectorSettings(connector: connector, settings: settings))
                throw ToolError("\(connector) cannot make its \(what)")
            }
            return value
        }

        let parts = Self.split(definition.baseURL)
        var origin = try render(parts.origin, "base URL")
        var originPath = ""
        var originQuery: [(String, String)] = []
        // A whole URL from a setting or secret (a webhook URL): its path and query stay under a `base_url` override.
        if parts.origin.hasPrefix("{"), let url = URLComponents(string: origin), let scheme = url.scheme,
            let host = url.host
        {
            origin = "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
            originPath = url.percentEncodedPath
            originQuery = (url.queryItems ?? []).map { ($0.name, $0.value ?? "") }
        }
        let apiPath =
            try originPath
            + ConnectorTemplate.pieces(parts.path).map { piece -> String in
                switch piece {
                case .text(let text): return text
                case .placeholder:
                    let value = try render("{\(Self.names(piece))}", "base URL")
                    return value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? value
                }
            }.joined()
        let base = try client.baseURL(configuration, standard: origin, apiPath: apiPath)
        if configuration.settings["base_url"] == nil, let host = base.host, !definition.allows(host: host) {
            throw ToolError(
                "\(connector) may not connect to \(host): not one of its allowed hosts (\(definition.allowedHosts.joined(separator: ", ")))"
            )
        }

        // The query: the base URL's own, the operation's parameters, paging, then query authentication.
        var query: [(String, String)] = originQuery
        for pair in operation.query {
            if let value = argumentText(pair.value, arguments) { query.append((pair.name, value)) }
        }
        let referencesCursor = operation.query.contains { ConnectorTemplate.names($0.value).contains("cursor") }
        var limit: Int?
        switch operation.pagination {
        case .cursor(let param, _, _, let inBody, _)?:
            if let cursor, !inBody, !referencesCursor, !query.contains(where: { $0.0 == param }) {
                query.append((param, cursor))
            }
        case .offset(let param, let limitParam, let pageSize, _)?,
            .page(let param, _, let limitParam, let pageSize, _)?:
            if let cursor, !referencesCursor {
                guard Int(cursor) != nil else {
                    throw ToolError("\"cursor\" must be the next_cursor of a previous \(connector) page")
                }
                query.removeAll { $0.0 == param }
                query.append((param, cursor))
            }
            // The page size asked for; else page_size, sent as limit_param when the operation has one.
            if let limitParam, let given = query.first(where: { $0.0 == limitParam }) {
                limit = Int(given.1)
            } else {
                limit = pageSize
                if let limitParam, let pageSize { query.append((limitParam, String(pageSize))) }
            }
        case .link?, nil: break
        }
        if case .query(let params) = definition.auth {
            for param in params { query.append((param.name, try render(param.value, "authentication"))) }
        }

        var url: URL
        if case .link? = operation.pagination, let cursor {
            url = try linkCursor(
                cursor, base: base,
                standard: configuration.settings["base_url"] == nil ? nil : URL(string: origin + apiPath))
            if case .query = definition.auth, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
                let present = Set((components.queryItems ?? []).map(\.name))
                let added = query.suffix(from: query.count - authQueryCount).filter { !present.contains($0.0) }
                components.queryItems =
                    (components.queryItems ?? []) + added.map { URLQueryItem(name: $0.0, value: $0.1) }
                url = components.url ?? url
            }
        } else {
            url = ConnectorClient.url(base, path: path, query: query.map { ($0.0, Optional($0.1)) })
            // An operation on the base URL itself (a webhook) adds no trailing slash.
            if path.isEmpty, !base.path.hasSuffix("/"),
                var components = URLComponents(url: url, resolvingAgainstBaseURL: false),
                components.percentEncodedPath.hasSuffix("/")
            {
                components.percentEncodedPath.removeLast()
                url = components.url ?? url
            }
        }

        var headers = HTTPHeaders()
        headers.set("Accept", "application/json")
        for header in definition.headers { headers.set(header.name, try render(header.value, "headers")) }
        for header in operation.headers {
            if let value = argumentText(header.value, arguments) { headers.set(header.name, value) }
        }
        if let name = operation.idempotencyKey {
            headers.set(name, context.idempotencyKey ?? UUID().uuidString)
        }
        var body: [UInt8]?
        if let definitionBody = operation.body {
            var value: JSONValue
            if definitionBody.fromArguments {
                var object = JSONObject()
                if case .object(let given) = arguments {
                    let excluded = Set(definitionBody.exclude + ["cursor"])
                    for member in given where !excluded.contains(member.key) { object[member.key] = member.value }
                }
                value = .object(object)
            } else {
                value = definitionBody.value.flatMap { fill($0, arguments) } ?? [:]
            }
            if let wrap = definitionBody.wrap { value = .object(JSONObject([(wrap, value)])) }
            if case .cursor(let param, _, _, true, _)? = operation.pagination, let cursor,
                case .object(var object) = value
            {
                object[param] = .string(cursor)
                value = .object(object)
            }
            switch definitionBody.encoding {
            case .json:
                if headers["content-type"] == nil { headers.set("Content-Type", "application/json") }
                body = Array(value.serialized().utf8)
            case .form:
                if headers["content-type"] == nil { headers.set("Content-Type", "application/x-www-form-urlencoded") }
                body = ConnectorClient.formBody(Self.formPairs(value, prefix: nil))
            }
        } else if case .cursor(let param, _, _, true, _)? = operation.pagination, let cursor {
            if headers["content-type"] == nil { headers.set("Content-Type", "application/json") }
            body = Array(JSONValue.object(JSONObject([(param, .string(cursor))])).serialized().utf8)
        }

        let request = HTTPRequest(method: operation.method, url: url, headers: headers, body: body)
        let secrets = Array(secretValues.values).filter { !$0.isEmpty }
        let response: ConnectorClient.Response
        switch definition.auth {
        case .oauth2(_, let refresh?):
            let tokenURL = try render(refresh.tokenURL, "token URL")
            response = try await client.sendAuthorized(
                configuration, tokenURL: tokenURL, context: context, describeError: describeError
            ) { token in
                var authorized = request
                authorized.headers.set("Authorization", "Bearer \(token)")
                return authorized
            }
        default:
            var authorized = request
            switch definition.auth {
            case .bearer(let token), .oauth2(let token, nil):
                authorized.headers.set("Authorization", "Bearer \(try render(token, "authentication"))")
            case .basic(let username, let password):
                let pair = "\(try render(username, "authentication")):\(try render(password, "authentication"))"
                authorized.headers.set("Authorization", "Basic \(Data(pair.utf8).base64EncodedString())")
            case .header(let name, let value):
                authorized.headers.set(name, try render(value, "authentication"))
            case .none, .query, .oauth2: break
            }
            response = try await client.send(
                authorized, connector: connector, secrets: secrets, describeError: describeError)
        }

        let json = response.json
        if let failure = definition.errors.failure, json.value(atPath: failure.path) == failure.equals {
            let redactor = Redactor(secrets: secrets)
            let message = describeError(json) ?? ConnectorClient.excerpt(json)
            let code = definition.errors.code.flatMap { json.value(atPath: $0)?.scalarText }
            throw ToolError(
                "\(connector) rejected the request: \(redactor.redact(message))",
                isTransient: code.map(definition.errors.transientCodes.contains) ?? false)
        }
        return .json(shape(json, headers: response.headers, requestURL: url, cursor: cursor, limit: limit))
    }

    private var authQueryCount: Int {
        if case .query(let params) = definition.auth { return params.count }
        return 0
    }

    // MARK: Arguments

    /// The arguments with the operation's `defaults` filled in where absent.
    func withDefaults(_ arguments: JSONValue) -> JSONValue {
        var object: JSONObject
        switch arguments {
        case .object(let given): object = given
        case .null: object = [:]
        default: return arguments
        }
        for member in operation.defaults where object[member.key] == nil || object[member.key] == .null {
            object[member.key] = member.value
        }
        return .object(object)
    }

    /// The path with every argument checked and percent-encoded as one segment.
    func resolvePath(_ arguments: JSONValue) throws -> String {
        let usable = operation.paths.first { template in
            ConnectorTemplate.names(template).allSatisfy { argumentValue($0, arguments) != nil }
        }
        guard let template = usable else {
            if let message = operation.missingPathMessage { throw ToolError(message) }
            let missing = operation.paths.flatMap(ConnectorTemplate.names).filter {
                argumentValue($0, arguments) == nil
            }
            throw ToolError("\"\(missing.first ?? "?")\" is required")
        }
        var path = ""
        for piece in ConnectorTemplate.pieces(template) {
            switch piece {
            case .text(let text): path += text
            case .placeholder(let names):
                let name = names[0]
                let value = argumentValue(name, arguments)?.scalarText ?? ""
                if let pattern = operation.parameters.document["properties"]?[name]?["pattern"]?.stringValue,
                    !value.isEmpty, !Self.matches(value, pattern)
                {
                    throw ToolError("\"\(name)\" is not a valid \(connector) id")
                }
                path += try ConnectorClient.pathSegment(value, name: name)
            }
        }
        return path
    }

    func argumentValue(_ name: String, _ arguments: JSONValue) -> JSONValue? {
        guard let value = arguments[name], value != .null else { return nil }
        if case .string(let text) = value, text.isEmpty { return nil }
        return value
    }

    /// A query or header template filled from the arguments; nil when an argument it needs is absent.
    func argumentText(_ template: String, _ arguments: JSONValue) -> String? {
        ConnectorTemplate.render(template) { name in
            guard let value = argumentValue(name, arguments) else { return nil }
            if case .array(let items) = value { return items.compactMap(\.scalarText).joined(separator: ",") }
            return value.scalarText ?? value.serialized()
        }
    }

    /// A body template filled from the arguments; nil when it comes out empty.
    func fill(_ template: JSONValue, _ arguments: JSONValue) -> JSONValue? {
        switch template {
        case .string(let text):
            if let name = ConnectorTemplate.soleName(text) { return argumentValue(name, arguments) }
            return argumentText(text, arguments).map(JSONValue.string)
        case .object(let object):
            var filled = JSONObject()
            for member in object {
                if let value = fill(member.value, arguments) { filled[member.key] = value }
            }
            return filled.members.isEmpty && !object.members.isEmpty ? nil : .object(filled)
        case .array(let items):
            return .array(items.compactMap { fill($0, arguments) })
        default:
            return template
        }
    }

    /// Form pairs, nested objects as `a[b]`, arrays as repeated keys.
    static func formPairs(_ value: JSONValue, prefix: String?) -> [(String, String)] {
        switch value {
        case .object(let object):
            return object.flatMap { member in
                formPairs(member.value, prefix: prefix.map { "\($0)[\(member.key)]" } ?? member.key)
            }
        case .array(let items):
            guard let prefix else { return [] }
            return items.flatMap { formPairs($0, prefix: prefix) }
        case .null: return []
        default:
            guard let prefix, let text = value.scalarText else { return [] }
            return [(prefix, text)]
        }
    }

    /// The secrets the connection needs (in the base URL, headers and authentication).
    func connectionSecrets() -> [String] {
        var templates = [definition.baseURL] + definition.headers.map(\.value)
        if case .oauth2(_, _?) = definition.auth {
        } else {
            templates += definition.auth.templates
        }
        if case .oauth2(_, let refresh?) = definition.auth { templates.append(refresh.tokenURL) }
        var names: [String] = []
        for name in templates.flatMap(ConnectorTemplate.names) where name.hasPrefix("secrets.") {
            let secret = String(name.dropFirst(8))
            if !names.contains(secret) { names.append(secret) }
        }
        return names
    }

    // MARK: Responses

    /// The service's message, by the definition's `errors` mapping.
    func describeError(_ json: JSONValue) -> String? {
        let mapping = definition.errors
        var base: String?
        for path in mapping.message {
            if let text = json.value(atPath: path)?.scalarText, !text.isEmpty {
                base = text
                break
            }
        }
        guard var message = base ?? ConnectorClient.defaultErrorMessage(json) else { return nil }
        let read: (String) -> String? = { json.value(atPath: $0)?.scalarText }
        if let codePath = mapping.code, let code = read(codePath), let hint = mapping.hints[code],
            let rendered = ConnectorTemplate.render(hint, read)
        {
            message += " (\(rendered))"
        }
        let details = mapping.details.compactMap { ConnectorTemplate.render($0, read) }.filter { !$0.isEmpty }
        if !details.isEmpty { message += " (\(details.joined(separator: ", ")))" }
        if let path = mapping.append, case .array(let items)? = json.value(atPath: path) {
            let texts = items.compactMap(\.scalarText).filter { !$0.isEmpty }
            if !texts.isEmpty { message += ": \(texts.joined(separator: "; "))" }
        }
        return message
    }

    /// The tool result: the selected part, shaped and capped, with `next_cursor` when there is a next page.
    func shape(_ json: JSONValue, headers: HTTPHeaders, requestURL: URL, cursor: String?, limit: Int?) -> JSONValue {
        let shaping = operation.response
        let selected = json.value(atPath: shaping.select ?? "") ?? .null
        guard case .array(var items) = selected else {
            var result = fields(selected)
            if operation.pagination != nil, case .object(var object) = result,
                let next = nextCursor(
                    json, headers: headers, requestURL: requestURL, cursor: cursor, count: nil, limit: limit)
            {
                object["next_cursor"] = .string(next)
                result = .object(object)
            }
            if let maxBytes = shaping.maxBytes, case let text = result.serialized(), text.utf8.count > maxBytes {
                return [
                    "truncated": true,
                    "text": .string(String(decoding: Array(text.utf8.prefix(maxBytes)), as: UTF8.self)),
                ]
            }
            return result
        }
        let count = items.count
        if let maxItems = shaping.maxItems, items.count > maxItems { items = Array(items.prefix(maxItems)) }
        var result = JSONObject([(shaping.itemsKey, .array(items.map(fields)))])
        if let next = nextCursor(
            json, headers: headers, requestURL: requestURL, cursor: cursor, count: count, limit: limit)
        {
            result["next_cursor"] = .string(next)
        }
        if let maxBytes = shaping.maxBytes {
            var shaped = items.map(fields)
            while !shaped.isEmpty, JSONValue.object(result).serialized().utf8.count > maxBytes {
                shaped.removeLast()
                result[shaping.itemsKey] = .array(shaped)
                result["truncated"] = true
            }
        }
        return .object(result)
    }

    func fields(_ item: JSONValue) -> JSONValue {
        guard let fields = operation.response.fields, case .object = item else { return item }
        return .object(JSONObject(fields.map { ($0.name, item.value(atPath: $0.path) ?? .null) }))
    }

    func nextCursor(
        _ json: JSONValue, headers: HTTPHeaders, requestURL: URL, cursor: String?, count: Int?, limit: Int?
    ) -> String? {
        switch operation.pagination {
        case .cursor(_, let next, let hasMore, _, _)?:
            if let hasMore, json.value(atPath: hasMore) != true { return nil }
            guard let value = json.value(atPath: next)?.scalarText, !value.isEmpty else { return nil }
            return value
        case .link?:
            guard let link = headers["link"] else { return nil }
            for part in link.split(separator: ",") {
                let text = String(part)
                guard text.range(of: #"rel="?next"?"#, options: .regularExpression) != nil,
                    let open = text.firstIndex(of: "<"), let close = text.firstIndex(of: ">"), open < close
                else { continue }
                let target = String(text[text.index(after: open)..<close])
                return URL(string: target, relativeTo: requestURL)?.absoluteURL.absoluteString
            }
            return nil
        case .offset(_, _, _, let total)?:
            guard let count, let limit, count > 0, count >= limit else { return nil }
            let next = (cursor.flatMap(Int.init) ?? 0) + count
            if let total, let all = json.value(atPath: total)?.intValue, next >= all { return nil }
            return String(next)
        case .page(_, let start, _, _, let total)?:
            guard let count, let limit, count > 0, count >= limit else { return nil }
            let page = cursor.flatMap(Int.init) ?? start
            if let total, let all = json.value(atPath: total)?.intValue, (page - start + 1) * limit >= all {
                return nil
            }
            return String(page + 1)
        case nil: return nil
        }
    }

    /// A `link` cursor: the next URL, accepted only on the base URL's origin and under its path. Under a `base_url`
    /// override (a proxy), a next URL on the service's own origin (`standard`) is taken to the override's origin.
    func linkCursor(_ cursor: String, base: URL, standard: URL?) throws -> URL {
        guard let url = URL(string: cursor) else {
            throw ToolError("\"cursor\" must be the next_cursor of a previous \(connector) page")
        }
        if url.scheme == base.scheme, url.host == base.host, url.port == base.port, url.path.hasPrefix(base.path) {
            return url
        }
        if let standard, url.scheme == standard.scheme, url.host == standard.host, url.port == standard.port,
            url.path.hasPrefix(standard.path), var components = URLComponents(url: url, resolvingAgainstBaseURL: false),
            let target = URLComponents(url: base, resolvingAgainstBaseURL: false)
        {
            components.scheme = target.scheme
            components.host = target.host
            components.port = target.port
            components.percentEncodedPath =
                target.percentEncodedPath + String(components.percentEncodedPath.dropFirst(standard.path.count))
            if let rewritten = components.url { return rewritten }
        }
        throw ToolError("\"cursor\" must be the next_cursor of a previous \(connector) page")
    }

    // MARK: Helpers

    /// `template` split into its origin (`https://{shop}.example.com`, `{site_url}`) and the API path after it.
    static func split(_ template: String) -> (origin: String, path: String) {
        if template.hasPrefix("{"), let close = template.firstIndex(of: "}") {
            let origin = String(template[...close])
            return (origin, String(template[template.index(after: close)...]))
        }
        guard let scheme = template.range(of: "://") else { return (template, "") }
        guard let slash = template[scheme.upperBound...].firstIndex(of: "/") else { return (template, "") }
        return (String(template[..<slash]), String(template[slash...]))
    }

    static func names(_ piece: ConnectorTemplate.Piece) -> String {
        if case .placeholder(let names) = piece { return names.joined(separator: "|") }
        return ""
    }

    /// Whether the whole of `value` matches `pattern`.
    static func matches(_ value: String, _ pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
        return regex.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
    }
}
