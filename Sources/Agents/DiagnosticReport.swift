import AgentRuntime

/// Renders a catalog's diagnostics for people (text) or tools (JSON).
public enum DiagnosticReport {
    /// One line per diagnostic, then a summary line.
    public static func text(_ catalog: Catalog) -> String {
        var lines = catalog.diagnostics.map(\.formatted)
        lines.append(summary(catalog))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `N files checked (A agents, C crews): E errors, W warnings`.
    public static func summary(_ catalog: Catalog) -> String {
        "\(catalog.fileCount) \(plural(catalog.fileCount, "file")) checked (\(plural(catalog.agents.count, "agent", count: true)), \(plural(catalog.crews.count, "crew", count: true)) valid): \(plural(catalog.errorCount, "error", count: true)), \(plural(catalog.warningCount, "warning", count: true))"
    }

    /// `{"diagnostics": [...], "summary": {...}}`, pretty-printed.
    public static func json(_ catalog: Catalog) -> String {
        let diagnostics: [JSONValue] = catalog.diagnostics.map { diagnostic in
            [
                "file": .string(diagnostic.file), "line": .int(diagnostic.line), "column": .int(diagnostic.column),
                "severity": .string(diagnostic.severity.rawValue), "code": .string(diagnostic.code.rawValue),
                "message": .string(diagnostic.message), "pointer": .string(diagnostic.pointer),
            ]
        }
        let document: JSONValue = [
            "diagnostics": .array(diagnostics),
            "summary": [
                "files": .int(catalog.fileCount), "agents": .int(catalog.agents.count),
                "crews": .int(catalog.crews.count), "errors": .int(catalog.errorCount),
                "warnings": .int(catalog.warningCount), "valid": .bool(catalog.isValid),
            ],
        ]
        return document.serialized(pretty: true) + "\n"
    }

    private static func plural(_ n: Int, _ word: String, count: Bool = false) -> String {
        let noun = n == 1 ? word : word + "s"
        return count ? "\(n) \(noun)" : noun
    }
}
