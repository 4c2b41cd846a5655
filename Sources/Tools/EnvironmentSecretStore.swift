import AgentRuntime
import Foundation

/// A ``SecretStore`` for development: secrets come from environment variables,
/// optionally seeded from a `.env` file (the process environment wins).
///
/// A path maps to a variable name: `AGENTRUNTIME_SECRET_` + scope + path, upper-cased,
/// with every other character turned into `_`. Platform `llm/openai` is
/// `AGENTRUNTIME_SECRET_LLM_OPENAI`; tenant `acme`'s `wordpress/app_password`
/// is `AGENTRUNTIME_SECRET_TENANT_ACME_WORDPRESS_APP_PASSWORD`. Tenant reads
/// only ever look at that tenant's prefix.
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

    /// The variable name for `path` in `scope`.
    public static func variableName(_ path: String, scope: SecretScope) -> String {
        let prefix: String
        switch scope {
        case .platform: prefix = "AGENTRUNTIME_SECRET_"
        case .tenant(let tenant): prefix = "AGENTRUNTIME_SECRET_TENANT_\(sanitize(tenant.rawValue))_"
        }
        return prefix + sanitize(path)
    }

    private static func sanitize(_ text: String) -> String {
        String(text.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
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
