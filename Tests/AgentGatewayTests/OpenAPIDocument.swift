import AgentRuntime
import Foundation
import HTTPTypes
import HummingbirdTesting

/// `openapi.json` as the tests read it: the operations it documents, and whether a real response is one it documents.
struct OpenAPIDocument {
    /// The HTTP methods an OpenAPI path item may hold.
    static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// The whole document.
    let root: JSONValue

    /// Reads the repository's `openapi.json`.
    init() throws {
        root = try JSONParser.value(
            Array(try Data(contentsOf: GatewayFixture.repositoryRoot.appendingPathComponent("openapi.json"))))
    }

    /// Every documented operation as `METHOD /path/{template}`, with its operation object.
    var operations: [(route: String, operation: JSONValue)] {
        guard case .object(let paths)? = root["paths"] else { return [] }
        return paths.flatMap { path -> [(route: String, operation: JSONValue)] in
            guard case .object(let item) = path.value else { return [] }
            return item.filter { Self.methods.contains($0.key) }.map {
                (route: "\($0.key.uppercased()) \(path.key)", operation: $0.value)
            }
        }
    }

    /// The operation documented for `method` and the path template `path`.
    func operation(_ method: String, _ path: String) -> JSONValue? { root["paths"]?[path]?[method.lowercased()] }

    /// What a local `$ref` (`#/components/...`) names; anything else as it is.
    func resolve(_ value: JSONValue?) -> JSONValue? {
        guard let reference = value?["$ref"]?.stringValue, reference.hasPrefix("#/") else { return value }
        var node: JSONValue? = root
        for part in reference.dropFirst(2).split(separator: "/") {
            node = node?[part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
        }
        return resolve(node)
    }

    /// The operation's parameters, references resolved.
    func parameters(_ operation: JSONValue) -> [JSONValue] {
        (operation["parameters"]?.arrayValue ?? []).compactMap { resolve($0) }
    }

    /// How a real response differs from what the document says `method path` answers: a status it does not list, a
    /// media type it does not list for that status, or (for JSON) a body that breaks the documented schema (a
    /// required field missing, a wrong type, a value outside an enum). Empty when it conforms.
    func problems(_ method: String, _ path: String, status: Int, contentType: String?, body: [UInt8]) -> [String] {
        let name = "\(method) \(path) → \(status)"
        guard let operation = operation(method, path) else { return ["\(method) \(path) is not documented"] }
        guard let documented = resolve(operation["responses"]?[String(status)]) else {
            return ["\(name): the status is not documented"]
        }
        let mediaType =
            contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "(none)"
        guard case .object(let content)? = documented["content"], let media = content[mediaType] else {
            return ["\(name): \(mediaType) is not documented for this status"]
        }
        guard mediaType == "application/json", let schema = media["schema"] else { return [] }
        guard let value = try? JSONParser.value(body) else { return ["\(name): the body is not JSON"] }
        return violations(of: value, against: schema).map { "\(name): \($0)" }
    }

    /// `problems` of a response from the test client.
    func problems(_ method: HTTPTypes.HTTPRequest.Method, _ path: String, _ response: TestResponse) -> [String] {
        problems(
            method.rawValue, path, status: Int(response.status.code), contentType: response.headers[.contentType],
            body: Array(response.body.readableBytesView))
    }

    /// Violations of `value` against `schema`, checked by the runtime's own `JSONSchemaValidator` with the schema's
    /// `$ref`s resolved within this document.
    func violations(of value: JSONValue, against schema: JSONValue) -> [JSONSchemaValidator.Violation] {
        // The document itself is the validator's root (so `#/components/...` resolves); none of its top-level keys is a
        // schema keyword, and `allOf` applies the schema in question.
        guard case .object(var document) = root else { return [] }
        document["allOf"] = [schema]
        return JSONSchemaValidator(JSONSchema(.object(document))).validate(value)
    }
}
