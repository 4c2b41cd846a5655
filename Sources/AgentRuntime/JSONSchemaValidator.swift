import Foundation

/// Checks a value against a JSON Schema (the subset used for tool arguments
/// and structured outputs): `type`, `properties`, `required`,
/// `additionalProperties`, `items`, `enum`, `const`, numeric and length bounds,
/// `pattern`, `minItems`/`maxItems`, `uniqueItems`, `allOf`/`anyOf`/`oneOf`/`not`,
/// and local `$ref`s (`#/$defs/...`, `#/definitions/...`). Unknown keywords are ignored.
public struct JSONSchemaValidator: Sendable {
    /// One violation: where in the value, and what.
    public struct Violation: Hashable, Sendable, CustomStringConvertible {
        /// JSON Pointer into the validated value (`/items/0/price`).
        public var path: String
        /// What is wrong.
        public var message: String
        /// `path: message` (`(root)` for the whole value).
        public var description: String { "\(path.isEmpty ? "(root)" : path): \(message)" }
    }

    private let root: JSONValue

    /// Creates a validator for `schema`.
    public init(_ schema: JSONSchema) { root = schema.document }

    /// Every violation of `value` (empty when it conforms).
    public func validate(_ value: JSONValue) -> [Violation] {
        var violations: [Violation] = []
        check(value, against: root, path: "", into: &violations, depth: 0)
        return violations
    }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = root
        for part in reference.dropFirst().split(separator: "/") {
            let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = node[key] else { return nil }
            node = next
        }
        return node
    }

    private func typeMatches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("integer", .int): return true
        case ("integer", .double(let number)): return number == number.rounded() && abs(number) < 9e15
        case ("number", .int), ("number", .double): return true
        default: return false
        }
    }

    private func check(
        _ value: JSONValue, against schema: JSONValue, path: String, into violations: inout [Violation], depth: Int
    ) {
        guard depth < 64 else { return }
        if case .bool(let allowed) = schema {
            if !allowed { violations.append(Violation(path: path, message: "no value is allowed here")) }
            return
        }
        guard case .object = schema else { return }
        if let reference = schema["$ref"]?.stringValue, let target = resolve(reference) {
            check(value, against: target, path: path, into: &violations, depth: depth + 1)
        }
        if let type = schema["type"] {
            let types: [String] =
                type.stringValue.map { [$0] }
                ?? {
                    if case .array(let items) = type { return items.compactMap(\.stringValue) }
                    return []
                }()
            if !types.isEmpty, !types.contains(where: { typeMatches(value, $0) }) {
                violations.append(
                    Violation(
                        path: path, message: "expected \(types.joined(separator: " or ")), found \(value.typeName)"))
                return
            }
        }
        if case .array(let options)? = schema["enum"], !options.contains(value) {
            violations.append(
                Violation(
                    path: path, message: "must be one of \(options.map { $0.serialized() }.joined(separator: ", "))"))
        }
        if let constant = schema["const"], constant != value {
            violations.append(Violation(path: path, message: "must be \(constant.serialized())"))
        }
        switch value {
        case .string(let text):
            let length = text.count
            if let minimum = schema["minLength"]?.doubleValue, Double(length) < minimum {
                violations.append(Violation(path: path, message: "must be at least \(Int(minimum)) characters"))
            }
            if let maximum = schema["maxLength"]?.doubleValue, Double(length) > maximum {
                violations.append(Violation(path: path, message: "must be at most \(Int(maximum)) characters"))
            }
            if let pattern = schema["pattern"]?.stringValue, let regex = try? NSRegularExpression(pattern: pattern),
                regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
            {
                violations.append(Violation(path: path, message: "must match the pattern \(pattern)"))
            }
        case .int, .double:
            let number = value.doubleValue!
            if let minimum = schema["minimum"]?.doubleValue, number < minimum {
                violations.append(Violation(path: path, message: "must be ≥ \(minimum.compact)"))
            }
            if let maximum = schema["maximum"]?.doubleValue, number > maximum {
                violations.append(Violation(path: path, message: "must be ≤ \(maximum.compact)"))
            }
            if let minimum = schema["exclusiveMinimum"]?.doubleValue, number <= minimum {
                violations.append(Violation(path: path, message: "must be > \(minimum.compact)"))
            }
            if let maximum = schema["exclusiveMaximum"]?.doubleValue, number >= maximum {
                violations.append(Violation(path: path, message: "must be < \(maximum.compact)"))
            }
        case .array(let items):
            if let minimum = schema["minItems"]?.doubleValue, Double(items.count) < minimum {
                violations.append(Violation(path: path, message: "must have at least \(Int(minimum)) items"))
            }
            if let maximum = schema["maxItems"]?.doubleValue, Double(items.count) > maximum {
                violations.append(Violation(path: path, message: "must have at most \(Int(maximum)) items"))
            }
            if schema["uniqueItems"] == true, Set(items).count != items.count {
                violations.append(Violation(path: path, message: "items must be unique"))
            }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() {
                    check(item, against: itemSchema, path: "\(path)/\(index)", into: &violations, depth: depth + 1)
                }
            }
        case .object(let object):
            if case .array(let required)? = schema["required"] {
                for name in required.compactMap(\.stringValue) where object[name] == nil {
                    violations.append(Violation(path: path, message: "missing required property \"\(name)\""))
                }
            }
            let properties: JSONObject? = {
                if case .object(let properties)? = schema["properties"] { return properties } else { return nil }
            }()
            for member in object {
                let memberPath = "\(path)/\(member.key)"
                if let propertySchema = properties?[member.key] {
                    check(member.value, against: propertySchema, path: memberPath, into: &violations, depth: depth + 1)
                } else if let additional = schema["additionalProperties"] {
                    if additional == false {
                        violations.append(Violation(path: memberPath, message: "unexpected property \"\(member.key)\""))
                    } else {
                        check(member.value, against: additional, path: memberPath, into: &violations, depth: depth + 1)
                    }
                }
            }
        default:
            break
        }
        if case .array(let all)? = schema["allOf"] {
            for sub in all { check(value, against: sub, path: path, into: &violations, depth: depth + 1) }
        }
        if case .array(let any)? = schema["anyOf"] {
            let matches = any.contains { sub in
                var nested: [Violation] = []
                check(value, against: sub, path: path, into: &nested, depth: depth + 1)
                return nested.isEmpty
            }
            if !matches {
                violations.append(Violation(path: path, message: "does not match any of the allowed shapes"))
            }
        }
        if case .array(let one)? = schema["oneOf"] {
            let count = one.count { sub in
                var nested: [Violation] = []
                check(value, against: sub, path: path, into: &nested, depth: depth + 1)
                return nested.isEmpty
            }
            if count != 1 {
                violations.append(
                    Violation(path: path, message: "must match exactly one of the allowed shapes (matches \(count))"))
            }
        }
        if let not = schema["not"] {
            var nested: [Violation] = []
            check(value, against: not, path: path, into: &nested, depth: depth + 1)
            if nested.isEmpty {
                violations.append(Violation(path: path, message: "matches a shape that is not allowed"))
            }
        }
    }
}

extension Double {
    var compact: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}
