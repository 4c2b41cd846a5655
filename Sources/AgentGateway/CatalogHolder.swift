import AgentRuntime
import Agents
import Foundation
import Tools

/// The current catalog; replaced atomically when an admin updates an agent (running runs keep theirs).
public actor CatalogHolder {
    /// The catalog new runs use.
    public private(set) var catalog: Catalog
    private let loader: CatalogLoader
    private let onReload: @Sendable (Catalog) -> Void

    /// Creates a holder; `onReload` sees every reloaded catalog (the connector definitions' tools follow it).
    public init(catalog: Catalog, loader: CatalogLoader, onReload: @escaping @Sendable (Catalog) -> Void = { _ in }) {
        self.catalog = catalog
        self.loader = loader
        self.onReload = onReload
    }

    /// Reloads from disk (after a definition was written).
    @discardableResult
    public func reload() throws -> Catalog {
        catalog = try loader.load()
        onReload(catalog)
        return catalog
    }

    /// The agents directory.
    public nonisolated var agentsDirectory: URL { loader.agentsDirectory }
    /// The loader (for validation of a proposed file against the rest of the catalog).
    public nonisolated var catalogLoader: CatalogLoader { loader }
}
