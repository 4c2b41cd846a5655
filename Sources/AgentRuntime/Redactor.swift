/// Removes secrets from text before it reaches an error, a log line or an event.
///
/// It masks every known secret value, and any token that looks like a
/// provider key (`sk-…`, `sk-ant-…`, `AIza…`, `gsk_…`, bearer tokens) even
/// when its value was not registered.
public struct Redactor: Sendable {
    /// The replacement text.
    public static let mask = "[REDACTED]"

    private let secrets: [String]

    /// Creates a redactor that masks `secrets` (values shorter than 6 characters are ignored).
    public init(secrets: [String] = []) {
        self.secrets = secrets.filter { $0.count >= 6 }.sorted { $0.count > $1.count }
    }

    /// A redactor that also masks `secret`.
    public func adding(_ secret: String?) -> Redactor {
        guard let secret else { return self }
        return Redactor(secrets: secrets + [secret])
    }

    private static let keyPrefixes = [
        "sk-", "AIza", "gsk_", "xoxb-", "xoxp-", "shpat_", "hvs.", "pk_live_", "rk_live_", "sk_live_", "sk_test_",
    ]

    /// `text` with secrets masked.
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.split(separator: secret, omittingEmptySubsequences: false).joined(separator: Self.mask)
        }
        return Self.maskKeyShapedTokens(result)
    }

    private static func maskKeyShapedTokens(_ text: String) -> String {
        guard keyPrefixes.contains(where: text.contains) || text.contains("Bearer ") else { return text }
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
