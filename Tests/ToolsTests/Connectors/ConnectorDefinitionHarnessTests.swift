import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import Testing
import Tools

/// The connector definition files of this repository (`connectors/*.json`), found from this file's path so a new
/// file is picked up with no Swift change.
enum RepoConnectors {
    /// The repository's `connectors/` directory.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("connectors")

    /// Every `connectors/*.json` file, sorted.
    static let files: [URL] =
        ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
        .filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }

    /// The definitions that decode without errors.
    static let definitions: [ConnectorDefinition] = files.compactMap { decode($0).definition }

    /// Decodes one file with the catalog's decoder.
    static func decode(_ file: URL) -> (definition: ConnectorDefinition?, diagnostics: [Diagnostic]) {
        let (definition, diagnostics) = ConnectorFileDecoder.decode(
            (try? Data(contentsOf: file)).map { [UInt8]($0) }, displayPath: "connectors/\(file.lastPathComponent)",
            stem: file.deletingPathExtension().lastPathComponent)
        return (definition, diagnostics)
    }

    /// The definition with `id`.
    static func definition(_ id: String) -> ConnectorDefinition {
        guard let definition = definitions.first(where: { $0.id == id }) else {
            fatalError("connectors/\(id).json is missing or invalid")
        }
        return definition
    }

    /// The operations of the connector `id`, as ``DefinedConnector`` executes them.
    static func operations(_ id: String) -> [ConnectorOperation] { DefinedConnector.operations(definition(id)) }
}

/// One recorded example of one operation.
struct ConnectorExample: Sendable, CustomTestStringConvertible {
    var connector: String
    var operation: String
    var index: Int
    var name: String

    var testDescription: String { "\(connector).\(operation) example \(index) \"\(name)\"" }

    static let all: [ConnectorExample] = RepoConnectors.definitions.flatMap { definition in
        definition.operations.flatMap { operation in
            operation.examples.enumerated().map { index, example in
                ConnectorExample(
                    connector: definition.id, operation: operation.id, index: index,
                    name: example["name"]?.stringValue ?? "")
            }
        }
    }
}

/// The generic harness: every example of every operation of every `connectors/*.json`, replayed against a loopback
/// server playing the service (the request the operation sends, then the tool result or error it makes of the
/// recorded response).
@Suite("Connector definitions")
struct ConnectorDefinitionHarnessTests {
    @Test("every connectors/*.json file loads without errors", arguments: RepoConnectors.files.map(\.lastPathComponent))
    func loads(_ name: String) {
        let (definition, diagnostics) = RepoConnectors.decode(RepoConnectors.directory.appendingPathComponent(name))
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.isEmpty, "connectors/\(name):\n\(errors.map(\.formatted).joined(separator: "\n"))")
        #expect(definition != nil, "connectors/\(name) did not load")
    }

    @Test(
        "every operation has an example and every connector a read operation",
        arguments: RepoConnectors.definitions.map(\.id))
    func coverage(_ id: String) {
        let definition = RepoConnectors.definition(id)
        for operation in definition.operations {
            #expect(!operation.examples.isEmpty, "\(id).\(operation.id) has no example")
        }
        // A service with nothing to read (an incoming webhook) says so in the connector's notes.
        #expect(
            definition.operations.contains { $0.access == .read }
                || definition.notes?.lowercased().contains("read") == true,
            "\(id) has no read operation (and its notes do not say why)")
        #expect(!ToolRegistry.builtinConnectorIDs.contains(id), "\(id) is also a Swift connector")
    }

    @Test("the example's request, and the result or error of its response", arguments: ConnectorExample.all)
    func example(_ example: ConnectorExample) async throws {
        let definition = RepoConnectors.definition(example.connector)
        let operation = try #require(definition.operations.first { $0.id == example.operation })
        let recorded = operation.examples[example.index]
        let label = example.testDescription
        let reply = Self.response(recorded["response"] ?? .null)
        // The access token is sent as it is: refreshing it is the OAuth token cache's work (ConnectorOAuthTests).
        var secrets = definition.exampleSecrets
        if case .oauth2(_, let refresh?) = definition.auth { secrets[refresh.refreshToken] = nil }
        let harness = try ConnectorHarness(
            connector: definition.id, settings: definition.exampleSettings, secrets: secrets
        ) { _ in reply }
        defer { harness.stop() }
        let tool = DefinedConnector.operations(definition).tool(
            ToolID("\(definition.id).\(operation.id)"), harness.client)

        var outcome: Result<ToolResult, ToolError>
        do {
            outcome = .success(try await tool.call(recorded["arguments"] ?? [:], context: harness.context))
        } catch let error as ToolError {
            outcome = .failure(error)
        }

        // The request.
        let expected = recorded["request"] ?? .null
        if let request = harness.log.all.first {
            Self.checkRequest(request, expected: expected, label: label)
        } else {
            Issue.record("\(label): no request reached the server (\(outcome))")
        }

        // The outcome.
        switch (outcome, recorded["error"]?.stringValue) {
        case (.success(let result), nil):
            if let wanted = recorded["result"],
                let problem = Self.subset(wanted, of: result.data ?? .null, at: "result")
            {
                Issue.record("\(label): \(problem)\n  tool result: \(result.content)")
            }
            for secret in definition.exampleSecrets.values where secret.count >= 8 {
                #expect(!result.content.contains(secret), "\(label): the result shows a secret")
            }
        case (.success(let result), let wanted?):
            Issue.record("\(label): expected an error containing \"\(wanted)\", got the result \(result.content)")
        case (.failure(let error), nil):
            Issue.record("\(label): expected a result, got the error \"\(error.message)\"")
        case (.failure(let error), let wanted?):
            #expect(
                error.message.contains(wanted), "\(label): error \"\(error.message)\" does not contain \"\(wanted)\"")
            if let transient = recorded["transient"], case .bool(let flag) = transient {
                #expect(
                    error.isTransient == flag, "\(label): error transient is \(error.isTransient), expected \(flag)")
            }
            for secret in definition.exampleSecrets.values where secret.count >= 8 {
                #expect(!error.message.contains(secret), "\(label): the error shows a secret")
            }
        }
    }

    // MARK: Helpers

    /// The recorded response as the loopback server sends it.
    static func response(_ json: JSONValue) -> LoopbackHTTPServer.Response {
        var headers = HTTPHeaders()
        if case .object(let given)? = json["headers"] {
            // The server writes its own Content-Length.
            for member in given where member.key.lowercased() != "content-length" {
                headers.set(member.key, member.value.scalarText ?? "")
            }
        }
        let body: String
        switch json["body"] {
        case .string(let text)?: body = text
        case nil, .null?: body = ""
        case let value?:
            body = value.serialized()
            if headers["content-type"] == nil { headers.set("Content-Type", "application/json") }
        }
        return LoopbackHTTPServer.Response(status: json["status"]?.intValue ?? 200, headers: headers, body: body)
    }

    static func checkRequest(_ request: LoopbackHTTPServer.Request, expected: JSONValue, label: String) {
        if let method = expected["method"]?.stringValue, request.method != method {
            Issue.record("\(label): method \(request.method), expected \(method)")
        }
        let parts = request.path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        if let wanted = expected["path"]?.stringValue, path.removingPercentEncoding != wanted.removingPercentEncoding {
            Issue.record("\(label): path \(path), expected \(wanted)")
        }
        let query = decodeForm(parts.count > 1 ? String(parts[1]) : "")
        let wantedQuery = multimap(expected["query"] ?? [:])
        if query != wantedQuery {
            Issue.record(
                "\(label): query \(query.sorted { $0.key < $1.key }), expected \(wantedQuery.sorted { $0.key < $1.key })"
            )
        }
        if case .object(let headers)? = expected["headers"] {
            for member in headers {
                let wanted = member.value.scalarText ?? ""
                let actual = request.headers[member.key]
                if actual != wanted {
                    Issue.record(
                        "\(label): header \(member.key) is \(actual.map { "\"\($0)\"" } ?? "absent"), expected \"\(wanted)\""
                    )
                }
            }
        }
        if let form = expected["body_form"] {
            let actual = decodeForm(request.text)
            if actual != multimap(form) {
                Issue.record("\(label): form body \(request.text), expected \(form.serialized())")
            }
        } else if let body = expected["body"] {
            if body == .null {
                if !request.body.isEmpty { Issue.record("\(label): body \(request.text), expected none") }
            } else if let actual = try? JSONParser.value(request.body) {
                if actual != body {
                    Issue.record("\(label): body \(actual.serialized()), expected \(body.serialized())")
                }
            } else {
                Issue.record("\(label): body \"\(request.text)\" is not JSON; expected \(body.serialized())")
            }
        }
    }

    /// `a=1&b=2&b=3` as name → values, percent-decoded.
    static func decodeForm(_ text: String) -> [String: [String]] {
        var map: [String: [String]] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            map[name, default: []].append(value)
        }
        return map
    }

    static func multimap(_ json: JSONValue) -> [String: [String]] {
        guard case .object(let object) = json else { return [:] }
        var map: [String: [String]] = [:]
        for member in object {
            if case .array(let items) = member.value {
                map[member.key] = items.compactMap(\.scalarText)
            } else {
                map[member.key] = [member.value.scalarText ?? member.value.serialized()]
            }
        }
        return map
    }

    /// Nil when `expected` is a subset of `actual` (objects: the listed keys, recursively; arrays: same length,
    /// element-wise), else what differs and where.
    static func subset(_ expected: JSONValue, of actual: JSONValue, at path: String) -> String? {
        switch (expected, actual) {
        case (.object(let wanted), .object(let got)):
            for member in wanted {
                guard let value = got[member.key] else { return "\(path).\(member.key) is missing" }
                if let problem = subset(member.value, of: value, at: "\(path).\(member.key)") { return problem }
            }
            return nil
        case (.array(let wanted), .array(let got)):
            guard wanted.count == got.count else { return "\(path) has \(got.count) items, expected \(wanted.count)" }
            for (index, pair) in zip(wanted, got).enumerated() {
                if let problem = subset(pair.0, of: pair.1, at: "\(path)[\(index)]") { return problem }
            }
            return nil
        default:
            if expected == actual { return nil }
            if let a = expected.doubleValue, let b = actual.doubleValue, a == b { return nil }
            return "\(path) is \(actual.serialized()), expected \(expected.serialized())"
        }
    }
}

@Suite("Shipped connector definitions")
struct ShippedDefinitionsTests {
    @Test("the definitions compiled in are the repository's connectors/*.json (run scripts/embed-connectors)")
    func inSync() throws {
        for definition in Connectors.shippedDefinitions {
            let file = RepoConnectors.directory.appendingPathComponent("\(definition.id).json")
            let decoded = try #require(RepoConnectors.decode(file).definition, "connectors/\(definition.id).json")
            #expect(decoded == definition, "connectors/\(definition.id).json differs from the compiled-in copy")
        }
        #expect(Set(Connectors.shippedDefinitions.map(\.id)) == ["slack", "stripe", "trello"])
    }
}
