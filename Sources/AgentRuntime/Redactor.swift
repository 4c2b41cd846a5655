/// Removes secrets from text before it reaches an error, a log line or an event.
///
/// It masks every registered secret in the forms it travels in, not only literally:
/// - base64, standard and URL-safe, whole and at any alignment inside a longer encoding, so
///   `Basic base64(user:secret)` is masked whatever the user;
/// - percent-encoded as URL paths, queries, user info and forms build it (`%2F`, `%2f`, `+` for a space);
/// - JSON-escaped (`\"`, `\\`, `\/`, `\uXXXX` for non-ASCII and for `<`, `>`, `&`, `'`), once and twice (JSON
///   inside a JSON string), and each of the forms above escaped the same ways.
///
/// It also masks any token that looks like a provider key (`sk-…`, `sk-ant-…`, `AIza…`, `gsk_…`, bearer tokens)
/// even when its value was not registered. The forms are computed once, when the redactor is made; ``redact(_:keyShapes:)``
/// is one pass over the text's bytes.
public struct Redactor: Sendable {
    /// The replacement text.
    public static let mask = "[REDACTED]"

    private let secrets: [String]
    private let matcher: SecretMatcher

    /// Creates a redactor that masks `secrets` (values shorter than 6 characters are ignored).
    public init(secrets: [String] = []) {
        var unique: [String] = []
        for secret in secrets where secret.count >= 6 && !unique.contains(secret) { unique.append(secret) }
        self.secrets = unique
        matcher = SecretMatcher(unique.flatMap { SecretForms.forms(of: $0) })
    }

    /// Whether no secret is registered (only key-shaped tokens are masked).
    public var isEmpty: Bool { secrets.isEmpty }

    /// A redactor that also masks `secret`.
    public func adding(_ secret: String?) -> Redactor {
        guard let secret else { return self }
        return adding([secret])
    }

    /// A redactor that also masks `more`.
    public func adding(_ more: [String]) -> Redactor {
        let new = more.filter { $0.count >= 6 && !secrets.contains($0) }
        return new.isEmpty ? self : Redactor(secrets: secrets + new)
    }

    private static let keyPrefixes = [
        "sk-", "AIza", "gsk_", "xoxb-", "xoxp-", "shpat_", "hvs.", "pk_live_", "rk_live_", "sk_live_", "sk_test_",
    ]

    /// `text` with registered secrets masked in every form, and (when `keyShapes`) key-shaped tokens too.
    public func redact(_ text: String, keyShapes: Bool = true) -> String {
        let masked = matcher.replacing(in: text, with: Self.mask)
        return keyShapes ? Self.maskKeyShapedTokens(masked) : masked
    }

    /// Finds the texts a key-shaped token starts with, in one pass over the bytes.
    private static let keyStarts = SecretMatcher(keyPrefixes + ["Bearer "])

    private static func maskKeyShapedTokens(_ text: String) -> String {
        guard keyStarts.matches(in: text) else { return text }
        var output = ""
        var token = ""
        var previousWasBearer = false
        func flush() {
            guard !token.isEmpty else { return }
            let isKey = keyPrefixes.contains { token.hasPrefix($0) && token.count >= $0.count + 8 }
            if isKey || (previousWasBearer && token.count >= 8) {
                output += mask
            } else {
                output += token
            }
            previousWasBearer = token == "Bearer"
            token = ""
        }
        for character in text {
            if character.isLetter || character.isNumber || "-_.*".contains(character) {
                token.append(character)
            } else {
                flush()
                output.append(character)
            }
        }
        flush()
        return output
    }
}
