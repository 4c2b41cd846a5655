/// `{placeholder}` templates in agent and task texts.
///
/// A placeholder is `{` + an identifier (`[A-Za-z_][A-Za-z0-9_]*`) + `}`.
/// Anything else in braces (JSON examples, `{ }`) is plain text, and `{{` /
/// `}}` write literal braces.
public enum Template {
    /// One placeholder occurrence.
    public struct Placeholder: Hashable, Sendable {
        /// The name between the braces.
        public var name: String
        /// Scalar offset of the opening brace in the text.
        public var offset: Int
    }

    /// The placeholders in `text`, in order of appearance.
    public static func placeholders(in text: String) -> [Placeholder] {
        var result: [Placeholder] = []
        scan(text) { name, offset in
            result.append(Placeholder(name: name, offset: offset))
        } literal: { _ in
        }
        return result
    }

    /// The distinct placeholder names in `text`, in order of first appearance.
    public static func names(in text: String) -> [String] {
        var seen = Set<String>()
        return placeholders(in: text).compactMap { seen.insert($0.name).inserted ? $0.name : nil }
    }

    /// `text` with every placeholder replaced from `values`; placeholders with
    /// no value are left as written and listed in `missing`.
    public static func render(_ text: String, values: [String: String]) -> (text: String, missing: [String]) {
        var output = String.UnicodeScalarView()
        var missing: [String] = []
        scan(text) { name, _ in
            if let value = values[name] {
                output.append(contentsOf: value.unicodeScalars)
            } else {
                if !missing.contains(name) { missing.append(name) }
                output.append(contentsOf: "{\(name)}".unicodeScalars)
            }
        } literal: { scalar in
            output.append(scalar)
        }
        return (String(output), missing)
    }

    private static func scan(
        _ text: String, placeholder: (String, Int) -> Void, literal: (Unicode.Scalar) -> Void
    ) {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "{", index + 1 < scalars.count, scalars[index + 1] == "{" {
                literal("{")
                index += 2
                continue
            }
            if scalar == "}", index + 1 < scalars.count, scalars[index + 1] == "}" {
                literal("}")
                index += 2
                continue
            }
            if scalar == "{", let end = identifierEnd(scalars, from: index + 1), end < scalars.count,
                scalars[end] == "}"
            {
                var name = String.UnicodeScalarView()
                name.append(contentsOf: scalars[(index + 1)..<end])
                placeholder(String(name), index)
                index = end + 1
                continue
            }
            literal(scalar)
            index += 1
        }
    }

    private static func identifierEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        guard start < scalars.count, isIdentifierHead(scalars[start]) else { return nil }
        var index = start + 1
        while index < scalars.count, isIdentifierHead(scalars[index]) || ("0"..."9").contains(scalars[index]) {
            index += 1
        }
        return index
    }

    private static func isIdentifierHead(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
    }
}
