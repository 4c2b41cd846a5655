/// A strict JSON (RFC 8259) parser that remembers where every value and key
/// was written, so diagnostics can name a line and column.
///
/// It is a small byte-level recursive-descent parser: integers stay integers,
/// object members keep their order, duplicate keys are kept (validators report
/// them), nesting is bounded, and every syntax error says what was expected.
public enum JSONParser {
    /// Maximum nesting of arrays and objects accepted.
    public static let maximumDepth = 256

    /// Parses `text` into a located document.
    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONDocument {
        try parse(Array(text.utf8))
    }

    /// Parses UTF-8 `bytes` into a located document.
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONDocument {
        var scanner = Scanner(bytes: bytes)
        do {
            let root = try scanner.parseDocument()
            return JSONDocument(root: root, bytes: bytes)
        } catch {
            throw JSONSyntaxError(
                message: error.message, location: JSONDocument.location(of: error.offset, in: bytes))
        }
    }

    /// Parses `text` into a plain ``JSONValue`` (positions dropped).
    public static func value(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try value(Array(text.utf8))
    }

    /// Parses UTF-8 `bytes` into a plain ``JSONValue`` (positions dropped).
    public static func value(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var scanner = Scanner(bytes: bytes)
        do {
            return try scanner.parseDocument().value
        } catch {
            throw JSONSyntaxError(message: error.message, location: JSONDocument.location(of: error.offset, in: bytes))
        }
    }
}

/// A parse failure: what was wrong and where.
public struct JSONSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong, e.g. `expected ',' or '}' after an object member`.
    public var message: String
    /// Where the problem starts.
    public var location: SourceLocation

    /// Creates a syntax error.
    public init(message: String, location: SourceLocation) {
        self.message = message
        self.location = location
    }

    /// `line:column: message`.
    public var description: String { "\(location.line):\(location.column): \(message)" }
}

/// A position in source text: 1-based line and column (columns count Unicode
/// scalars), plus the 0-based UTF-8 byte offset.
public struct SourceLocation: Hashable, Sendable, Comparable {
    /// 1-based line number.
    public var line: Int
    /// 1-based column, in Unicode scalars.
    public var column: Int
    /// 0-based byte offset into the UTF-8 text.
    public var offset: Int

    /// Creates a location.
    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// Orders locations by offset.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.offset < rhs.offset }
}

/// A parsed document: its root node and the text to map offsets to lines.
public struct JSONDocument: Sendable {
    /// The root value.
    public let root: JSONNode
    private let bytes: [UInt8]
    private let lineStarts: [Int]

    init(root: JSONNode, bytes: [UInt8]) {
        self.root = root
        self.bytes = bytes
        var starts = [0]
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") { starts.append(index + 1) }
        self.lineStarts = starts
    }

    /// The line and column of a byte offset in this document.
    public func location(of offset: Int) -> SourceLocation {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return SourceLocation(
            line: low + 1, column: Self.column(from: lineStarts[low], to: offset, in: bytes), offset: offset)
    }

    static func location(of offset: Int, in bytes: [UInt8]) -> SourceLocation {
        var line = 1
        var lineStart = 0
        var index = 0
        let end = min(offset, bytes.count)
        while index < end {
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
        return SourceLocation(line: line, column: column(from: lineStart, to: offset, in: bytes), offset: offset)
    }

    private static func column(from start: Int, to offset: Int, in bytes: [UInt8]) -> Int {
        var column = 1
        var index = start
        let end = min(offset, bytes.count)
        while index < end {
            if bytes[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return column
    }
}

/// A JSON value with the byte offset where it starts.
public struct JSONNode: Sendable {
    /// The value's content.
    public enum Content: Sendable {
        /// `null`.
        case null
        /// A boolean.
        case bool(Bool)
        /// An integer written without fraction or exponent.
        case int(Int)
        /// Any other number.
        case double(Double)
        /// A string.
        case string(String)
        /// An array of located values.
        case array([JSONNode])
        /// An object's members in source order, duplicates kept.
        case object([JSONMember])
    }

    /// Byte offset of the value's first character.
    public var offset: Int
    /// The content.
    public var content: Content

    /// Creates a node.
    public init(offset: Int, content: Content) {
        self.offset = offset
        self.content = content
    }

    /// The plain value (positions dropped; for duplicate keys the last wins).
    public var value: JSONValue {
        switch content {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        case .string(let value): return .string(value)
        case .array(let items): return .array(items.map(\.value))
        case .object(let members): return .object(JSONObject(members.map { (key: $0.key, value: $0.value.value) }))
        }
    }

    /// The JSON type name used in diagnostics.
    public var typeName: String {
        switch content {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// One `"key": value` member of an object, with the key's offset.
public struct JSONMember: Sendable {
    /// The key.
    public var key: String
    /// Byte offset of the key's opening quote.
    public var keyOffset: Int
    /// The member's value.
    public var value: JSONNode

    /// Creates a member.
    public init(key: String, keyOffset: Int, value: JSONNode) {
        self.key = key
        self.keyOffset = keyOffset
        self.value = value
    }
}

private struct ScanError: Error {
    var message: String
    var offset: Int
}

private struct Scanner {
    let bytes: [UInt8]
    var index = 0
    var depth = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // Skip a UTF-8 byte order mark.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
    }

    mutating func parseDocument() throws(ScanError) -> JSONNode {
        skipWhitespace()
        guard index < bytes.count else {
            throw ScanError(message: "empty document: expected a JSON value", offset: index)
        }
        let root = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw ScanError(
                message: "unexpected \(describe(bytes[index])) after the end of the JSON value", offset: index)
        }
        return root
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    func describe(_ byte: UInt8) -> String {
        switch byte {
        case 0x20...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        default: return "byte 0x\(String(byte, radix: 16, uppercase: true))"
        }
    }

    mutating func parseValue() throws(ScanError) -> JSONNode {
        guard index < bytes.count else {
            throw ScanError(message: "unexpected end of input: expected a value", offset: index)
        }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return JSONNode(offset: start, content: .string(try parseString()))
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return JSONNode(offset: start, content: .bool(true))
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return JSONNode(offset: start, content: .bool(false))
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return JSONNode(offset: start, content: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "'"):
            throw ScanError(message: "strings must use double quotes, not single quotes", offset: index)
        case UInt8(ascii: "/"): throw ScanError(message: "comments are not allowed in JSON", offset: index)
        default: throw ScanError(message: "unexpected \(describe(bytes[index])): expected a value", offset: index)
        }
    }

    mutating func expectLiteral(_ literal: String) throws(ScanError) {
        let start = index
        let expected = Array(literal.utf8)
        guard index + expected.count <= bytes.count, bytes[index..<(index + expected.count)].elementsEqual(expected)
        else {
            throw ScanError(message: "invalid literal: expected '\(literal)'", offset: start)
        }
        index += expected.count
    }

    mutating func enter(_ offset: Int) throws(ScanError) {
        depth += 1
        if depth > JSONParser.maximumDepth {
            throw ScanError(message: "nesting deeper than \(JSONParser.maximumDepth) levels", offset: offset)
        }
    }

    mutating func parseObject() throws(ScanError) -> JSONNode {
        let start = index
        try enter(start)
        index += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return JSONNode(offset: start, content: .object(members))
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else {
                throw ScanError(message: "unexpected end of input: object opened here is not closed", offset: start)
            }
            if bytes[index] == UInt8(ascii: "}") {
                throw ScanError(message: "trailing comma before '}'", offset: index)
            }
            guard bytes[index] == UInt8(ascii: "\"") else {
                if bytes[index] == UInt8(ascii: "'") {
                    throw ScanError(message: "object keys must use double quotes, not single quotes", offset: index)
                }
                throw ScanError(message: "expected a double-quoted key, found \(describe(bytes[index]))", offset: index)
            }
            let keyOffset = index
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw ScanError(message: "expected ':' after the key \"\(key)\"", offset: index)
            }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            members.append(JSONMember(key: key, keyOffset: keyOffset, value: value))
            skipWhitespace()
            guard index < bytes.count else {
                throw ScanError(message: "unexpected end of input: object opened here is not closed", offset: start)
            }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return JSONNode(offset: start, content: .object(members))
            case UInt8(ascii: "\""):
                throw ScanError(message: "missing ',' between object members", offset: index)
            default:
                throw ScanError(
                    message: "expected ',' or '}' after an object member, found \(describe(bytes[index]))",
                    offset: index)
            }
        }
    }

    mutating func parseArray() throws(ScanError) -> JSONNode {
        let start = index
        try enter(start)
        index += 1
        var items: [JSONNode] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return JSONNode(offset: start, content: .array(items))
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else {
                throw ScanError(message: "unexpected end of input: array opened here is not closed", offset: start)
            }
            if bytes[index] == UInt8(ascii: "]") {
                throw ScanError(message: "trailing comma before ']'", offset: index)
            }
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else {
                throw ScanError(message: "unexpected end of input: array opened here is not closed", offset: start)
            }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return JSONNode(offset: start, content: .array(items))
            default:
                throw ScanError(
                    message: "expected ',' or ']' after an array element, found \(describe(bytes[index]))",
                    offset: index)
            }
        }
    }

    mutating func parseString() throws(ScanError) -> String {
        let open = index
        index += 1
        let contentStart = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = bytes[contentStart..<index]
                index += 1
                guard let string = String(validating: slice, as: UTF8.self) else {
                    throw ScanError(message: "string is not valid UTF-8", offset: open)
                }
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw controlCharacterError(byte) }
            index += 1
        }
        var buffer = Array(bytes[contentStart..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let string = String(validating: buffer, as: UTF8.self) else {
                    throw ScanError(message: "string is not valid UTF-8", offset: open)
                }
                return string
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): buffer.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try parseUnicodeEscape()
                    buffer.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw ScanError(
                        message: "invalid escape '\\\(Character(Unicode.Scalar(escape)))' in string", offset: index - 2)
                }
            default:
                if byte < 0x20 { throw controlCharacterError(byte) }
                buffer.append(byte)
                index += 1
            }
        }
        throw ScanError(message: "unterminated string", offset: open)
    }

    func controlCharacterError(_ byte: UInt8) -> ScanError {
        if byte == 0x0A || byte == 0x0D {
            return ScanError(message: "line break inside a string: write \\n, or close the string", offset: index)
        }
        return ScanError(message: "control character \(describe(byte)) inside a string must be escaped", offset: index)
    }

    mutating func parseHex4() throws(ScanError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw ScanError(message: "incomplete \\u escape", offset: index - 2) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw ScanError(message: "invalid hex digit in \\u escape", offset: index)
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    mutating func parseUnicodeEscape() throws(ScanError) -> Unicode.Scalar {
        let escapeStart = index - 2
        let high = try parseHex4()
        if (0xD800...0xDBFF).contains(high) {
            guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else {
                throw ScanError(message: "unpaired surrogate in \\u escape", offset: escapeStart)
            }
            index += 2
            let low = try parseHex4()
            guard (0xDC00...0xDFFF).contains(low),
                let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            else { throw ScanError(message: "invalid surrogate pair in \\u escape", offset: escapeStart) }
            return scalar
        }
        guard let scalar = Unicode.Scalar(high) else {
            throw ScanError(message: "unpaired surrogate in \\u escape", offset: escapeStart)
        }
        return scalar
    }

    mutating func parseNumber() throws(ScanError) -> JSONNode {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func isDigit(_ i: Int) -> Bool { i < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) }
        guard isDigit(index) else { throw ScanError(message: "invalid number: expected a digit", offset: index) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) {
                throw ScanError(message: "invalid number: leading zeros are not allowed", offset: start)
            }
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard isDigit(index) else {
                throw ScanError(message: "invalid number: expected a digit after '.'", offset: index)
            }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard isDigit(index) else {
                throw ScanError(message: "invalid number: expected a digit in the exponent", offset: index)
            }
            while isDigit(index) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let value = Int(text) { return JSONNode(offset: start, content: .int(value)) }
        guard let value = Double(text), value.isFinite else {
            throw ScanError(message: "number out of range", offset: start)
        }
        return JSONNode(offset: start, content: .double(value))
    }
}

extension JSONDocument {
    /// The offset of the first occurrence of `needle` at or after `start`, within the same line.
    public func firstOffset(of needle: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == UInt8(ascii: "\n") { return nil }
            if bytes[index] == needle[0], Array(bytes[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
    }
}

extension JSONDocument {
    /// The offset just past `node`'s text (its closing quote or bracket, or its last character).
    public func endOffset(of node: JSONNode) -> Int {
        var index = node.offset
        guard index < bytes.count else { return index }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            index += 1
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                if bytes[index] == UInt8(ascii: "\"") { return index + 1 }
                index += 1
            }
            return index
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var inString = false
            while index < bytes.count {
                let byte = bytes[index]
                if inString {
                    if byte == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { return index + 1 }
                }
                index += 1
            }
            return index
        default:
            while index < bytes.count, !" \t\r\n,}]".utf8.contains(bytes[index]) { index += 1 }
            return index
        }
    }

    /// The document's text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}
