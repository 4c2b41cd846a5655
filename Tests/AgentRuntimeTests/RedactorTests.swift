import AgentRuntime
import Foundation
import Testing

/// A registered secret is masked in the forms it travels in: literally, base64 (HTTP Basic with any user),
/// percent-encoded and JSON-escaped.
@Suite("Redactor")
struct RedactorTests {
    /// A WordPress application password: spaces, and characters every encoding treats differently.
    static let secret = "abcd EFGH/1234+ijkl&é\"x"
    let redactor = Redactor(secrets: [Self.secret])

    private func expectMasked(
        _ text: String, _ comment: Comment? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        let redacted = redactor.redact(text)
        #expect(redacted.contains(Redactor.mask), comment, sourceLocation: sourceLocation)
        // What is left of an encoded form is at most the characters it shares with its neighbours.
        #expect(redacted.count < text.count, comment, sourceLocation: sourceLocation)
    }

    @Test("HTTP Basic: base64 of user:secret is masked whatever the user (every alignment), standard and URL-safe")
    func basicCredentials() {
        for user in ["editor", "anystring", "x", "ab", "abc", "agent-editor"] {
            let encoded = Data("\(user):\(Self.secret)".utf8).base64EncodedString()
            let header = "Authorization: Basic \(encoded)"
            let redacted = redactor.redact(header)
            #expect(redacted.contains(Redactor.mask), "user \(user)")
            // At most the characters that mix the user's bytes with the secret's (and the padding) remain.
            #expect(
                redacted.count <= "Authorization: Basic ".count + Redactor.mask.count + (user.count + 1) * 4 / 3 + 4)
            let urlSafe = encoded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            #expect(redactor.redact(urlSafe).contains(Redactor.mask), "URL-safe, user \(user)")
        }
        #expect(redactor.redact(Data(Self.secret.utf8).base64EncodedString()) == Redactor.mask)
    }

    @Test("percent-encoded forms: query, path, form (+ for a space), upper- and lower-case hex")
    func percentEncoded() throws {
        let query = try #require(Self.secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed))
        let path = try #require(Self.secret.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed))
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-._~")
        let strict = try #require(Self.secret.addingPercentEncoding(withAllowedCharacters: unreserved))
        var components = URLComponents(string: "https://example.test/x")!
        components.queryItems = [URLQueryItem(name: "key", value: Self.secret)]
        let built = try #require(components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B"))
            .dropFirst("key=".count)
        var lowerHex = ""
        var hexLeft = 0
        for character in strict {
            lowerHex.append(hexLeft > 0 ? Character(character.lowercased()) : character)
            hexLeft = character == "%" ? 2 : max(0, hexLeft - 1)
        }
        for form in [query, path, strict, strict.replacingOccurrences(of: "%20", with: "+"), lowerHex, String(built)] {
            let redacted = redactor.redact("echo: \(form)&page=2")
            #expect(redacted == "echo: \(Redactor.mask)&page=2", "\(form)")
        }
    }

    @Test("JSON-escaped forms: quotes, \\/ (PHP), \\u escapes (lower and upper case), Go's HTML escapes, JSON in JSON")
    func jsonEscaped() {
        let serialized = JSONValue.string(Self.secret).serialized()
        let php = serialized.replacingOccurrences(of: "/", with: "\\/").replacingOccurrences(of: "é", with: "\\u00e9")
        let go = JSONValue.string("<\(Self.secret)>").serialized().replacingOccurrences(of: "&", with: "\\u0026")
        let nested = JSONValue.string(JSONValue.object(["password": .string(Self.secret)]).serialized()).serialized()
        let basicInPHP = ("Basic " + Data("editor:\(Self.secret)".utf8).base64EncodedString())
            .replacingOccurrences(of: "/", with: "\\/")
        let upperHex = serialized.replacingOccurrences(of: "é", with: "\\u00E9")
        for text in [serialized, php, upperHex, go, nested, #"{"auth":"\#(basicInPHP)"}"#] {
            let redacted = redactor.redact(text)
            #expect(redacted.contains(Redactor.mask), "\(text)")
            #expect(!redacted.contains("1234"), "\(text) -> \(redacted)")
        }
    }

    @Test("the literal secret, short values ignored, text without secrets untouched, several secrets at once")
    func literal() {
        #expect(redactor.redact("pw=\(Self.secret);") == "pw=\(Redactor.mask);")
        #expect(Redactor(secrets: ["short"]).redact("a short text") == "a short text")
        let text = "Nothing to hide here: abcd 1234, EFGH."
        #expect(redactor.redact(text) == text)
        let two = Redactor(secrets: ["first-secret-1", "second-secret-2"])
        #expect(two.redact("first-secret-1 second-secret-2") == "\(Redactor.mask) \(Redactor.mask)")
        #expect(Redactor().adding("added-secret-3").redact("x added-secret-3") == "x \(Redactor.mask)")
        #expect(Redactor().isEmpty && !redactor.isEmpty)
    }

    @Test("arguments: secret-looking members masked at any depth, registered values masked, unchanged text kept")
    func arguments() {
        let redacted = redactor.redactArguments(
            #"{"title": "Hello", "auth": {"app_password": "hunter2-hunter2"}, "note": "key abcd"}"#)
        #expect(redacted == #"{"title":"Hello","auth":{"app_password":"[REDACTED]"},"note":"key abcd"}"#)
        let escaped = JSONValue.object(["note": .string(Self.secret)]).serialized()
        #expect(redactor.redactArguments(escaped) == #"{"note":"[REDACTED]"}"#)
        #expect(redactor.redactArguments(#"{"title": "Hello"}"#) == #"{"title": "Hello"}"#)
        #expect(Redactor().redactArguments("not json sk-abcdefghijklmnop") == "not json [REDACTED]")
        #expect(AuditRedaction.redact(#"{"api_key": "k-123"}"#) == #"{"api_key":"[REDACTED]"}"#)
    }

    @Test("JSON values: strings and member names are redacted, other values kept")
    func json() {
        let value: JSONValue = [
            "echo": .string("Basic " + Data("u:\(Self.secret)".utf8).base64EncodedString()), "n": 3,
        ]
        let redacted = redactor.redact(value)
        #expect(redacted["n"] == 3)
        #expect(redacted["echo"]?.stringValue?.contains(Redactor.mask) == true)
    }
}
