import AgentRuntime

/// Reads one parsed definition file field by field, recording a diagnostic for
/// every problem instead of stopping at the first.
struct DefinitionReader {
    let file: String
    let document: JSONDocument
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String, document: JSONDocument) {
        self.file = file
        self.document = document
    }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// A file's bytes parsed, or the diagnostic saying it could not be read or is not JSON.
    static func parse(_ bytes: [UInt8]?, displayPath: String) -> (JSONDocument?, [Diagnostic]) {
        guard let bytes else {
            return (
                nil,
                [
                    Diagnostic(
                        file: displayPath, line: 1, column: 1, severity: .error, code: .unreadableFile,
                        message: "cannot read the file", pointer: "")
                ]
            )
        }
        do {
            return (try JSONParser.parse(bytes), [])
        } catch {
            return (
                nil,
                [
                    Diagnostic(
                        file: displayPath, line: error.location.line, column: error.location.column, severity: .error,
                        code: .syntaxError, message: "invalid JSON: \(error.message)", pointer: "")
                ]
            )
        }
    }

    mutating func report(
        _ severity: Diagnostic.Severity, _ code: DiagnosticCode, _ message: String, at offset: Int,
        _ pointer: JSONPointer
    ) {
        let location = document.location(of: offset)
        diagnostics.append(
            Diagnostic(
                file: file, line: location.line, column: location.column, severity: severity, code: code,
                message: message, pointer: pointer.description))
    }

    mutating func error(_ code: DiagnosticCode, _ message: String, at offset: Int, _ pointer: JSONPointer) {
        report(.error, code, message, at: offset, pointer)
    }

    mutating func warning(_ code: DiagnosticCode, _ message: String, at offset: Int, _ pointer: JSONPointer) {
        report(.warning, code, message, at: offset, pointer)
    }

    /// An object's members by key, after reporting unknown, duplicate and missing fields.
    /// Nil (with a diagnostic) when `node` is not an object.
    mutating func object(
        _ node: JSONNode, at pointer: JSONPointer, what: String, allowed: [String], required: [String]
    ) -> Fields? {
        guard case .object(let members) = node.content else {
            typeMismatch(node, expected: "an object", at: pointer, what: what)
            return nil
        }
        var fields = Fields(offset: node.offset, pointer: pointer)
        for member in members {
            let memberPointer = pointer.appending(member.key)
            if let first = fields.members[member.key] {
                let line = document.location(of: first.keyOffset).line
                error(
                    .duplicateKey, "duplicate key \"\(member.key)\" (first written on line \(line))",
                    at: member.keyOffset, memberPointer)
                continue
            }
            guard allowed.contains(member.key) else {
                let suggestion = NameSuggestion.closest(to: member.key, in: allowed)
                let hint =
                    suggestion.map { "; did you mean \"\($0)\"?" }
                    ?? " (allowed: \(allowed.joined(separator: ", ")))"
                error(
                    .unknownField, "unknown field \"\(member.key)\" in \(what)\(hint)", at: member.keyOffset,
                    memberPointer)
                continue
            }
            fields.members[member.key] = member
        }
        for key in required where fields.members[key] == nil {
            error(
                .missingField, "missing required field \"\(key)\" in \(what)", at: node.offset, pointer.appending(key))
        }
        return fields
    }

    mutating func typeMismatch(_ node: JSONNode, expected: String, at pointer: JSONPointer, what: String) {
        error(.typeMismatch, "\(what) must be \(expected), found \(article(node.typeName))", at: node.offset, pointer)
    }

    private func article(_ typeName: String) -> String {
        switch typeName {
        case "null": return "null"
        case "array", "object", "integer": return "an \(typeName)"
        default: return "a \(typeName)"
        }
    }

    /// A string field; nil when absent or wrong. `nonEmpty` rejects blank text.
    mutating func string(_ fields: Fields, _ key: String, nonEmpty: Bool = true) -> String? {
        guard let member = fields.members[key] else { return nil }
        let pointer = fields.pointer.appending(key)
        guard case .string(let value) = member.value.content else {
            typeMismatch(member.value, expected: "a string", at: pointer, what: "\"\(key)\"")
            return nil
        }
        if nonEmpty, value.allSatisfy(\.isWhitespace) {
            error(.emptyValue, "\"\(key)\" must not be empty", at: member.value.offset, pointer)
            return nil
        }
        return value
    }

    /// A number field within `range`.
    mutating func number(_ fields: Fields, _ key: String, range: ClosedRange<Double>) -> Double? {
        guard let member = fields.members[key] else { return nil }
        let pointer = fields.pointer.appending(key)
        let value: Double
        let written: String
        switch member.value.content {
        case .int(let int):
            value = Double(int)
            written = String(int)
        case .double(let double):
            value = double
            written = "\(double)"
        default:
            typeMismatch(member.value, expected: "a number", at: pointer, what: "\"\(key)\"")
            return nil
        }
        guard range.contains(value) else {
            error(
                .outOfRange,
                "\"\(key)\" is \(written), outside the allowed range \(format(range.lowerBound))–\(format(range.upperBound))",
                at: member.value.offset, pointer)
            return nil
        }
        return value
    }

    /// An integer field within `range`.
    mutating func integer(_ fields: Fields, _ key: String, range: ClosedRange<Int>) -> Int? {
        guard let member = fields.members[key] else { return nil }
        let pointer = fields.pointer.appending(key)
        guard case .int(let value) = member.value.content else {
            typeMismatch(member.value, expected: "an integer", at: pointer, what: "\"\(key)\"")
            return nil
        }
        guard range.contains(value) else {
            error(
                .outOfRange,
                "\"\(key)\" is \(value), outside the allowed range \(range.lowerBound)–\(range.upperBound)",
                at: member.value.offset, pointer)
            return nil
        }
        return value
    }

    /// A boolean field.
    mutating func bool(_ fields: Fields, _ key: String) -> Bool? {
        guard let member = fields.members[key] else { return nil }
        guard case .bool(let value) = member.value.content else {
            typeMismatch(member.value, expected: "true or false", at: fields.pointer.appending(key), what: "\"\(key)\"")
            return nil
        }
        return value
    }

    /// An array of strings; each element with its offset and pointer. Wrong elements are reported and skipped.
    mutating func stringArray(_ fields: Fields, _ key: String) -> [LocatedString]? {
        guard let member = fields.members[key] else { return nil }
        let pointer = fields.pointer.appending(key)
        guard case .array(let items) = member.value.content else {
            typeMismatch(member.value, expected: "an array of strings", at: pointer, what: "\"\(key)\"")
            return nil
        }
        var result: [LocatedString] = []
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let itemPointer = pointer.appending(index)
            guard case .string(let value) = item.content else {
                typeMismatch(item, expected: "a string", at: itemPointer, what: "\"\(key)\" element")
                continue
            }
            if let first = seen[value] {
                warning(
                    .duplicateEntry, "\"\(value)\" is listed twice in \"\(key)\" (also at index \(first))",
                    at: item.offset, itemPointer)
                continue
            }
            seen[value] = index
            result.append(LocatedString(value: value, offset: item.offset, pointer: itemPointer))
        }
        return result
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() ? String(format1: value) : "\(value)"
    }
}

/// An object's known members, with where the object is.
struct Fields {
    var offset: Int
    var pointer: JSONPointer
    var members: [String: JSONMember] = [:]

    subscript(key: String) -> JSONMember? { members[key] }
}

/// A string value with where it was written.
struct LocatedString {
    var value: String
    var offset: Int
    var pointer: JSONPointer
}

extension String {
    /// `2.0` for 2, as written in ranges.
    fileprivate init(format1 value: Double) { self = "\(Int(value)).0" }
}
