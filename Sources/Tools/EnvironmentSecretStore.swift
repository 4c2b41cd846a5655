import AgentRuntime
import Foundation

/// A ``SecretStore`` for development: secrets come from environment variables,
/// optionally seeded from a `.env` file (the process environment wins).
///
/// A reference maps to one variable name, and no two references (scope and path) map to the same name:
/// - platform scope: `AGENTRUNTIME_SECRET_` + the escaped path;
/// - a tenant's scope: `AGENTRUNTIME_TENANT_` + the escaped tenant id + `_SECRET_` + the escaped path.
///
/// Escaping: lower-case letters are upper-cased, digits stay, `_` is doubled (`__`), and every other byte of
/// the UTF-8 text (`/`, `-`, `.`, upper-case letters) becomes `_` and two hex digits (`/` is `_2F`, `-` is `_2D`).
/// An escaped text never has `_S` where a character starts, so the tenant id ends unambiguously at `_SECRET_`.
/// Platform `llm/openai` is `AGENTRUNTIME_SECRET_LLM_2FOPENAI`; tenant `acme`'s `wordpress/app_password` is
/// `AGENTRUNTIME_TENANT_ACME_SECRET_WORDPRESS_2FAPP__PASSWORD`; tenant `acme-eu`'s is
/// `AGENTRUNTIME_TENANT_ACME_2DEU_SECRET_WORDPRESS_2FAPP__PASSWORD`, which tenant `acme`'s
/// `eu/wordpress/app_password` (`AGENTRUNTIME_TENANT_ACME_SECRET_EU_2FWORDPRESS_2FAPP__PASSWORD`) cannot reach.
/// `agentctl secrets name` prints the name for a reference.
public struct EnvironmentSecretStore: SecretStore {
    private let values: [String: String]

    /// Creates a store over `environment`, with `dotEnv` (a `.env` file) underneath when given.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, dotEnv: URL? = nil) throws {
        var merged: [String: String] = [:]
        if let dotEnv, FileManager.default.fileExists(atPath: dotEnv.path) {
            merged = try Self.parseDotEnv(String(contentsOf: dotEnv, encoding: .utf8))
        }
        merged.merge(environment) { $1 }
        self.values = merged
    }

    /// The variable name for `path` in `scope` (see the type's documentation).
    public static func variableName(_ path: String, scope: SecretScope) -> String {
        switch scope {
        case .platform: return "AGENTRUNTIME_SECRET_" + escape(path)
        case .tenant(let tenant): return "AGENTRUNTIME_TENANT_\(escape(tenant.rawValue))_SECRET_" + escape(path)
        }
    }

    /// The injective escaping of a tenant id or a path into `[A-Z0-9_]`: `a-z` upper-cased, `0-9` kept, `_` as
    /// `__`, any other byte as `_` and two upper-case hex digits. Each character's code starts with a letter, a digit,
    /// `__` or `_` and a hex digit, and no code is the start of another, so the text can be read back.
    static func escape(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): output.unicodeScalars.append(Unicode.Scalar(byte - 0x20))
            case UInt8(ascii: "0")...UInt8(ascii: "9"): output.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "_"): output += "__"
            default: output += "_" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return output
    }

    /// Where the store looks for `path` in `scope`: the environment variable's name.
    public func location(of path: String, scope: SecretScope) -> String? {
        "environment variable \(Self.variableName(path, scope: scope))"
    }

    /// Reads the variable for `path` in `scope`.
    public func secret(_ path: String, scope: SecretScope) async throws -> String? {
        guard !path.isEmpty, !path.contains("..") else {
            throw SecretStoreError(
                kind: .invalidReference, reference: "\(scope)/\(path)", message: "empty path or '..' in the path")
        }
        return values[Self.variableName(path, scope: scope)].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Parses `NAME=value` lines (`export` prefixes, `#` comments, single or double quotes).
    public static func parseDotEnv(_ text: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else {
                throw SecretStoreError(
                    kind: .invalidReference, reference: ".env", message: "line \(number + 1) is not NAME=value")
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
                if first == "\"" { value = value.replacingOccurrences(of: "\\n", with: "\n") }
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            result[name] = value
        }
        return result
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: Swift.max(0, length - count)) + self
    }
}
