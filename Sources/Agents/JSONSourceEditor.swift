import AgentRuntime

/// Changes top-level fields of a JSON object's source text and leaves every
/// other byte as it was, so a saved definition's git diff shows only the change.
public enum JSONSourceEditor {
    /// A value written the way definition files write them: arrays of scalars on one line with `", "`.
    public static func inline(_ value: JSONValue) -> String {
        switch value {
        case .array(let items)
        where items.allSatisfy({ if case .array = $0 { false } else if case .object = $0 { false } else { true } }):
            return "[" + items.map { $0.serialized() }.joined(separator: ", ") + "]"
        default:
            return value.serialized()
        }
    }

    /// `text` with each changed field's value replaced in place; a field not yet present is
    /// inserted after the nearest field that precedes it in `order`, with that field's indentation.
    /// Throws when `text` is not a JSON object.
    public static func setting(
        _ changes: [(key: String, value: JSONValue)], in text: String, order: [String]
    ) throws -> String {
        var result = text
        for change in changes {
            let document = try JSONParser.parse(result)
            guard case .object(let members) = document.root.content else {
                throw JSONSyntaxError(message: "the file is not a JSON object", location: document.location(of: 0))
            }
            let bytes = Array(result.utf8)
            if let member = members.last(where: { $0.key == change.key }) {
                let start = member.value.offset
                let end = document.endOffset(of: member.value)
                result =
                    String(decoding: bytes[..<start], as: UTF8.self) + inline(change.value)
                    + String(decoding: bytes[end...], as: UTF8.self)
                continue
            }
            let rank = order.firstIndex(of: change.key) ?? order.count
            let anchor = members.last { (order.firstIndex(of: $0.key) ?? order.count) <= rank } ?? members.last
            let entry = "\"\(change.key)\": \(inline(change.value))"
            if let anchor {
                let indentation = String(repeating: " ", count: document.location(of: anchor.keyOffset).column - 1)
                let end = document.endOffset(of: anchor.value)
                let lineBreak =
                    document.location(of: anchor.keyOffset).line == document.location(of: document.root.offset).line
                    ? " " : "\n" + indentation
                result =
                    String(decoding: bytes[..<end], as: UTF8.self) + "," + lineBreak + entry
                    + String(decoding: bytes[end...], as: UTF8.self)
            } else {
                let open = document.root.offset + 1
                result =
                    String(decoding: bytes[..<open], as: UTF8.self) + "\n  " + entry + "\n"
                    + String(decoding: bytes[open...], as: UTF8.self)
            }
        }
        return result
    }
}
