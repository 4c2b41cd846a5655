import AgentRuntime
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    @Test("parses every JSON type, keeping integers as integers and member order")
    func parsesValues() throws {
        let value = try JSONParser.value(#"{"b": 1, "a": 1.5, "c": [true, false, null], "d": "x", "e": -0, "f": 1e3}"#)
        guard case .object(let object) = value else {
            Issue.record("expected an object")
            return
        }
        #expect(object.keys == ["b", "a", "c", "d", "e", "f"])
        #expect(object["b"] == .int(1))
        #expect(object["a"] == .double(1.5))
        #expect(object["c"] == [true, false, nil])
        #expect(object["d"] == "x")
        #expect(object["e"] == .int(0))
        #expect(object["f"] == .double(1000))
    }

    @Test("decodes escapes, surrogate pairs and raw UTF-8")
    func decodesStrings() throws {
        let value = try JSONParser.value(#"["a\"b\\c\/d\n\t", "\u00e9\ud83d\ude00", "é😀"]"#)
        #expect(value == ["a\"b\\c/d\n\t", "é😀", "é😀"])
    }

    @Test("integers too large for Int become doubles")
    func bigIntegers() throws {
        #expect(try JSONParser.value("123456789012345678901234567890") == .double(123456789012345678901234567890))
    }

    @Test("records each value's position")
    func positions() throws {
        let document = try JSONParser.parse("{\n  \"name\": \"x\",\n  \"list\": [1, 2]\n}")
        guard case .object(let members) = document.root.content else {
            Issue.record("expected an object")
            return
        }
        let list = try #require(members.first { $0.key == "list" })
        #expect(document.location(of: list.keyOffset) == SourceLocation(line: 3, column: 3, offset: list.keyOffset))
        guard case .array(let items) = list.value.content else {
            Issue.record("expected an array")
            return
        }
        #expect(document.location(of: items[1].offset).line == 3)
        #expect(document.location(of: items[1].offset).column == 15)
    }

    @Test("columns count characters, not bytes")
    func unicodeColumns() throws {
        let document = try JSONParser.parse(#"{"é😀": 1}"#)
        guard case .object(let members) = document.root.content else {
            Issue.record("expected an object")
            return
        }
        #expect(document.location(of: members[0].value.offset).column == 8)
    }

    struct SyntaxCase: Sendable, CustomTestStringConvertible {
        var text: String
        var line: Int
        var column: Int
        var message: String
        var testDescription: String { message }
    }

    @Test(
        "syntax errors name the line, column and problem",
        arguments: [
            SyntaxCase(text: "{\n  \"a\": 1,\n}", line: 3, column: 1, message: "trailing comma before '}'"),
            SyntaxCase(text: "{\"a\": 1 \"b\": 2}", line: 1, column: 9, message: "missing ',' between object members"),
            SyntaxCase(text: "{\"a\" 1}", line: 1, column: 6, message: "expected ':' after the key \"a\""),
            SyntaxCase(
                text: "[1, 2", line: 1, column: 1, message: "unexpected end of input: array opened here is not closed"),
            SyntaxCase(
                text: "{'a': 1}", line: 1, column: 2, message: "object keys must use double quotes, not single quotes"),
            SyntaxCase(text: "{\"a\": tru}", line: 1, column: 7, message: "invalid literal: expected 'true'"),
            SyntaxCase(
                text: "{\"a\": \"x\ny\"}", line: 1, column: 9,
                message: "line break inside a string: write \\n, or close the string"),
            SyntaxCase(
                text: "{\"a\": 01}", line: 1, column: 7, message: "invalid number: leading zeros are not allowed"),
            SyntaxCase(text: "// note\n{}", line: 1, column: 1, message: "comments are not allowed in JSON"),
            SyntaxCase(text: "{} x", line: 1, column: 4, message: "unexpected 'x' after the end of the JSON value"),
            SyntaxCase(text: "", line: 1, column: 1, message: "empty document: expected a JSON value"),
            SyntaxCase(text: "\"abc", line: 1, column: 1, message: "unterminated string"),
            SyntaxCase(text: "[\"\\x\"]", line: 1, column: 3, message: "invalid escape '\\x' in string"),
            SyntaxCase(text: "[1,]", line: 1, column: 4, message: "trailing comma before ']'"),
        ])
    func syntaxErrors(_ testCase: SyntaxCase) {
        #expect(
            throws: JSONSyntaxError(
                message: testCase.message,
                location: SourceLocation(line: testCase.line, column: testCase.column, offset: offset(testCase)))
        ) {
            _ = try JSONParser.parse(testCase.text)
        }
    }

    private func offset(_ testCase: SyntaxCase) -> Int {
        let lines = testCase.text.split(separator: "\n", omittingEmptySubsequences: false)
        let before = lines.prefix(testCase.line - 1).reduce(0) { $0 + $1.utf8.count + 1 }
        let line = lines.isEmpty ? "" : String(lines[testCase.line - 1])
        return before + String(line.unicodeScalars.prefix(testCase.column - 1)).utf8.count
    }

    @Test("invalid UTF-8 in a string is an error")
    func invalidUTF8() {
        #expect(throws: JSONSyntaxError.self) { _ = try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test("nesting is bounded")
    func depthLimit() {
        let deep =
            String(repeating: "[", count: JSONParser.maximumDepth + 1)
            + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        #expect(throws: JSONSyntaxError.self) { _ = try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { _ = try JSONParser.parse(ok) }
    }

    @Test("serialization round-trips through the parser")
    func roundTrip() throws {
        let value: JSONValue = [
            "z": 1, "a": [1.5, -2, "q\"\n\u{01}", nil, true], "m": ["nested": [:], "empty": []], "d": 2.0,
        ]
        for pretty in [false, true] {
            #expect(try JSONParser.value(value.serialized(pretty: pretty)) == value)
        }
        #expect(
            value.serialized() == #"{"z":1,"a":[1.5,-2,"q\"\n\u0001",null,true],"m":{"nested":{},"empty":[]},"d":2.0}"#)
        #expect(value.serialized(sortedKeys: true).hasPrefix(#"{"a":"#))
    }

    @Test("objects compare equal whatever their member order")
    func objectEquality() {
        let a: JSONValue = ["x": 1, "y": 2]
        let b: JSONValue = ["y": 2, "x": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ["x": 1, "y": 3])
    }
}
