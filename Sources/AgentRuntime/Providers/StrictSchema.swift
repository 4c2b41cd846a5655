/// OpenAI's rules for `strict: true` structured output, so the flag is sent only with schemas the API accepts in
/// strict mode (a schema that breaks them is sent without it rather than refused): the root is an object; every
/// object lists all its properties in `required` and sets `additionalProperties: false`; no keyword outside the
/// supported subset appears; every schema says its type (or is an `anyOf`, `$ref`, `enum` or `const`); at most 10 levels of nesting and 5,000 properties.
enum StrictSchema {
    /// Keywords strict mode rejects.
    static let unsupported: Set<String> = [
        "allOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas", "patternProperties",
        "unevaluatedProperties", "unevaluatedItems", "propertyNames", "minProperties", "maxProperties", "contains",
        "minContains", "maxContains", "uniqueItems", "oneOf", "minLength", "maxLength",
    ]

    /// Whether `schema` satisfies the rules.
    static func fits(_ schema: JSONValue) -> Bool {
        guard schema["type"]?.stringValue == "object" else { return false }
        var properties = 0
        return fits(schema, depth: 1, properties: &properties) && properties <= 5000
    }

    private static func fits(_ schema: JSONValue, depth: Int, properties: inout Int) -> Bool {
        guard case .object(let object) = schema else { return schema == true }
        guard depth <= 10, object.keys.allSatisfy({ !unsupported.contains($0) }),
            ["type", "anyOf", "$ref", "enum", "const"].contains(where: { object[$0] != nil })
        else { return false }
        let isObject = object["type"]?.stringValue == "object" || object["properties"] != nil
        if isObject {
            guard object["additionalProperties"] == false else { return false }
            let names =
                object["properties"].flatMap { value -> [String]? in
                    guard case .object(let members) = value else { return nil }
                    return members.keys
                } ?? []
            let required = Set(object["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            guard required == Set(names) else { return false }
            properties += names.count
            for name in names {
                guard fits(object["properties"]?[name] ?? .null, depth: depth + 1, properties: &properties) else {
                    return false
                }
            }
        }
        if let items = object["items"], !fits(items, depth: depth + 1, properties: &properties) { return false }
        if let options = object["anyOf"]?.arrayValue {
            for option in options where !fits(option, depth: depth + 1, properties: &properties) { return false }
        }
        for key in ["$defs", "definitions"] {
            guard case .object(let definitions)? = object[key] else { continue }
            for (_, definition) in definitions where !fits(definition, depth: depth + 1, properties: &properties) {
                return false
            }
        }
        return true
    }
}
