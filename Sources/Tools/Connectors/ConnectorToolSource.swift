import AgentRuntime
import Synchronization

/// A ``ToolSource`` of a fixed base (built-ins, Swift connectors, shipped definitions) and the tools of the catalog's
/// connector definitions currently loaded (`connectors/*.json`, which replace a shipped definition of the same id),
/// which ``update(_:)`` replaces when the catalog reloads (running calls keep the tool they have).
public final class ConnectorToolSource: ToolSource {
    private let base: any ToolSource
    private let client: ConnectorClient
    private let defined: Mutex<[ToolID: any Tool]>

    /// Creates a source over `base` with the tools of `definitions`, calling through `client`.
    public init(base: any ToolSource, client: ConnectorClient, definitions: [ConnectorDefinition]) {
        self.base = base
        self.client = client
        self.defined = Mutex(Self.tools(definitions, client))
    }

    /// Replaces the defined connectors' tools.
    public func update(_ definitions: [ConnectorDefinition]) {
        let tools = Self.tools(definitions, client)
        defined.withLock { $0 = tools }
    }

    /// The catalog's defined tool with `id`, else the base's.
    public func tool(_ id: ToolID) -> (any Tool)? {
        defined.withLock { $0[id] } ?? base.tool(id)
    }

    /// The catalog's defined tool with `entry` as its id, else the base's tools for it (MCP servers' included).
    public func tools(for entry: ToolID, principal: Principal) async -> [any Tool] {
        if let tool = defined.withLock({ $0[entry] }) { return [tool] }
        return await base.tools(for: entry, principal: principal)
    }

    /// The specs of the defined tools, sorted by id.
    public var definedSpecs: [ToolSpec] { defined.withLock { $0.values.map(\.spec) }.sorted { $0.id < $1.id } }

    private static func tools(_ definitions: [ConnectorDefinition], _ client: ConnectorClient) -> [ToolID: any Tool] {
        var tools: [ToolID: any Tool] = [:]
        for definition in definitions {
            for operation in DefinedConnector.operations(definition) {
                tools[operation.spec.id] = operation.tool(client)
            }
        }
        return tools
    }
}
