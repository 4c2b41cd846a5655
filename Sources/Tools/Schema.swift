import AgentRuntime

/// Argument schema helpers for tool specs: JSON Schema fragments with a description.
enum Schema {
    /// A string, optionally one of `values` or of a `format` (`email`, `date-time`).
    static func string(_ description: String, enum values: [String]? = nil, format: String? = nil) -> JSONValue {
        var object = JSONObject([("type", "string"), ("description", .string(description))])
        if let values { object["enum"] = .array(values.map { .string($0) }) }
        if let format { object["format"] = .string(format) }
        return .object(object)
    }

    /// An integer, optionally bounded.
    static func integer(_ description: String, minimum: Int? = nil, maximum: Int? = nil) -> JSONValue {
        var object = JSONObject([("type", "integer"), ("description", .string(description))])
        if let minimum { object["minimum"] = .int(minimum) }
        if let maximum { object["maximum"] = .int(maximum) }
        return .object(object)
    }

    /// An array of `items`.
    static func array(_ description: String, items: JSONValue) -> JSONValue {
        ["type": "array", "description": .string(description), "items": items]
    }

    /// An object with `properties`, of which `required` must be present.
    static func object(_ description: String, properties: JSONObject, required: [String] = []) -> JSONValue {
        [
            "type": "object", "description": .string(description), "properties": .object(properties),
            "required": .array(required.map { .string($0) }),
        ]
    }

    /// The `limit` argument of a list operation.
    static let limit = integer("Maximum number of items to return", minimum: 1, maximum: 100)
    /// The `cursor` argument of a paged list operation.
    static let cursor = string("Opaque cursor from a previous page's next_cursor; omit for the first page")
}
