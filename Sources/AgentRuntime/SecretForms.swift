import Foundation

/// The forms a secret travels in: the texts ``Redactor`` looks for besides the secret itself.
enum SecretForms {
    /// Forms shorter than this are not looked for (they would mask unrelated text).
    static let minimumLength = 6

    /// Every form of `secret`: literal, percent-encoded, base64 (whole, and the part any longer encoding that
    /// contains it shares, at each of the three alignments), and each of these JSON-escaped once and twice.
    static func forms(of secret: String) -> [String] {
        var forms = Forms()
        var base = [secret]
        base += percentEncoded(secret)
        base += base64(Array(secret.utf8))
        for form in base {
            forms.insert(form)
            for escaped in jsonEscaped(form) {
                forms.insert(escaped)
                // JSON inside a JSON string (an event's arguments, a serialized payload stored as text).
                forms.insert(jsonEscape(escaped, JSONEscaping()))
            }
        }
        return forms.ordered.filter { $0.utf8.count >= minimumLength }
    }

    /// Distinct values in insertion order.
    private struct Forms {
        var ordered: [String] = []
        var seen: Set<String> = []

        mutating func insert(_ form: String) {
            if seen.insert(form).inserted { ordered.append(form) }
        }
    }

    // MARK: Percent-encoding

    /// RFC 3986 unreserved characters (ASCII letters, digits, `-._~`).
    private static let unreserved: CharacterSet = {
        var set = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        set.insert(charactersIn: "-._~")
        return set
    }()

    /// What form bodies built with `CharacterSet.alphanumerics` leave as is.
    private static let alphanumericUnreserved: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    /// The character sets URL components, query items and form bodies leave unencoded.
    private static let encodings: [CharacterSet] = {
        // What `URLComponents.queryItems` leaves in a value: the query set without the delimiters `&`, `=`, `+`.
        var queryValue = CharacterSet.urlQueryAllowed
        queryValue.remove(charactersIn: "&=+")
        return [
            .urlQueryAllowed, queryValue, .urlPathAllowed, .urlUserAllowed, .urlPasswordAllowed, .urlFragmentAllowed,
            .urlHostAllowed, unreserved, alphanumericUnreserved,
        ]
    }()

    /// The sets form bodies leave unencoded, with the space (then written `+`).
    private static let formEncodings: [CharacterSet] = [unreserved, alphanumericUnreserved].map {
        var set = $0
        set.insert(" ")
        return set
    }

    /// The secret percent-encoded the ways URL components, query items and form bodies encode it, with upper- and
    /// lower-case hex digits, `+` left or encoded, and a space as `%20` or `+`.
    static func percentEncoded(_ secret: String) -> [String] {
        var results: [String] = []
        for set in encodings {
            guard let encoded = secret.addingPercentEncoding(withAllowedCharacters: set) else { continue }
            results.append(encoded)
            if encoded.contains("+") { results.append(encoded.replacingOccurrences(of: "+", with: "%2B")) }
        }
        for set in formEncodings {
            // `application/x-www-form-urlencoded`: a space is `+`.
            if let encoded = secret.addingPercentEncoding(withAllowedCharacters: set) {
                results.append(encoded.replacingOccurrences(of: " ", with: "+"))
            }
        }
        return results.flatMap { [$0, lowercasingHex($0)] }.filter { $0 != secret }
    }

    /// `%2F` → `%2f`.
    private static func lowercasingHex(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        var remainingHex = 0
        for byte in text.utf8 {
            if remainingHex > 0 {
                output.append(byte >= 0x41 && byte <= 0x46 ? byte + 0x20 : byte)
                remainingHex -= 1
            } else {
                output.append(byte)
                if byte == 0x25 { remainingHex = 2 }
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    // MARK: Base64

    /// The whole encodings (standard, URL-safe, with and without padding), and for each alignment `k` (the bytes
    /// before the secret in a longer encoded text, modulo 3) the characters of `base64(k bytes + secret)` that
    /// depend on the secret's bytes alone: they appear in any base64 text that contains the secret at that
    /// alignment, `Basic base64(user:secret)` whatever the user.
    static func base64(_ bytes: [UInt8]) -> [String] {
        var results: [String] = []
        let whole = Data(bytes).base64EncodedString()
        results.append(whole)
        results.append(urlSafe(whole))
        let unpadded = String(whole.prefix { $0 != "=" })
        results.append(unpadded)
        results.append(urlSafe(unpadded))
        for alignment in 0..<3 {
            let encoded = Array(Data([UInt8](repeating: 0, count: alignment) + bytes).base64EncodedString().utf8)
            // Character i holds bits 6i..<6i+6; the secret's bits are 8k..<8(k+n).
            let first = (8 * alignment + 5) / 6
            let end = (8 * (alignment + bytes.count)) / 6
            guard end - first >= minimumLength, end <= encoded.count else { continue }
            let core = String(decoding: encoded[first..<end], as: UTF8.self)
            results.append(core)
            results.append(urlSafe(core))
        }
        return results
    }

    private static func urlSafe(_ base64: String) -> String {
        String(base64.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    // MARK: JSON escaping

    /// How a JSON encoder escapes a string.
    struct JSONEscaping: Hashable {
        /// How non-ASCII characters are written.
        enum NonASCII: CaseIterable {
            /// As UTF-8.
            case raw
            /// `\u00e9`.
            case lowercaseEscape
            /// `\u00E9`.
            case uppercaseEscape
        }

        /// `/` as `\/` (PHP, and Foundation on Apple platforms).
        var slash = false
        /// How non-ASCII characters are written.
        var nonASCII = NonASCII.raw
        /// `<`, `>`, `&` and `'` as `\u003c`... (Go).
        var htmlSafe = false
    }

    /// `form` as the common JSON encoders write it inside a string (without the quotes).
    static func jsonEscaped(_ form: String) -> [String] {
        // Most forms (base64 without `/`, percent-encodings) are the same in every encoder.
        guard
            form.unicodeScalars.contains(where: {
                $0.value < 0x20 || $0.value >= 0x80 || "\"\\/<>&'".unicodeScalars.contains($0)
            })
        else { return [] }
        var results: [String] = []
        for slash in [false, true] {
            for nonASCII in JSONEscaping.NonASCII.allCases {
                for htmlSafe in [false, true] {
                    let escaped = jsonEscape(
                        form, JSONEscaping(slash: slash, nonASCII: nonASCII, htmlSafe: htmlSafe))
                    if escaped != form, !results.contains(escaped) { results.append(escaped) }
                }
            }
        }
        return results
    }

    static func jsonEscape(_ text: String, _ escaping: JSONEscaping) -> String {
        var output = ""
        func hex(_ value: UInt32) {
            let digits = String(value, radix: 16)
            let padded = String(repeating: "0", count: max(0, 4 - digits.count)) + digits
            output += "\\u" + (escaping.nonASCII == .uppercaseEscape ? padded.uppercased() : padded)
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "/": output += escaping.slash ? "\\/" : "/"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "<", ">", "&", "'":
                if escaping.htmlSafe { hex(scalar.value) } else { output.unicodeScalars.append(scalar) }
            default:
                if scalar.value < 0x20 {
                    hex(scalar.value)
                } else if scalar.value >= 0x80, escaping.nonASCII != .raw {
                    for unit in String(scalar).utf16 { hex(UInt32(unit)) }
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output
    }
}
