import AgentRuntime
import Foundation

/// Decodes and validates connector definition files (`connectors/<id>.json`, format v1): every problem is a
/// ``Diagnostic`` with file, line and column — unknown fields with suggestions, types, ids, undeclared
/// `{placeholders}`, path arguments, pagination and auth consistency, regular expressions that do not compile,
/// duplicate operation ids.
public enum ConnectorFileDecoder {
    /// Decodes one file. `stem` is the file name without `.json`; the definition is nil when the file has errors.
    public static func decode(
        _ bytes: [UInt8]?, displayPath: String, stem: String
    ) -> (
        ConnectorDefinition?, [Diagnostic]
    ) {
        let (parsed, problems) = DefinitionReader.parse(bytes, displayPath: displayPath)
        guard let document = parsed else { return (nil, problems) }
        var checker = ConnectorChecker(reader: DefinitionReader(file: displayPath, document: document), stem: stem)
        checker.check(document.root)
        var diagnostics = checker.reader.diagnostics
        guard !checker.reader.hasErrors else { return (nil, diagnostics) }
        do {
            return (try ConnectorDefinition(json: document.root.value), diagnostics)
        } catch {
            diagnostics.append(
                Diagnostic(
                    file: displayPath, line: 1, column: 1, severity: .error, code: .invalidFormat,
                    message: error.message, pointer: ""))
            return (nil, diagnostics)
        }
    }

    /// Whether `text` is a valid connector, operation or setting id: `^[a-z][a-z0-9_]*$`.
    public static func isValidID(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}

/// The connectors of a `connectors/` directory, loaded and validated.
public struct ConnectorCatalog: Sendable {
    /// The definitions that loaded without errors, sorted by id.
    public let definitions: [ConnectorDefinition]
    /// Every problem found.
    public let diagnostics: [Diagnostic]
    /// Each loaded definition's file (display path), by connector id.
    public let files: [String: String]
    /// How many files were read.
    public let fileCount: Int

    /// Creates a catalog from its parts.
    public init(
        definitions: [ConnectorDefinition], diagnostics: [Diagnostic] = [], files: [String: String] = [:],
        fileCount: Int = 0
    ) {
        self.definitions = definitions.sorted { $0.id < $1.id }
        self.diagnostics = diagnostics
        self.files = files
        self.fileCount = fileCount
    }

    /// No connectors.
    public static let empty = ConnectorCatalog(definitions: [])

    /// The definition with `id`.
    public func definition(_ id: String) -> ConnectorDefinition? { definitions.first { $0.id == id } }

    /// Every defined tool's spec.
    public var specs: [ToolSpec] { definitions.flatMap(\.specs) }

    /// Every defined tool's id.
    public var toolIDs: Set<ToolID> { Set(specs.map(\.id)) }

    /// Loads `directory/*.json` (following symlinks; a missing directory is an empty catalog). `reservedIDs` are
    /// connectors that exist already (written in Swift): a file may not redefine one.
    public static func load(
        _ directory: URL, displayBase: URL? = nil, reservedIDs: Set<String> = []
    ) -> ConnectorCatalog {
        let resolved = directory.resolvingSymlinksInPath()
        let files =
            ((try? FileManager.default.contentsOfDirectory(at: resolved, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "json" && !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        var definitions: [ConnectorDefinition] = []
        var diagnostics: [Diagnostic] = []
        var paths: [String: String] = [:]
        for file in files {
            let shown = directory.appendingPathComponent(file.lastPathComponent)
            var display = shown.standardizedFileURL.path
            if let base = displayBase?.standardizedFileURL.path, display.hasPrefix(base + "/") {
                display = String(display.dropFirst(base.count + 1))
            }
            let (definition, found) = ConnectorFileDecoder.decode(
                (try? Data(contentsOf: file.resolvingSymlinksInPath())).map { [UInt8]($0) }, displayPath: display,
                stem: file.deletingPathExtension().lastPathComponent)
            diagnostics += found
            guard let definition else { continue }
            if reservedIDs.contains(definition.id) {
                diagnostics.append(
                    Diagnostic(
                        file: display, line: 1, column: 1, severity: .error, code: .duplicateID,
                        message: "connector \"\(definition.id)\" is built in; a file cannot redefine it", pointer: "/id"
                    ))
                continue
            }
            definitions.append(definition)
            paths[definition.id] = display
        }
        return ConnectorCatalog(
            definitions: definitions, diagnostics: diagnostics, files: paths, fileCount: files.count)
    }
}

/// The checks of one connector file.
struct ConnectorChecker {
    var reader: DefinitionReader
    let stem: String
    var settingNames: Set<String> = []
    var secretNames: Set<String> = []

    init(reader: DefinitionReader, stem: String) {
        self.reader = reader
        self.stem = stem
    }

    static let required = ["id", "name", "description", "base_url", "operations"]

    mutating func check(_ root: JSONNode) {
        guard
            let fields = reader.object(
                root, at: .root, what: "connector", allowed: ConnectorDefinition.fields, required: Self.required)
        else { return }
        if let id = reader.string(fields, "id"), let member = fields["id"] {
            if checkName(id, at: member.value.offset, JSONPointer.root.appending("id"), what: "connector id"),
                id != stem
            {
                reader.error(
                    .idMismatch, "id \"\(id)\" does not match the file name \"\(stem).json\"",
                    at: member.value.offset, JSONPointer.root.appending("id"))
            }
        }
        _ = reader.string(fields, "name")
        _ = reader.string(fields, "description")
        _ = reader.string(fields, "category")
        _ = reader.string(fields, "docs_url")
        _ = reader.string(fields, "notes")

        // Settings and secrets first: the templates refer to them.
        if let settings = objectMembers(fields, "settings", what: "\"settings\"") {
            for entry in settings {
                let pointer = JSONPointer.root.appending("settings").appending(entry.key)
                checkName(entry.key, at: entry.keyOffset, pointer, what: "setting name")
                settingNames.insert(entry.key)
                guard
                    let setting = reader.object(
                        entry.value, at: pointer, what: "setting \"\(entry.key)\"",
                        allowed: ["description", "required", "pattern", "example", "default"], required: [])
                else { continue }
                _ = reader.string(setting, "description")
                _ = reader.bool(setting, "required")
                if let pattern = reader.string(setting, "pattern"), let member = setting["pattern"] {
                    checkPattern(pattern, at: member.value.offset, pointer.appending("pattern"))
                    for key in ["example", "default"] {
                        if let value = setting[key]?.value.value.scalarText, !DefinedPattern.matches(value, pattern) {
                            reader.warning(
                                .invalidValue, "setting \"\(entry.key)\" \(key) \"\(value)\" does not match \(pattern)",
                                at: setting[key]!.value.offset, pointer.appending(key))
                        }
                    }
                }
            }
        }
        if let secrets = objectMembers(fields, "secrets", what: "\"secrets\"") {
            for entry in secrets {
                let pointer = JSONPointer.root.appending("secrets").appending(entry.key)
                checkName(entry.key, at: entry.keyOffset, pointer, what: "secret name")
                secretNames.insert(entry.key)
                if let secret = reader.object(
                    entry.value, at: pointer, what: "secret \"\(entry.key)\"", allowed: ["description"], required: [])
                {
                    _ = reader.string(secret, "description")
                }
            }
        }
        if let baseURL = reader.string(fields, "base_url"), let member = fields["base_url"] {
            checkConnectionTemplate(baseURL, at: member.value.offset, JSONPointer.root.appending("base_url"))
            let rendered = ConnectorTemplate.render(baseURL) { _ in "x" } ?? baseURL
            if !(baseURL.hasPrefix("{") || rendered.hasPrefix("https://") || rendered.hasPrefix("http://")) {
                reader.error(
                    .invalidFormat, "base_url must start with https:// (or be a {setting} or {secrets.name} URL)",
                    at: member.value.offset, JSONPointer.root.appending("base_url"))
            }
            for name in ConnectorTemplate.names(DefinedPattern.origin(of: baseURL))
            where settingNames.contains(name) {
                if case .object(let settings)? = fields["settings"]?.value.value, settings[name]?["pattern"] == nil {
                    reader.warning(
                        .invalidFormat,
                        "setting \"\(name)\" makes the base URL's host; give it a \"pattern\" so a tenant cannot point it elsewhere",
                        at: member.value.offset, JSONPointer.root.appending("base_url"))
                }
            }
        }
        if let hosts = reader.stringArray(fields, "allowed_hosts") {
            for host in hosts where host.value.isEmpty || host.value.contains("/") || host.value.contains(":") {
                reader.error(
                    .invalidFormat,
                    "allowed host \"\(host.value)\" must be a host name like api.example.com or *.example.com",
                    at: host.offset, host.pointer)
            }
        }
        checkAuth(fields)
        if let headers = objectMembers(fields, "headers", what: "\"headers\"") {
            for entry in headers {
                let pointer = JSONPointer.root.appending("headers").appending(entry.key)
                guard case .string(let value) = entry.value.content else {
                    reader.typeMismatch(entry.value, expected: "a string", at: pointer, what: "header \"\(entry.key)\"")
                    continue
                }
                checkConnectionTemplate(value, at: entry.value.offset, pointer)
            }
        }
        if let member = fields["rate_limit"],
            let limit = reader.object(
                member.value, at: JSONPointer.root.appending("rate_limit"), what: "\"rate_limit\"",
                allowed: ["requests_per_second", "retry_after_header"], required: [])
        {
            _ = reader.number(limit, "requests_per_second", range: 0.001...100_000)
            _ = reader.string(limit, "retry_after_header")
        }
        checkErrors(fields)
        for key in ["example_settings", "example_secrets"] {
            let declared = key == "example_settings" ? settingNames.union(["base_url"]) : secretNames
            guard let entries = objectMembers(fields, key, what: "\"\(key)\"") else { continue }
            for entry in entries {
                let pointer = JSONPointer.root.appending(key).appending(entry.key)
                if !declared.contains(entry.key) {
                    reader.error(
                        .undeclaredPlaceholder,
                        "\"\(entry.key)\" is not declared under \"\(key == "example_settings" ? "settings" : "secrets")\"\(NameSuggestion.didYouMean(entry.key, in: declared))",
                        at: entry.keyOffset, pointer)
                }
                if entry.value.value.scalarText == nil {
                    reader.typeMismatch(entry.value, expected: "a string", at: pointer, what: "\"\(entry.key)\"")
                }
            }
        }
        checkOperations(fields)
    }

    // MARK: Connection

    mutating func checkAuth(_ fields: Fields) {
        guard let member = fields["auth"] else { return }
        let pointer = JSONPointer.root.appending("auth")
        guard case .object(let members) = member.value.content else {
            reader.typeMismatch(member.value, expected: "an object", at: pointer, what: "\"auth\"")
            return
        }
        let types = ["bearer", "basic", "header", "query", "oauth2", "none"]
        guard let typeMember = members.first(where: { $0.key == "type" }),
            case .string(let type) = typeMember.value.content
        else {
            reader.error(
                .missingField, "missing required field \"type\" in \"auth\" (\(types.joined(separator: ", ")))",
                at: member.value.offset, pointer.appending("type"))
            return
        }
        let allowed: [String: [String]] = [
            "bearer": ["token"], "basic": ["username", "password"], "header": ["name", "value"], "query": ["params"],
            "oauth2": ["token", "refresh"], "none": [],
        ]
        guard let fieldsOfType = allowed[type] else {
            reader.error(
                .invalidValue,
                "auth type \"\(type)\" is not one of \(types.joined(separator: ", "))\(NameSuggestion.didYouMean(type, in: types))",
                at: typeMember.value.offset, pointer.appending("type"))
            return
        }
        let required: [String] =
            switch type {
            case "bearer": ["token"]
            case "basic": ["username", "password"]
            case "header": ["name", "value"]
            case "query": ["params"]
            default: []
            }
        guard
            let auth = reader.object(
                member.value, at: pointer, what: "\(type) auth", allowed: ["type"] + fieldsOfType, required: required)
        else { return }
        for key in ["token", "username", "password", "value"] {
            if let value = reader.string(auth, key, nonEmpty: key == "token" || key == "value"), let at = auth[key] {
                checkConnectionTemplate(value, at: at.value.offset, pointer.appending(key))
            }
        }
        _ = reader.string(auth, "name")
        if let params = auth["params"] {
            if case .object(let entries) = params.value.content {
                for entry in entries {
                    let entryPointer = pointer.appending("params").appending(entry.key)
                    guard case .string(let value) = entry.value.content else {
                        reader.typeMismatch(
                            entry.value, expected: "a string", at: entryPointer, what: "query auth parameter")
                        continue
                    }
                    checkConnectionTemplate(value, at: entry.value.offset, entryPointer)
                }
            } else {
                reader.typeMismatch(
                    params.value, expected: "an object", at: pointer.appending("params"), what: "\"params\"")
            }
        }
        if let refresh = auth["refresh"] {
            let refreshPointer = pointer.appending("refresh")
            if let object = reader.object(
                refresh.value, at: refreshPointer, what: "\"refresh\"",
                allowed: ["token_url", "refresh_token", "client_id", "client_secret"], required: ["token_url"])
            {
                if let url = reader.string(object, "token_url"), let at = object["token_url"] {
                    checkConnectionTemplate(url, at: at.value.offset, refreshPointer.appending("token_url"))
                }
                for key in ["refresh_token", "client_id", "client_secret"] {
                    guard let name = reader.string(object, key), let at = object[key] else { continue }
                    if name != key {
                        reader.error(
                            .invalidValue,
                            "oauth2 refresh \"\(key)\" must name the secret \"\(key)\" (the OAuth token cache reads the standard names)",
                            at: at.value.offset, refreshPointer.appending(key))
                    } else if !secretNames.contains(name) {
                        reader.error(
                            .undeclaredPlaceholder, "secret \"\(name)\" is not declared under \"secrets\"",
                            at: at.value.offset, refreshPointer.appending(key))
                    }
                }
            }
            if let token = auth["token"]?.value.value.stringValue, token != "{secrets.access_token}" {
                reader.error(
                    .invalidValue,
                    "an oauth2 auth with \"refresh\" sends the secret access_token: write \"token\": \"{secrets.access_token}\"",
                    at: auth["token"]!.value.offset, pointer.appending("token"))
            }
        }
    }

    /// A template over settings (`{name}`) and secrets (`{secrets.name}`).
    mutating func checkConnectionTemplate(_ text: String, at offset: Int, _ pointer: JSONPointer) {
        for name in ConnectorTemplate.names(text) {
            if name.hasPrefix("secrets.") {
                let secret = String(name.dropFirst(8))
                if !secretNames.contains(secret) {
                    reader.error(
                        .undeclaredPlaceholder,
                        "{\(name)}: secret \"\(secret)\" is not declared under \"secrets\"\(NameSuggestion.didYouMean(secret, in: secretNames))",
                        at: offset, pointer)
                }
            } else if !settingNames.contains(name) && name != "base_url" {
                reader.error(
                    .undeclaredPlaceholder,
                    "{\(name)}: setting \"\(name)\" is not declared under \"settings\"\(NameSuggestion.didYouMean(name, in: settingNames))",
                    at: offset, pointer)
            }
        }
    }

    mutating func checkErrors(_ fields: Fields) {
        guard let member = fields["errors"] else { return }
        let pointer = JSONPointer.root.appending("errors")
        guard
            let errors = reader.object(
                member.value, at: pointer, what: "\"errors\"",
                allowed: ["message", "code", "failure", "hints", "details", "append", "transient_codes"], required: [])
        else { return }
        if let message = errors["message"] {
            switch message.value.content {
            case .string: break
            case .array: _ = reader.stringArray(errors, "message")
            default:
                reader.typeMismatch(
                    message.value, expected: "a path or a list of paths", at: pointer.appending("message"),
                    what: "\"message\"")
            }
        }
        _ = reader.string(errors, "code")
        _ = reader.string(errors, "append")
        _ = reader.stringArray(errors, "details")
        _ = reader.stringArray(errors, "transient_codes")
        if let hints = objectMembers(errors, "hints", what: "\"hints\"") {
            for entry in hints where entry.value.value.stringValue == nil {
                reader.typeMismatch(
                    entry.value, expected: "a string", at: pointer.appending("hints").appending(entry.key), what: "hint"
                )
            }
            if errors["code"] == nil {
                reader.error(
                    .missingField, "\"hints\" need \"code\" (the path of the code they are keyed by)",
                    at: member.value.offset, pointer.appending("code"))
            }
        }
        if let failure = errors["failure"],
            let object = reader.object(
                failure.value, at: pointer.appending("failure"), what: "\"failure\"", allowed: ["path", "equals"],
                required: ["path", "equals"])
        {
            _ = reader.string(object, "path", nonEmpty: false)
        }
    }

    // MARK: Operations

    mutating func checkOperations(_ fields: Fields) {
        guard let member = fields["operations"] else { return }
        let pointer = JSONPointer.root.appending("operations")
        guard case .array(let items) = member.value.content else {
            reader.typeMismatch(member.value, expected: "an array of operations", at: pointer, what: "\"operations\"")
            return
        }
        if items.isEmpty {
            reader.error(
                .emptyValue, "\"operations\" must list at least one operation", at: member.value.offset, pointer)
        }
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let itemPointer = pointer.appending(index)
            guard
                let operation = reader.object(
                    item, at: itemPointer, what: "operation", allowed: ConnectorOperationDefinition.fields,
                    required: ["id", "description", "access", "method", "path"])
            else { continue }
            if let id = reader.string(operation, "id"), let at = operation["id"] {
                if !checkName(id, at: at.value.offset, itemPointer.appending("id"), what: "operation id") {
                } else if let first = seen[id] {
                    reader.error(
                        .duplicateID, "operation id \"\(id)\" is used twice (also at index \(first))",
                        at: at.value.offset,
                        itemPointer.appending("id"))
                } else {
                    seen[id] = index
                }
            }
            checkOperation(operation, at: itemPointer)
        }
    }

    mutating func checkOperation(_ operation: Fields, at pointer: JSONPointer) {
        _ = reader.string(operation, "description")
        _ = reader.string(operation, "notes")
        _ = reader.string(operation, "missing_path_message")
        _ = reader.string(operation, "idempotency_key")
        _ = reader.bool(operation, "approval")
        let access = reader.string(operation, "access")
        if let access, ToolAccess(rawValue: access) == nil, let at = operation["access"] {
            reader.error(
                .invalidValue, "access \"\(access)\" must be read, write or admin", at: at.value.offset,
                pointer.appending("access"))
        }
        let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        if let method = reader.string(operation, "method"), !methods.contains(method), let at = operation["method"] {
            reader.error(
                .invalidValue, "method \"\(method)\" must be one of \(methods.joined(separator: ", "))",
                at: at.value.offset, pointer.appending("method"))
        }

        // Parameters: a JSON Schema object; its properties are the arguments templates may use.
        var arguments = Set<String>()
        if let member = operation["parameters"] {
            let parametersPointer = pointer.appending("parameters")
            let schema = member.value.value
            if case .object(let object) = schema {
                if object["type"] != "object" {
                    reader.error(
                        .invalidValue, "\"parameters\" must be a JSON Schema with \"type\": \"object\"",
                        at: member.value.offset, parametersPointer)
                }
                if case .object(let properties)? = object["properties"] {
                    arguments = Set(properties.keys)
                }
                if case .array(let required)? = object["required"] {
                    for name in required.compactMap(\.stringValue) where !arguments.contains(name) {
                        reader.error(
                            .undeclaredPlaceholder, "required argument \"\(name)\" is not in \"properties\"",
                            at: member.value.offset, parametersPointer)
                    }
                }
                checkSchemaPatterns(member.value, at: parametersPointer)
            } else {
                reader.typeMismatch(
                    member.value, expected: "a JSON Schema object", at: parametersPointer, what: "\"parameters\"")
            }
        }
        let openArguments =
            operation["parameters"].map {
                if case .object(let schema) = $0.value.value, let extra = schema["additionalProperties"] {
                    return extra != false
                }
                return false
            } ?? false
        let paginated =
            operation["pagination"].map { if case .null = $0.value.content { false } else { true } } ?? false
        var usable = arguments
        if paginated { usable.insert("cursor") }

        // Path: one template or a list of alternatives.
        if let member = operation["path"] {
            let pathPointer = pointer.appending("path")
            var templates: [(String, Int, JSONPointer)] = []
            switch member.value.content {
            case .string(let text): templates = [(text, member.value.offset, pathPointer)]
            case .array(let items):
                for (index, item) in items.enumerated() {
                    if case .string(let text) = item.content {
                        templates.append((text, item.offset, pathPointer.appending(index)))
                    } else {
                        reader.typeMismatch(item, expected: "a string", at: pathPointer.appending(index), what: "path")
                    }
                }
            default:
                reader.typeMismatch(
                    member.value, expected: "a path or a list of paths", at: pathPointer, what: "\"path\"")
            }
            for (text, offset, at) in templates {
                if !text.isEmpty, !text.hasPrefix("/") {
                    reader.error(.invalidFormat, "path \"\(text)\" must start with /", at: offset, at)
                }
                if text.contains("?") || text.contains("#") {
                    reader.error(
                        .invalidFormat, "path \"\(text)\" must not hold a query or fragment: use \"query\"", at: offset,
                        at)
                }
                for name in ConnectorTemplate.names(text) where !arguments.contains(name) {
                    reader.error(
                        .undeclaredPlaceholder,
                        "path argument {\(name)} is not declared in \"parameters\".properties\(NameSuggestion.didYouMean(name, in: arguments))",
                        at: offset, at)
                }
            }
        }
        for key in ["query", "headers"] {
            guard let entries = objectMembers(operation, key, what: "\"\(key)\"") else { continue }
            for entry in entries {
                let at = pointer.appending(key).appending(entry.key)
                guard case .string(let value) = entry.value.content else {
                    reader.typeMismatch(entry.value, expected: "a string template", at: at, what: "\"\(entry.key)\"")
                    continue
                }
                checkArgumentTemplate(value, arguments: usable, at: entry.value.offset, at)
            }
        }
        if let defaults = objectMembers(operation, "defaults", what: "\"defaults\"") {
            for entry in defaults where !arguments.contains(entry.key) {
                reader.error(
                    .undeclaredPlaceholder,
                    "default for \"\(entry.key)\", which is not an argument declared in \"parameters\".properties\(NameSuggestion.didYouMean(entry.key, in: arguments))",
                    at: entry.keyOffset, pointer.appending("defaults").appending(entry.key))
            }
        }
        checkBody(operation, arguments: usable, at: pointer)
        checkResponse(operation, at: pointer)
        checkPagination(operation, at: pointer, method: operation["method"]?.value.value.stringValue)
        checkExamples(operation, arguments: openArguments ? nil : usable, at: pointer)
    }

    mutating func checkArgumentTemplate(_ text: String, arguments: Set<String>, at offset: Int, _ pointer: JSONPointer)
    {
        for name in ConnectorTemplate.names(text) where !arguments.contains(name) {
            reader.error(
                .undeclaredPlaceholder,
                "{\(name)} is not an argument declared in \"parameters\".properties\(NameSuggestion.didYouMean(name, in: arguments))",
                at: offset, pointer)
        }
    }

    mutating func checkBody(_ operation: Fields, arguments: Set<String>, at pointer: JSONPointer) {
        guard let member = operation["body"], case .object = member.value.content else {
            if let member = operation["body"], case .null = member.value.content { return }
            if let member = operation["body"] {
                reader.typeMismatch(
                    member.value, expected: "an object or null", at: pointer.appending("body"), what: "\"body\"")
            }
            return
        }
        let bodyPointer = pointer.appending("body")
        guard
            let body = reader.object(
                member.value, at: bodyPointer, what: "\"body\"",
                allowed: ["encoding", "value", "from_arguments", "exclude", "wrap"], required: ["encoding"])
        else { return }
        if let encoding = reader.string(body, "encoding"), !["json", "form"].contains(encoding),
            let at = body["encoding"]
        {
            reader.error(
                .invalidValue, "body encoding \"\(encoding)\" must be json or form", at: at.value.offset,
                bodyPointer.appending("encoding"))
        }
        let fromArguments = reader.bool(body, "from_arguments") ?? false
        _ = reader.string(body, "wrap")
        if let excluded = reader.stringArray(body, "exclude") {
            for name in excluded where !arguments.contains(name.value) {
                reader.error(
                    .undeclaredPlaceholder, "excluded argument \"\(name.value)\" is not declared", at: name.offset,
                    name.pointer)
            }
        }
        if fromArguments == (body["value"] != nil) {
            reader.error(
                .invalidValue, "a body has either \"value\" (a template) or \"from_arguments\": true",
                at: member.value.offset,
                bodyPointer)
        }
        if let value = body["value"] {
            checkBodyTemplate(value.value, arguments: arguments, at: bodyPointer.appending("value"))
        }
    }

    mutating func checkBodyTemplate(_ node: JSONNode, arguments: Set<String>, at pointer: JSONPointer) {
        switch node.content {
        case .string(let text): checkArgumentTemplate(text, arguments: arguments, at: node.offset, pointer)
        case .object(let members):
            for member in members {
                checkBodyTemplate(member.value, arguments: arguments, at: pointer.appending(member.key))
            }
        case .array(let items):
            for (index, item) in items.enumerated() {
                checkBodyTemplate(item, arguments: arguments, at: pointer.appending(index))
            }
        default: break
        }
    }

    mutating func checkResponse(_ operation: Fields, at pointer: JSONPointer) {
        guard let member = operation["response"] else { return }
        if case .null = member.value.content { return }
        let responsePointer = pointer.appending("response")
        guard
            let response = reader.object(
                member.value, at: responsePointer, what: "\"response\"",
                allowed: ["select", "fields", "max_items", "max_bytes", "items_key"], required: [])
        else { return }
        _ = reader.string(response, "select", nonEmpty: false)
        _ = reader.string(response, "items_key")
        _ = reader.integer(response, "max_items", range: 1...100_000)
        _ = reader.integer(response, "max_bytes", range: 100...10_000_000)
        if let fields = response["fields"] {
            switch fields.value.content {
            case .array: _ = reader.stringArray(response, "fields")
            case .object(let entries):
                for entry in entries where entry.value.value.stringValue == nil {
                    reader.typeMismatch(
                        entry.value, expected: "a path", at: responsePointer.appending("fields").appending(entry.key),
                        what: "field")
                }
            default:
                reader.typeMismatch(
                    fields.value, expected: "a list of paths or an object of name → path",
                    at: responsePointer.appending("fields"), what: "\"fields\"")
            }
        }
    }

    mutating func checkPagination(_ operation: Fields, at pointer: JSONPointer, method: String?) {
        guard let member = operation["pagination"] else { return }
        if case .null = member.value.content { return }
        let paginationPointer = pointer.appending("pagination")
        guard case .object(let members) = member.value.content,
            let typeMember = members.first(where: { $0.key == "type" }),
            case .string(let type) = typeMember.value.content
        else {
            reader.error(
                .missingField, "\"pagination\" must be an object with a \"type\" (cursor, link, offset, page)",
                at: member.value.offset, paginationPointer)
            return
        }
        let allowed: [String: (allowed: [String], required: [String])] = [
            "cursor": (["param", "next", "has_more", "in", "pattern"], ["param", "next"]),
            "link": ([], []),
            "offset": (["param", "limit_param", "page_size", "total"], ["param"]),
            "page": (["param", "start", "limit_param", "page_size", "total"], ["param"]),
        ]
        guard let shape = allowed[type] else {
            reader.error(
                .invalidValue,
                "pagination type \"\(type)\" must be cursor, link, offset or page\(NameSuggestion.didYouMean(type, in: allowed.keys))",
                at: typeMember.value.offset, paginationPointer.appending("type"))
            return
        }
        guard
            let pagination = reader.object(
                member.value, at: paginationPointer, what: "\(type) pagination", allowed: ["type"] + shape.allowed,
                required: shape.required)
        else { return }
        for key in ["param", "next", "has_more", "limit_param", "total"] { _ = reader.string(pagination, key) }
        _ = reader.integer(pagination, "page_size", range: 1...100_000)
        _ = reader.integer(pagination, "start", range: 0...1)
        if let place = reader.string(pagination, "in"), place != "body", place != "query", let at = pagination["in"] {
            reader.error(
                .invalidValue, "\"in\" must be query or body", at: at.value.offset, paginationPointer.appending("in"))
        }
        if let pattern = reader.string(pagination, "pattern"), let at = pagination["pattern"] {
            checkPattern(pattern, at: at.value.offset, paginationPointer.appending("pattern"))
        }
        if type == "offset" || type == "page", pagination["limit_param"] == nil, pagination["page_size"] == nil {
            reader.warning(
                .ignoredSetting,
                "\(type) pagination without \"limit_param\" or \"page_size\" never knows a page is full, so never gives next_cursor",
                at: member.value.offset, paginationPointer)
        }
        if pagination["in"]?.value.value == "body", method == "GET" {
            reader.error(
                .invalidValue, "a cursor \"in\": \"body\" needs a method with a body (POST)", at: member.value.offset,
                paginationPointer.appending("in"))
        }
    }

    /// The examples; their arguments must be declared unless `arguments` is nil (`additionalProperties` allowed).
    mutating func checkExamples(_ operation: Fields, arguments: Set<String>?, at pointer: JSONPointer) {
        guard let member = operation["examples"] else { return }
        let examplesPointer = pointer.appending("examples")
        guard case .array(let items) = member.value.content else {
            reader.typeMismatch(
                member.value, expected: "an array of examples", at: examplesPointer, what: "\"examples\"")
            return
        }
        for (index, item) in items.enumerated() {
            let itemPointer = examplesPointer.appending(index)
            guard
                let example = reader.object(
                    item, at: itemPointer, what: "example",
                    allowed: ["name", "arguments", "request", "response", "result", "error", "transient", "notes"],
                    required: ["name", "request", "response"])
            else { continue }
            _ = reader.string(example, "name")
            _ = reader.string(example, "error")
            _ = reader.bool(example, "transient")
            if example["result"] != nil, example["error"] != nil {
                reader.error(
                    .invalidValue, "an example has \"result\" or \"error\", not both", at: item.offset, itemPointer)
            }
            if let given = example["arguments"] {
                if case .object(let entries) = given.value.content {
                    for entry in entries where !(arguments?.contains(entry.key) ?? true) {
                        reader.error(
                            .undeclaredPlaceholder,
                            "example argument \"\(entry.key)\" is not declared in \"parameters\"\(NameSuggestion.didYouMean(entry.key, in: arguments ?? []))",
                            at: entry.keyOffset, itemPointer.appending("arguments").appending(entry.key))
                    }
                } else {
                    reader.typeMismatch(
                        given.value, expected: "an object", at: itemPointer.appending("arguments"),
                        what: "\"arguments\"")
                }
            }
            if let request = example["request"],
                let object = reader.object(
                    request.value, at: itemPointer.appending("request"), what: "example request",
                    allowed: ["method", "path", "query", "headers", "body", "body_form"], required: ["method", "path"])
            {
                _ = reader.string(object, "method")
                _ = reader.string(object, "path")
            }
            if let response = example["response"],
                let object = reader.object(
                    response.value, at: itemPointer.appending("response"), what: "example response",
                    allowed: ["status", "headers", "body"], required: ["status"])
            {
                _ = reader.integer(object, "status", range: 100...599)
            }
        }
    }

    // MARK: Helpers

    mutating func objectMembers(_ fields: Fields, _ key: String, what: String) -> [JSONMember]? {
        guard let member = fields[key] else { return nil }
        guard case .object(let members) = member.value.content else {
            reader.typeMismatch(member.value, expected: "an object", at: fields.pointer.appending(key), what: what)
            return nil
        }
        return members
    }

    /// Whether `name` is a valid id (`^[a-z][a-z0-9_]*$`); reported when not.
    @discardableResult
    mutating func checkName(_ name: String, at offset: Int, _ pointer: JSONPointer, what: String) -> Bool {
        guard ConnectorFileDecoder.isValidID(name) else {
            reader.error(
                .invalidFormat,
                "\(what) \"\(name)\" must be lower-case letters, digits and '_', starting with a letter",
                at: offset, pointer)
            return false
        }
        return true
    }

    mutating func checkPattern(_ pattern: String, at offset: Int, _ pointer: JSONPointer) {
        do {
            _ = try NSRegularExpression(pattern: pattern)
        } catch {
            reader.error(
                .invalidFormat, "pattern \"\(pattern)\" is not a valid regular expression", at: offset, pointer)
        }
    }

    /// Every `pattern` in a JSON Schema compiles.
    mutating func checkSchemaPatterns(_ node: JSONNode, at pointer: JSONPointer) {
        switch node.content {
        case .object(let members):
            for member in members {
                if member.key == "pattern", case .string(let pattern) = member.value.content {
                    checkPattern(pattern, at: member.value.offset, pointer.appending("pattern"))
                } else {
                    checkSchemaPatterns(member.value, at: pointer.appending(member.key))
                }
            }
        case .array(let items):
            for (index, item) in items.enumerated() { checkSchemaPatterns(item, at: pointer.appending(index)) }
        default: break
        }
    }
}

/// Regular expressions and base-URL parts as the executor reads them.
enum DefinedPattern {
    /// Whether the whole of `value` matches `pattern`.
    static func matches(_ value: String, _ pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
        return regex.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
    }

    /// The scheme and authority of a base URL template (`https://{shop}.example.com`), or a leading `{url}`.
    static func origin(of template: String) -> String {
        if template.hasPrefix("{"), let close = template.firstIndex(of: "}") { return String(template[...close]) }
        guard let scheme = template.range(of: "://") else { return template }
        guard let slash = template[scheme.upperBound...].firstIndex(of: "/") else { return template }
        return String(template[..<slash])
    }
}
