import AgentRuntime

/// The specs of every tool this runtime ships: connector operations and
/// built-ins, with their argument schemas and access levels.
///
/// Agent files are validated against these ids. Each spec is declared with its
/// implementation: a connector's ``ConnectorOperation`` values, a built-in's `spec`.
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
    public static let standard = ToolCatalog(Connectors.operations.map(\.spec) + [CalculatorTool.spec, KnowledgeSearchTool.spec])
}

