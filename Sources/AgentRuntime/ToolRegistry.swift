/// Tools by id: the ``ToolSource`` the engine calls tools through, and the specs offered to models and listed to people.
public struct ToolRegistry: ToolSource {
    private let tools: [ToolID: any Tool]
    /// Every tool's spec, sorted by id.
    public let specs: [ToolSpec]

    /// Creates a registry; a later tool with the id of an earlier one replaces it.
    public init(_ tools: [any Tool]) {
        var byID: [ToolID: any Tool] = [:]
        for tool in tools { byID[tool.spec.id] = tool }
        self.tools = byID
        self.specs = byID.values.map(\.spec).sorted { $0.id < $1.id }
    }

    /// The tool with `id`.
    public func tool(_ id: ToolID) -> (any Tool)? { tools[id] }

    /// The spec of the tool with `id`.
    public func spec(_ id: ToolID) -> ToolSpec? { tools[id]?.spec }

    /// Every tool id.
    public var ids: Set<ToolID> { Set(tools.keys) }

    /// The connectors that have tools here (`wordpress`, `hubspot`, ...), sorted.
    public var connectors: [String] { Array(Set(tools.keys.map(\.connector))).sorted() }
}
