extension JSONValue {
    /// The value as JSON text. `pretty` indents with two spaces and puts each
    /// member on its own line; object members keep their order unless
    /// `sortedKeys` is set. Non-finite doubles are written as `null`.
    public func serialized(pretty: Bool = false, sortedKeys: Bool = false) -> String {
        var output = ""
        write(to: &output, pretty: pretty, sortedKeys: sortedKeys, indent: 0)
        return output
    }

    private func write(to output: inout String, pretty: Bool, sortedKeys: Bool, indent: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .double(let value):
            if !value.isFinite {
                output += "null"
            } else if value == value.rounded(), abs(value) < 1e15 {
                output += String(Int(value)) + ".0"
            } else {
                output += "\(value)"
            }
        case .string(let value): JSONValue.writeString(value, to: &output)
        case .array(let items):
            if items.isEmpty {
                output += "[]"
                return
            }
            output += "["
            for (position, item) in items.enumerated() {
                if position > 0 { output += "," }
                if pretty { output += "\n" + String(repeating: "  ", count: indent + 1) }
                item.write(to: &output, pretty: pretty, sortedKeys: sortedKeys, indent: indent + 1)
            }
            if pretty { output += "\n" + String(repeating: "  ", count: indent) }
            output += "]"
        case .object(let object):
            if object.members.isEmpty {
                output += "{}"
                return
            }
            output += "{"
            let members = sortedKeys ? object.members.sorted { $0.key < $1.key } : object.members
            for (position, member) in members.enumerated() {
                if position > 0 { output += "," }
                if pretty { output += "\n" + String(repeating: "  ", count: indent + 1) }
                JSONValue.writeString(member.key, to: &output)
                output += pretty ? ": " : ":"
                member.value.write(to: &output, pretty: pretty, sortedKeys: sortedKeys, indent: indent + 1)
            }
            if pretty { output += "\n" + String(repeating: "  ", count: indent) }
            output += "}"
        }
    }

    /// Appends `string` as a quoted, escaped JSON string.
    public static func writeString(_ string: String, to output: inout String) {
        // Fast path: nothing to escape (the common case) is appended in one go.
        var needsEscaping = false
        for byte in string.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0xE2 {
            needsEscaping = true
            break
        }
        output += "\""
        guard needsEscaping else {
            output += string
            output += "\""
            return
        }
        // Escapes byte by byte on the UTF-8 (multi-byte characters pass through untouched, but for U+2028 and
        // U+2029, which JavaScript treats as line ends).
        let source = Array(string.utf8)
        var escaped: [UInt8] = []
        escaped.reserveCapacity(source.count + 16)
        let hexDigits = Array("0123456789abcdef".utf8)
        var index = 0
        while index < source.count {
            let byte = source[index]
            switch byte {
            case 0x22:
                escaped.append(0x5C)
                escaped.append(0x22)
            case 0x5C:
                escaped.append(0x5C)
                escaped.append(0x5C)
            case 0x0A:
                escaped.append(0x5C)
                escaped.append(0x6E)
            case 0x0D:
                escaped.append(0x5C)
                escaped.append(0x72)
            case 0x09:
                escaped.append(0x5C)
                escaped.append(0x74)
            case 0x08:
                escaped.append(0x5C)
                escaped.append(0x62)
            case 0x0C:
                escaped.append(0x5C)
                escaped.append(0x66)
            case 0x00..<0x20:
                escaped.append(contentsOf: [
                    0x5C, 0x75, 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)],
                ])
            case 0xE2
            where index + 2 < source.count && source[index + 1] == 0x80
                && (source[index + 2] == 0xA8 || source[index + 2] == 0xA9):
                escaped += Array((source[index + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                index += 3
                continue
            default: escaped.append(byte)
            }
            index += 1
        }
        output += String(decoding: escaped, as: UTF8.self)
        output += "\""
    }
}

extension JSONValue: Codable {
    /// Decodes any JSON value; integers that fit in `Int` stay integers.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            let value = try container.decode([String: JSONValue].self)
            self = .object(JSONObject(value.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }))
        }
    }

    /// Encodes the value; object members are written in their order.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .object(let object):
            var container = encoder.container(keyedBy: DynamicKey.self)
            for member in object.members { try container.encode(member.value, forKey: DynamicKey(member.key)) }
        }
    }
}

private struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
