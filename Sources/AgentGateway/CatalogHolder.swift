import AgentRuntime
import Agents
import Foundation
import Tools

/// The current catalog; replaced atomically when definitions change (an admin's update, a file edited on disk),
/// while runs in flight keep the catalog they started with (a run reads ``catalog`` once, when it is submitted).
///
/// It also remembers what the files were at the last successful load (their bytes and a fingerprint of the folders),
/// so a change on disk is noticed, validated as `agentctl validate` would, and described as a diff.
public actor CatalogHolder {
    /// The catalog new runs use.
    public private(set) var catalog: Catalog
    /// Counts successful loads (1: the catalog the service started with).
    public private(set) var version = 1
    /// When the serving catalog was loaded.
    public private(set) var loadedAt: Date
    /// The errors of the last load from disk, when it was refused (the previous catalog kept serving); empty once a
    /// load succeeds.
    public private(set) var rejectedDiagnostics: [Diagnostic] = []
    /// When the last refused load was tried.
    public private(set) var rejectedAt: Date?
    private let loader: CatalogLoader
    private var files: [String: String]
    private var fingerprint: DefinitionFingerprint
    private let onReload: @Sendable (Catalog) -> Void

    /// Creates a holder. The files the catalog was loaded from are read again to know later changes; `onReload` sees
    /// every catalog installed after this one (the connector definitions' tools follow it).
    public init(
        catalog: Catalog, loader: CatalogLoader, now: Date = Date(),
        onReload: @escaping @Sendable (Catalog) -> Void = { _ in }
    ) {
        self.catalog = catalog
        self.loader = loader
        self.onReload = onReload
        self.loadedAt = now
        let paths = Self.watchedPaths(of: loader)
        self.fingerprint = DefinitionFingerprint(of: paths)
        self.files = Self.texts((try? loader.loadWithSources().sources) ?? [], loader: loader)
    }

    /// Reloads from disk after a definition was written through the service: the result serves whatever it is (the
    /// writer has checked its file), and the files it read become the baseline, so the watcher does not report the
    /// write again as an edit on disk.
    @discardableResult
    public func reload(now: Date = Date()) throws -> Catalog {
        let before = DefinitionFingerprint(of: watchedPaths)
        let (loaded, sources) = try loader.loadWithSources()
        if Self.texts(sources, loader: loader) == files, rejectedDiagnostics.isEmpty {
            // The files are the ones serving (another replica's version arrived, and this folder already had it):
            // the same catalog, not a new version.
            fingerprint = before
            return catalog
        }
        install(loaded, sources: sources, fingerprint: before, now: now)
        return catalog
    }

    /// Serves `catalog`, loaded from `sources`, as the next version.
    private func install(_ loaded: Catalog, sources: [DefinitionSource], fingerprint: DefinitionFingerprint, now: Date)
    {
        catalog = loaded
        files = Self.texts(sources, loader: loader)
        self.fingerprint = fingerprint
        version += 1
        loadedAt = now
        rejectedDiagnostics = []
        rejectedAt = nil
        onReload(loaded)
    }

    /// What a look at the definition folders found.
    public enum Reload: Sendable {
        /// Nothing changed since the last load (or the last refused one).
        case unchanged
        /// The catalog was reloaded; these files changed.
        case applied(version: Int, changes: [DefinitionChange])
        /// The files changed but do not validate: the previous catalog keeps serving. The errors, and the files that
        /// changed.
        case rejected(errors: [Diagnostic], changes: [DefinitionChange])
    }

    /// Reloads when the definition folders changed since the last load. The new catalog serves when it has no error
    /// the serving one did not already have (a fix of one of two problems applies; a new problem keeps the previous
    /// catalog, reported in ``rejectedDiagnostics``).
    public func reloadIfChanged(now: Date = Date()) -> Reload {
        let current = DefinitionFingerprint(of: watchedPaths)
        guard current != fingerprint else { return .unchanged }
        let result: (catalog: Catalog, sources: [DefinitionSource])
        do {
            result = try loader.loadWithSources()
        } catch {
            fingerprint = current
            let missing = Diagnostic(
                file: loader.agentsDirectory.path, line: 1, column: 1, severity: .error, code: .emptyCatalog,
                message: error.description, pointer: "")
            rejectedDiagnostics = [missing]
            rejectedAt = now
            return .rejected(errors: [missing], changes: [])
        }
        let (loaded, sources) = result
        let changes = Self.changes(from: files, to: Self.texts(sources, loader: loader), sources: sources)
        fingerprint = current
        guard !changes.isEmpty else {
            // Touched, or swapped for the same content, or put back as it was after a refused edit.
            rejectedDiagnostics = []
            rejectedAt = nil
            return .unchanged
        }
        let known = Set(catalog.diagnostics.filter { $0.severity == .error }.map(Self.identity))
        let errors = loaded.diagnostics.filter { $0.severity == .error }
        if errors.contains(where: { !known.contains(Self.identity($0)) }) {
            rejectedDiagnostics = errors
            rejectedAt = now
            return .rejected(errors: errors, changes: changes)
        }
        install(loaded, sources: sources, fingerprint: current, now: now)
        return .applied(version: version, changes: changes)
    }

    /// A diagnostic without its position (an edit above it moves it without making it a new problem).
    private static func identity(_ diagnostic: Diagnostic) -> String {
        "\(diagnostic.file)|\(diagnostic.code.rawValue)|\(diagnostic.pointer)|\(diagnostic.message)"
    }

    /// The folders watched for changes: the agents folder, and the connectors folder beside it when there is one.
    public nonisolated var watchedPaths: [URL] { Self.watchedPaths(of: loader) }

    private static func watchedPaths(of loader: CatalogLoader) -> [URL] {
        let connectors =
            loader.connectorsDirectory
            ?? loader.agentsDirectory.deletingLastPathComponent().appendingPathComponent("connectors")
        return [loader.agentsDirectory]
            + (FileManager.default.fileExists(atPath: connectors.path) ? [connectors] : [])
    }

    /// The text of every file a load read, by display path, and of the files in the connectors folder (which the
    /// catalog's files may name), so that a change of any of them is described.
    private static func texts(_ sources: [DefinitionSource], loader: CatalogLoader) -> [String: String] {
        var texts = Dictionary(
            sources.map { ($0.displayPath, $0.bytes.map { String(decoding: $0, as: UTF8.self) } ?? "") },
            uniquingKeysWith: { first, _ in first })
        let connectors =
            loader.connectorsDirectory
            ?? loader.agentsDirectory.deletingLastPathComponent().appendingPathComponent("connectors")
        let resolved = connectors.resolvingSymlinksInPath().path
        for relative in (FileManager.default.subpaths(atPath: resolved) ?? []).sorted()
        where !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
            let path = resolved + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let text = try? String(contentsOfFile: path, encoding: .utf8)
            else { continue }
            texts["connectors/" + relative] = texts["connectors/" + relative] ?? text
        }
        return texts
    }

    private static func changes(
        from old: [String: String], to new: [String: String], sources: [DefinitionSource]
    ) -> [DefinitionChange] {
        var kinds: [String: (String, String)] = [:]
        for source in sources {
            switch source.kind {
            case .agent: kinds[source.displayPath] = ("agent", source.stem)
            case .crew: kinds[source.displayPath] = ("crew", source.stem)
            }
        }
        return Set(old.keys).union(new.keys).sorted().compactMap { path in
            guard old[path] != new[path] else { return nil }
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let (kind, id) =
                kinds[path] ?? (
                    path.contains("/crews/") ? "crew" : path.contains("connectors/") ? "connector" : "agent", stem
                )
            return DefinitionChange(kind: kind, id: id, path: path, before: old[path], after: new[path])
        }
    }

    /// The agents directory.
    public nonisolated var agentsDirectory: URL { loader.agentsDirectory }
    /// The loader (for validation of a proposed file against the rest of the catalog).
    public nonisolated var catalogLoader: CatalogLoader { loader }
}

/// One definition file that changed between two loads.
public struct DefinitionChange: Hashable, Sendable {
    /// `agent`, `crew`, `connector` or `tenant`.
    public var kind: String
    /// The id (the file name without `.json`).
    public var id: String
    /// The file, as diagnostics show it.
    public var path: String
    /// The text before (nil: the file is new).
    public var before: String?
    /// The text after (nil: the file was removed).
    public var after: String?

    /// Creates a change.
    public init(kind: String, id: String, path: String, before: String?, after: String?) {
        self.kind = kind
        self.id = id
        self.path = path
        self.before = before
        self.after = after
    }

    /// The change as a unified diff.
    public var diff: String { UnifiedDiff.make(from: before, to: after, path: path) }
}
