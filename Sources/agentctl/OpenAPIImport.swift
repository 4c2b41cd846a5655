import AgentRuntime
import Foundation
import Yams

/// Turns operations of an OpenAPI 3.0/3.1 document (JSON or YAML) into a connector definition to review and edit:
/// the server URL becomes `base_url` (its variables settings), the security scheme `auth`, path/query/header
/// parameters the arguments with their `path`, `query` and `headers` templates, a JSON request body the rest of the
/// arguments (`from_arguments`), the method the access level (GET read, others write). Examples, paging and
/// response shaping are left to the reviewer (the definition says so in `notes`).
enum OpenAPIImport {
    /// A document that cannot be imported as asked.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static let reviewNote = "imported from OpenAPI; add examples before shipping"

    /// Parses JSON, else YAML.
    static func parse(_ text: String) throws -> JSONValue {
        if let json = try? JSONParser.value(text) { return json }
        do {
            guard let node = try Yams.compose(yaml: text) else { throw Failure("the document is empty") }
            return value(node)
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure("the document is neither JSON nor YAML: \(error)")
        }
    }

    /// A YAML node as JSON (mapping order kept).
    static func value(_ node: Node) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            return .object(JSONObject(mapping.map { (key: $0.key.string ?? "\($0.key)", value: value($0.value)) }))
        case .sequence(let sequence):
            return .array(sequence.map(value))
        case .scalar(let scalar):
            // A quoted scalar is a string; a plain one is what the YAML core schema resolves it to.
            guard scalar.style == .plain || scalar.style == .any else { return .string(scalar.string) }
            if node.null != nil { return .null }
            if let bool = node.bool { return .bool(bool) }
            if let int = node.int { return .int(int) }
            if let double = node.float, !scalar.string.isEmpty { return .double(double) }
            return .string(scalar.string)
        default:
            return .null
        }
    }

    /// The definition, as the JSON of a `connectors/<id>.json` file.
    static func definition(
        _ document: JSONValue, operations wanted: [String], id given: String?, baseURL: String?
    )
        throws -> JSONValue
    {
        guard let version = document["openapi"]?.scalarText, version.hasPrefix("3.0") || version.hasPrefix("3.1") else {
            throw Failure(
                "not an OpenAPI 3.0 or 3.1 document (\"openapi\": \(document["openapi"]?.serialized() ?? "absent"))")
        }
        let title = document["info"]?["title"]?.stringValue ?? "Imported API"
        let id = given ?? slug(title)
        guard isID(id) else {
            throw Failure("\"\(id)\" is not a valid connector id (lower-case letters, digits, '_'); give --id")
        }

        // Every operation of the document, by operationId and by method_path.
        var found: [(key: String, path: String, method: String, item: JSONValue, operation: JSONValue)] = []
        if case .object(let paths)? = document["paths"] {
            for (path, item) in paths {
                for method in ["get", "post", "put", "patch", "delete"] {
                    guard let operation = item[method] else { continue }
                    let key = operation["operationId"]?.stringValue ?? "\(method)_\(path)"
                    found.append((key, path, method, item, operation))
                }
            }
        }
        var selected: [(key: String, path: String, method: String, item: JSONValue, operation: JSONValue)] = []
        for name in wanted {
            guard let match = found.first(where: { $0.key == name || snake($0.key) == name }) else {
                let known = found.map { snake($0.key) }.joined(separator: ", ")
                throw Failure("no operation \"\(name)\" in the document (operations: \(known))")
            }
            selected.append(match)
        }
        guard !selected.isEmpty else { throw Failure("give --operations with at least one operationId") }

        // The server: the first operation's, its path item's, or the document's.
        let servers = selected[0].operation["servers"] ?? selected[0].item["servers"] ?? document["servers"]
        var settings = JSONObject()
        var base = baseURL ?? servers?[0]?["url"]?.stringValue ?? ""
        if case .object(let variables)? = servers?[0]?["variables"], baseURL == nil {
            for (name, variable) in variables {
                var setting = JSONObject()
                if let text = variable["description"]?.stringValue { setting["description"] = .string(text) }
                if case .array(let choices)? = variable["enum"] {
                    let words = choices.compactMap(\.scalarText).map(NSRegularExpression.escapedPattern(for:))
                    setting["pattern"] = .string("^(\(words.joined(separator: "|")))$")
                } else {
                    setting["pattern"] = "^[A-Za-z0-9.-]+$"
                }
                if let value = variable["default"]?.scalarText {
                    setting["default"] = .string(value)
                    setting["example"] = .string(value)
                }
                settings[snake(name)] = .object(setting)
                base = base.replacingOccurrences(of: "{\(name)}", with: "{\(snake(name))}")
            }
        }
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("https://") || base.hasPrefix("http://") else {
            throw Failure("the server URL \"\(base)\" is not absolute; give --base-url https://...")
        }
        let host =
            URL(string: base.replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: ""))?
            .host ?? ""
        var allowedHost = host
        if base.contains("{"), let origin = base.split(separator: "/").dropFirst(1).first,
            let dot = origin.firstIndex(of: "."), origin[..<dot].contains("{")
        {
            allowedHost = "*" + String(origin[dot...])
        }

        // Authentication from the first security requirement.
        var secrets = JSONObject()
        var auth: JSONValue = ["type": "none"]
        let security = selected[0].operation["security"] ?? document["security"]
        if let requirement = security?[0], case .object(let schemes) = requirement, let name = schemes.keys.first,
            let scheme = document["components"]?["securitySchemes"]?[name]
        {
            let described = scheme["description"]?.stringValue
            func secret(_ name: String, _ text: String) {
                secrets[name] = ["description": .string(described ?? text)]
            }
            switch (scheme["type"]?.stringValue, scheme["scheme"]?.stringValue?.lowercased(), scheme["in"]?.stringValue)
            {
            case ("http", "bearer", _), ("openIdConnect", _, _):
                secret("access_token", "Bearer token")
                auth = ["type": "bearer", "token": "{secrets.access_token}"]
            case ("http", "basic", _):
                secret("username", "User name")
                secret("password", "Password")
                auth = ["type": "basic", "username": "{secrets.username}", "password": "{secrets.password}"]
            case ("apiKey", _, "header"):
                secret("api_key", "API key")
                auth = [
                    "type": "header", "name": .string(scheme["name"]?.stringValue ?? "X-Api-Key"),
                    "value": "{secrets.api_key}",
                ]
            case ("apiKey", _, "query"):
                secret("api_key", "API key")
                auth = [
                    "type": "query",
                    "params": .object(JSONObject([(scheme["name"]?.stringValue ?? "api_key", "{secrets.api_key}")])),
                ]
            case ("oauth2", _, _):
                secret("access_token", "OAuth 2 access token")
                var oauth: JSONObject = ["type": "oauth2", "token": "{secrets.access_token}"]
                let flows = scheme["flows"]
                if let tokenURL = (flows?["authorizationCode"] ?? flows?["clientCredentials"] ?? flows?["password"])?[
                    "tokenUrl"]?
                    .stringValue
                {
                    secret("refresh_token", "OAuth 2 refresh token")
                    secret("client_id", "OAuth 2 client id")
                    secret("client_secret", "OAuth 2 client secret")
                    oauth["refresh"] = [
                        "token_url": .string(tokenURL), "refresh_token": "refresh_token", "client_id": "client_id",
                        "client_secret": "client_secret",
                    ]
                }
                auth = .object(oauth)
            default: break
            }
        }

        let operations = try selected.map { try operation($0.path, $0.method, $0.key, $0.item, $0.operation, document) }
        var definition = JSONObject()
        definition["$schema"] = "./schema/connector.schema.json"
        definition["id"] = .string(id)
        definition["name"] = .string(title)
        definition["description"] = .string(
            oneLine(document["info"]?["description"]?.stringValue ?? document["info"]?["summary"]?.stringValue ?? title)
        )
        if let docs = document["externalDocs"]?["url"]?.stringValue ?? document["info"]?["contact"]?["url"]?.stringValue
        {
            definition["docs_url"] = .string(docs)
        }
        definition["base_url"] = .string(base)
        if !settings.members.isEmpty { definition["settings"] = .object(settings) }
        if !allowedHost.isEmpty { definition["allowed_hosts"] = [.string(allowedHost)] }
        if !secrets.members.isEmpty { definition["secrets"] = .object(secrets) }
        definition["auth"] = auth
        definition["headers"] = ["Accept": "application/json"]
        definition["notes"] = .string(reviewNote)
        definition["operations"] = .array(operations)
        return .object(definition)
    }

    /// One operation.
    static func operation(
        _ path: String, _ method: String, _ key: String, _ item: JSONValue, _ operation: JSONValue,
        _ document: JSONValue
    ) throws -> JSONValue {
        var properties = JSONObject()
        var required: [JSONValue] = []
        var query = JSONObject()
        var headers = JSONObject()
        var template = path
        var excluded: [JSONValue] = []
        let parameters = (item["parameters"]?.arrayValue ?? []) + (operation["parameters"]?.arrayValue ?? [])
        for raw in parameters {
            let parameter = resolve(raw, document)
            guard let name = parameter["name"]?.stringValue, let place = parameter["in"]?.stringValue else { continue }
            guard place != "cookie" else { continue }
            let argument = argumentName(name)
            var schema = resolve(parameter["schema"] ?? ["type": "string"], document)
            if case .object(var object) = schema, let text = parameter["description"]?.stringValue,
                object["description"] == nil
            {
                object["description"] = .string(oneLine(text))
                schema = .object(object)
            }
            properties[argument] = schema
            excluded.append(.string(argument))
            if parameter["required"] == true || place == "path" { required.append(.string(argument)) }
            switch place {
            case "path": template = template.replacingOccurrences(of: "{\(name)}", with: "{\(argument)}")
            case "query": query[name] = .string("{\(argument)}")
            case "header": headers[name] = .string("{\(argument)}")
            default: break
            }
        }
        var body: JSONValue = .null
        if let content = resolve(operation["requestBody"] ?? .null, document)["content"] {
            let form = content["application/x-www-form-urlencoded"]
            if let media = content["application/json"] ?? form {
                let schema = resolve(media["schema"] ?? [:], document)
                let encoding: JSONValue = form != nil && content["application/json"] == nil ? "form" : "json"
                if schema["type"] == "object" || schema["properties"] != nil,
                    case .object(let fields)? = schema["properties"]
                {
                    for (name, field) in fields where properties[name] == nil { properties[name] = field }
                    for name in schema["required"]?.arrayValue ?? [] where !required.contains(name) {
                        required.append(name)
                    }
                    var object: JSONObject = ["encoding": encoding, "from_arguments": true]
                    if !excluded.isEmpty { object["exclude"] = .array(excluded) }
                    body = .object(object)
                } else {
                    properties["body"] = schema
                    required.append("body")
                    body = ["encoding": encoding, "value": "{body}"]
                }
            }
        }
        var result = JSONObject()
        result["id"] = .string(snake(key))
        let summary = operation["summary"]?.stringValue
        let details = operation["description"]?.stringValue
        result["description"] = .string(
            oneLine([summary, details].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ". ")).nonEmpty
                ?? "\(method.uppercased()) \(path)")
        result["access"] = method == "get" ? "read" : "write"
        result["method"] = .string(method.uppercased())
        result["path"] = .string(template)
        var schema: JSONObject = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required) }
        result["parameters"] = .object(schema)
        if !query.members.isEmpty { result["query"] = .object(query) }
        if !headers.members.isEmpty { result["headers"] = .object(headers) }
        if body != .null { result["body"] = body }
        result["notes"] = .string(reviewNote)
        return .object(result)
    }

    /// `value` with local `$ref`s (`#/components/...`) replaced by what they point to, to a bounded depth.
    static func resolve(_ value: JSONValue, _ document: JSONValue, depth: Int = 0) -> JSONValue {
        guard depth < 12 else { return [:] }
        switch value {
        case .object(let object):
            if let reference = object["$ref"]?.stringValue, reference.hasPrefix("#/") {
                var target: JSONValue? = document
                for part in reference.dropFirst(2).split(separator: "/") {
                    target =
                        target?[
                            String(part).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(
                                of: "~0", with: "~")]
                }
                return resolve(target ?? [:], document, depth: depth + 1)
            }
            return .object(
                JSONObject(object.map { (key: $0.key, value: resolve($0.value, document, depth: depth + 1)) }))
        case .array(let items): return .array(items.map { resolve($0, document, depth: depth + 1) })
        default: return value
        }
    }

    /// `listDeals` → `list_deals`; other characters become `_`.
    static func snake(_ text: String) -> String {
        var output = ""
        var previousLower = false
        for scalar in text.unicodeScalars {
            if ("A"..."Z").contains(scalar) {
                if previousLower { output += "_" }
                output += String(scalar).lowercased()
                previousLower = false
            } else if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                output.unicodeScalars.append(scalar)
                previousLower = true
            } else {
                if !output.hasSuffix("_") && !output.isEmpty { output += "_" }
                previousLower = false
            }
        }
        while output.hasSuffix("_") { output.removeLast() }
        if let first = output.unicodeScalars.first, !("a"..."z").contains(first) { output = "op_" + output }
        return output
    }

    /// A connector id from a title (`Open-Meteo Elevation API` → `open_meteo_elevation_api`).
    static func slug(_ title: String) -> String { snake(title.lowercased()) }

    /// A tool argument name for a parameter name (`filter[status]` → `filter_status`).
    static func argumentName(_ name: String) -> String {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
        }
        return allowed && !(name.first?.isNumber ?? true) ? name : snake(name)
    }

    static func isID(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
