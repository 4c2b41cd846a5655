import AgentRuntime
import Foundation

/// A service that echoes credentials back, as some do in debug fields and error messages, in the forms a secret
/// travels in; and those forms, for tests that check a secret appears in none of them.
public enum SecretEcho {
    /// The texts that give `secret` away: itself, HTTP Basic for `user` (whole, and a stretch of it that depends on
    /// the secret alone), its base64, percent-encoded (query and form), JSON-escaped (`\/`, `\u00e9`), and escaped
    /// twice (JSON in a JSON string).
    public static func forms(of secret: String, user: String? = nil) -> [String] {
        var forms = [secret, Data(secret.utf8).base64EncodedString()]
        if let user {
            let basic = Data("\(user):\(secret)".utf8).base64EncodedString()
            forms += [basic, String(basic.dropFirst((user.utf8.count + 1) * 4 / 3 + 2).prefix(12))]
        }
        forms += [percentEncoded(secret), formEncoded(secret), phpEscaped(secret), jsonInJSON(secret)]
        return Array(Set(forms.filter { $0.count >= 6 })).sorted()
    }

    /// `text` with the value of an `Authorization` header, and when it is HTTP Basic the password it carries, in
    /// every form of ``forms(of:user:)``, as a service's debug output would show them.
    public static func echo(authorization: String) -> String {
        var parts = ["authorization: \(authorization)", "escaped: \(phpEscaped(authorization))"]
        if authorization.hasPrefix("Basic "), let data = Data(base64Encoded: String(authorization.dropFirst(6))),
            let pair = String(data: data, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        {
            let password = String(pair[pair.index(after: colon)...])
            parts += [
                "password: \(password)", "query: ?pw=\(percentEncoded(password))", "form: pw=\(formEncoded(password))",
                "json: \(phpEscaped(password))", "nested: \(jsonInJSON(password))",
                "base64: \(Data(password.utf8).base64EncodedString())",
            ]
        }
        return parts.joined(separator: "; ")
    }

    /// A WordPress posts endpoint with debug output: page 1 is a post whose title, excerpt and link echo the request's
    /// credential (``echo(authorization:)``); page 2 is a 401 whose message echoes it.
    @Sendable public static func wordpress(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        let echoed = echo(authorization: request.headers["authorization"] ?? "")
        if request.path.contains("page=2") {
            let error: JSONValue = ["code": "incorrect_password", "message": .string("Denied: \(echoed)")]
            return .init(status: 401, body: error.serialized())
        }
        let post: JSONValue = [
            "id": 7, "status": "publish", "link": .string("https://blog.acme.test/?debug=\(echoed)"),
            "title": ["rendered": .string(echoed)], "excerpt": ["rendered": .string(echoed)],
        ]
        return .init(
            headers: ["Content-Type": "application/json", "X-WP-TotalPages": "2"], body: "[\(post.serialized())]")
    }

    /// Percent-encoded as a query value (`%20` for a space, `%2B` for `+`).
    public static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// `application/x-www-form-urlencoded` (`+` for a space).
    public static func formEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~ ")
        return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(
            of: " ", with: "+")
    }

    /// As PHP's `json_encode` writes it inside a string: `\/`, `\"`, and `\u00e9` for non-ASCII.
    public static func phpEscaped(_ text: String) -> String {
        var output = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "/": output += "\\/"
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            default:
                if scalar.isASCII {
                    output.unicodeScalars.append(scalar)
                } else {
                    for unit in String(scalar).utf16 { output += String(format: "\\u%04x", unit) }
                }
            }
        }
        return output
    }

    /// Inside a JSON document that is itself a JSON string's value: escaped twice (`"` as `\\\"`).
    public static func jsonInJSON(_ text: String) -> String {
        func escaped(_ text: String) -> String { String(JSONValue.string(text).serialized().dropFirst().dropLast()) }
        return escaped(escaped(text))
    }
}
