import AgentRuntime
import Foundation

/// Loads and validates an `agents/` directory from disk.
///
/// Layout: `agents/<category>/<id>.json` for agents, `agents/crews/<id>.json`
/// for crews, `agents/schema/` for the published JSON Schemas (skipped).
/// Knowledge collections are the folders under the knowledge directory
/// (except `tenants/`, which holds per-tenant overlays).
public struct CatalogLoader: Sendable {
    /// The `agents/` directory.
    public var agentsDirectory: URL
    /// The `knowledge/` directory; nil skips the knowledge check.
    public var knowledgeDirectory: URL?
    /// Tool ids the registry knows.
    public var knownTools: Set<ToolID>
    /// Paths under this directory are shown relative to it in diagnostics.
    public var displayBase: URL?
    /// The `connectors/` directory of connector definition files (optional on disk); by default next to `agents/`.
    public var connectorsDirectory: URL?
    /// Connectors written in Swift, which a file may not redefine (a file may replace a connector the runtime ships
    /// as a definition).
    public var builtinConnectors: Set<String>

    /// Folder names under `agents/` that are not categories.
    public static let reservedFolders: Set<String> = ["crews", "schema"]

    /// Creates a loader.
    public init(
        agentsDirectory: URL, knowledgeDirectory: URL?, knownTools: Set<ToolID>, displayBase: URL? = nil,
        connectorsDirectory: URL? = nil, builtinConnectors: Set<String>? = nil
    ) {
        self.agentsDirectory = agentsDirectory
        self.knowledgeDirectory = knowledgeDirectory
        self.knownTools = knownTools
        self.displayBase = displayBase
        self.connectorsDirectory =
            connectorsDirectory
            ?? agentsDirectory.standardizedFileURL.deletingLastPathComponent().appendingPathComponent("connectors")
        self.builtinConnectors = builtinConnectors ?? []
    }

    /// Reads every definition file and validates them together (the connector definitions first: agents may use
    /// their tools). Problems are diagnostics in the catalog; only a missing `agents/` directory throws. A folder with
    /// no agent definition at all is an error (`empty-catalog`): a mount that did not arrive must not look like success.
    public func load() throws(CatalogLoadError) -> Catalog {
        try loadWithSources().catalog
    }

    /// ``load()``, and the files it read (display path and bytes), so a caller can tell what changed between loads.
    public func loadWithSources() throws(CatalogLoadError) -> (catalog: Catalog, sources: [DefinitionSource]) {
        let (sources, layout) = try read()
        let connectors = loadConnectors()
        return (
            validator(connectors).validate(sources, extraDiagnostics: layout + emptiness(sources))
                .with(connectors: connectors), sources
        )
    }

    /// The connector definitions of ``connectorsDirectory`` (none when it is nil or absent).
    public func loadConnectors() -> ConnectorCatalog {
        guard let connectorsDirectory else { return .empty }
        return ConnectorCatalog.load(connectorsDirectory, displayBase: displayBase, reservedIDs: builtinConnectors)
    }

    /// The `empty-catalog` error when no agent definition file was found.
    private func emptiness(_ sources: [DefinitionSource]) -> [Diagnostic] {
        guard !sources.contains(where: { if case .agent = $0.kind { true } else { false } }) else { return [] }
        return [
            Diagnostic(
                file: display(agentsDirectory), line: 1, column: 1, severity: .error, code: .emptyCatalog,
                message:
                    "no agent definitions found (expected agents/<category>/<id>.json); an empty or unmounted folder is not a catalog",
                pointer: "")
        ]
    }

    /// The catalog as it would load with `proposed` in place of the file of the same kind and stem (added when there
    /// is none), validated together with every other file; nothing is written. Its display path is the one the
    /// loader gives that file, so its diagnostics compare with ``load()``'s.
    public func load(replacing proposed: DefinitionSource) throws(CatalogLoadError) -> Catalog {
        var (sources, layout) = try read()
        layout += emptiness(sources + [proposed])
        var replacement = proposed
        replacement.displayPath = displayPath(of: proposed.kind, stem: proposed.stem)
        if let index = sources.firstIndex(where: { $0.kind == proposed.kind && $0.stem == proposed.stem }) {
            sources[index] = replacement
        } else {
            sources.append(replacement)
        }
        let connectors = loadConnectors()
        return validator(connectors).validate(sources, extraDiagnostics: layout).with(connectors: connectors)
    }

    /// The path diagnostics name for the file of `kind` and `stem` (`agents/<folder>/<stem>.json`, shown as the
    /// loader shows paths).
    public func displayPath(of kind: DefinitionSource.Kind, stem: String) -> String {
        display(agentsDirectory.appendingPathComponent(kind.folder).appendingPathComponent("\(stem).json"))
    }

    private func validator(_ connectors: ConnectorCatalog) -> CatalogValidator {
        CatalogValidator(knownTools: knownTools.union(connectors.toolIDs), knowledgeCollections: knowledgeCollections())
    }

    /// Every definition file, and the layout problems found on the way.
    private func read() throws(CatalogLoadError) -> (sources: [DefinitionSource], layout: [Diagnostic]) {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: agentsDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw .agentsDirectoryNotFound(agentsDirectory.path)
        }
        var sources: [DefinitionSource] = []
        var layout: [Diagnostic] = []
        for entry in sortedEntries(of: agentsDirectory) {
            let name = entry.lastPathComponent
            // Hidden entries, including a ConfigMap volume's `..data` link and `..<timestamp>` folder: their files
            // are read once, through the visible links that point into `..data`.
            if name.hasPrefix(".") { continue }
            if isDirectoryURL(entry) {
                if name == "schema" { continue }
                let kind: DefinitionSource.Kind = name == "crews" ? .crew : .agent(category: name)
                for file in sortedEntries(of: entry) where !file.lastPathComponent.hasPrefix(".") {
                    if isDirectoryURL(file) {
                        if containsJSON(file) {
                            layout.append(
                                misplaced(
                                    file, "definition files belong directly in \(display(entry))/, not in a subfolder"))
                        }
                        continue
                    }
                    guard file.pathExtension == "json" else { continue }
                    sources.append(
                        DefinitionSource(
                            displayPath: display(file), stem: file.deletingPathExtension().lastPathComponent,
                            kind: kind, bytes: (try? Data(contentsOf: file)).map { [UInt8]($0) }))
                }
            } else if entry.pathExtension == "json" {
                layout.append(
                    misplaced(
                        entry,
                        "agent files belong in agents/<category>/ and crews in agents/crews/; this file is not loaded"))
            }
        }
        return (sources, layout)
    }

    /// The collection folders under the knowledge directory (nil when no directory is configured).
    public func knowledgeCollections() -> Set<String>? {
        guard let knowledgeDirectory else { return nil }
        return Set(
            sortedEntries(of: knowledgeDirectory)
                .filter {
                    isDirectoryURL($0) && !$0.lastPathComponent.hasPrefix(".") && $0.lastPathComponent != "tenants"
                }
                .map(\.lastPathComponent))
    }

    private func misplaced(_ url: URL, _ message: String) -> Diagnostic {
        Diagnostic(
            file: display(url), line: 1, column: 1, severity: .error, code: .misplacedFile, message: message,
            pointer: "")
    }

    /// The entries of `directory` by name, each as a path under `directory` itself (never the symlink's target, so
    /// diagnostics name the folder as configured). A symlinked directory is listed through its link.
    private func sortedEntries(of directory: URL) -> [URL] {
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: directory.resolvingSymlinksInPath().path)) ?? []
        return names.sorted().map { directory.appendingPathComponent($0) }
    }

    /// Whether `url` is a directory, following symlinks (a category folder may be a link, as in a ConfigMap volume).
    private func isDirectoryURL(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private func containsJSON(_ directory: URL) -> Bool {
        sortedEntries(of: directory).contains { $0.pathExtension == "json" }
    }

    private func display(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        guard let displayBase else { return path }
        let base = displayBase.standardizedFileURL.path
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}

/// Why a catalog could not be loaded at all.
public enum CatalogLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The agents directory does not exist or is not a directory.
    case agentsDirectoryNotFound(String)

    /// A message naming the path.
    public var description: String {
        switch self {
        case .agentsDirectoryNotFound(let path):
            return "agents directory not found: \(path) (use --agents-dir or AGENTRUNTIME_AGENTS_DIR)"
        }
    }
}
