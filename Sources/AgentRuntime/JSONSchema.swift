/// A JSON Schema document (tool parameters, structured outputs), kept as the
/// exact JSON it was written as so it round-trips to providers without loss.
public struct JSONSchema: Hashable, Sendable, Codable {
    /// The schema document.
    public var document: JSONValue

    /// Wraps a schema document.
    public init(_ document: JSONValue) { self.document = document }

    /// An object schema with the given properties, all of `required` required,
    /// and no other properties allowed.
    public static func object(_ properties: JSONObject, required: [String] = []) -> JSONSchema {
        JSONSchema([
            "type": "object",
            "properties": .object(properties),
            "required": .array(required.map { .string($0) }),
            "additionalProperties": false,
        ])
    }

    /// Decodes the schema document.
    public init(from decoder: any Decoder) throws { document = try JSONValue(from: decoder) }

    /// Encodes the schema document.
    public func encode(to encoder: any Encoder) throws { try document.encode(to: encoder) }
}
