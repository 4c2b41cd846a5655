import AgentRuntime

/// The specs of every tool this runtime ships: connector operations and
/// built-ins, with their argument schemas and access levels.
///
/// Agent files are validated against these ids. Connector implementations
/// attach to the same ids in the tool registry.
public struct ToolCatalog: Sendable {
    /// The specs, sorted by id.
    public let specs: [ToolSpec]
    private let index: [ToolID: Int]

    /// Creates a catalog; later specs with an id already present are ignored.
    public init(_ specs: [ToolSpec]) {
        var seen = Set<ToolID>()
        self.specs = specs.filter { seen.insert($0.id).inserted }.sorted { $0.id < $1.id }
        self.index = Dictionary(uniqueKeysWithValues: self.specs.enumerated().map { ($1.id, $0) })
    }

    /// The spec for `id`.
    public func spec(_ id: ToolID) -> ToolSpec? { index[id].map { specs[$0] } }

    /// Every tool id.
    public var ids: Set<ToolID> { Set(specs.map(\.id)) }

    /// The connectors that have tools here (`wordpress`, `hubspot`, ...).
    public var connectors: [String] { Array(Set(specs.map(\.id.connector))).sorted() }

    /// Every tool the runtime ships.
    public static let standard = ToolCatalog(ConnectorSpecs.all + BuiltinSpecs.all)
}

/// Argument schema helpers for the specs below.
enum Schema {
    static func string(_ description: String, enum values: [String]? = nil, format: String? = nil) -> JSONValue {
        var object = JSONObject([("type", "string"), ("description", .string(description))])
        if let values { object["enum"] = .array(values.map { .string($0) }) }
        if let format { object["format"] = .string(format) }
        return .object(object)
    }

    static func integer(_ description: String, minimum: Int? = nil, maximum: Int? = nil) -> JSONValue {
        var object = JSONObject([("type", "integer"), ("description", .string(description))])
        if let minimum { object["minimum"] = .int(minimum) }
        if let maximum { object["maximum"] = .int(maximum) }
        return .object(object)
    }

    static func array(_ description: String, items: JSONValue) -> JSONValue {
        ["type": "array", "description": .string(description), "items": items]
    }

    static func object(_ description: String, properties: JSONObject, required: [String] = []) -> JSONValue {
        [
            "type": "object", "description": .string(description), "properties": .object(properties),
            "required": .array(required.map { .string($0) }),
        ]
    }

    static let limit = integer("Maximum number of items to return", minimum: 1, maximum: 100)
    static let cursor = string("Opaque cursor from a previous page's next_cursor; omit for the first page")
}
