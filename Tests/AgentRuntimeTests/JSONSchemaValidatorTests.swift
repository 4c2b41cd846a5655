import AgentRuntime
import Testing

@Suite("JSON Schema validator")
struct JSONSchemaValidatorTests {
    let schema = JSONSchema([
        "type": "object",
        "properties": [
            "title": ["type": "string", "minLength": 3],
            "status": ["enum": ["draft", "publish"]],
            "score": ["type": "integer", "minimum": 0, "maximum": 100],
            "tags": [
                "type": "array", "items": ["type": "string", "pattern": "^[a-z]+$"], "maxItems": 2, "uniqueItems": true,
            ],
            "author": ["$ref": "#/$defs/person"],
        ],
        "required": ["title", "score"],
        "additionalProperties": false,
        "$defs": ["person": ["type": "object", "properties": ["name": ["type": "string"]], "required": ["name"]]],
    ])

    private func messages(_ value: JSONValue) -> [String] {
        JSONSchemaValidator(schema).validate(value).map(\.description)
    }

    @Test("a conforming value has no violations; integers written as 3.0 count as integers")
    func conforming() {
        #expect(
            messages([
                "title": "Hello", "score": 3.0, "status": "draft", "tags": ["a", "b"], "author": ["name": "Ada"],
            ]).isEmpty)
    }

    @Test("every violation is reported with its path")
    func violations() {
        #expect(
            messages([
                "title": "Hi", "score": 101, "status": "live", "tags": ["a", "a", "B"], "author": [:], "extra": 1,
            ]) == [
                "/title: must be at least 3 characters",
                "/score: must be ≤ 100",
                #"/status: must be one of "draft", "publish""#,
                "/tags: must have at most 2 items",
                "/tags: items must be unique",
                "/tags/2: must match the pattern ^[a-z]+$",
                #"/author: missing required property "name""#,
                #"/extra: unexpected property "extra""#,
            ])
        #expect(
            messages(["score": "high"]) == [
                #"(root): missing required property "title""#, "/score: expected integer, found string",
            ])
        #expect(messages([1, 2]) == ["(root): expected object, found array"])
    }

    @Test("anyOf, oneOf, not and type lists")
    func combinators() {
        let any = JSONSchemaValidator(JSONSchema(["anyOf": [["type": "string"], ["type": "integer"]]]))
        #expect(any.validate("x").isEmpty)
        #expect(any.validate(1.5).count == 1)
        let one = JSONSchemaValidator(JSONSchema(["oneOf": [["type": "number"], ["type": "integer"]]]))
        #expect(one.validate(1.5).isEmpty)
        #expect(one.validate(2).count == 1)
        #expect(JSONSchemaValidator(JSONSchema(["not": ["type": "null"]])).validate(nil).count == 1)
        #expect(JSONSchemaValidator(JSONSchema(["type": ["string", "null"]])).validate(nil).isEmpty)
    }
}
