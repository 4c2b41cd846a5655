import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import Testing
import Tools

@Suite("Catalog loader")
struct LoaderTests {
    /// Diagnostic kinds that only the loader (file system layout) produces.
    static let coveredCodes: Set<DiagnosticCode> = [.misplacedFile, .unreadableFile, .emptyCatalog]

    private func load(_ directory: TemporaryDirectory, knowledge: Bool = true) throws -> Catalog {
        try CatalogLoader(
            agentsDirectory: directory.url.appendingPathComponent("agents"),
            knowledgeDirectory: knowledge ? directory.url.appendingPathComponent("knowledge") : nil,
            knownTools: ToolRegistry.standardIDs, displayBase: directory.url
        ).load()
    }

    @Test("loads categories and crews, skips schema/, and finds knowledge collections")
    func layout() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "agents/marketing/writer.json", Fixtures.agent("writer", extra: [("knowledge", #"["brand-voice"]"#)]))
        try directory.write("agents/sales/closer.json", Fixtures.agent("closer", category: "sales"))
        try directory.write("agents/crews/crew.json", Fixtures.crew("crew"))
        try directory.write("agents/schema/agent.schema.json", #"{"type": "object"}"#)
        try directory.write("agents/marketing/README.md", "not a definition")
        try directory.write("knowledge/brand-voice/voice.md", "# Voice")
        try directory.makeDirectory("knowledge/tenants/acme/brand-voice")
        let catalog = try load(directory)
        #expect(catalog.diagnostics.isEmpty, "\(catalog.diagnostics.map(\.formatted))")
        #expect(catalog.fileCount == 3)
        #expect(catalog.agents.map(\.id) == ["closer", "writer"])
        #expect(catalog.crews.map(\.id) == ["crew"])
        #expect(catalog.categories == ["marketing", "sales"])
        #expect(catalog.knowledgeCollections == ["brand-voice"])
        #expect(catalog.agentFiles["writer"] == "agents/marketing/writer.json")
        #expect(catalog.crewFiles["crew"] == "agents/crews/crew.json")
    }

    @Test("a definition outside the folder layout is reported, not silently ignored")
    func misplacedFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("agents/writer.json", Fixtures.agent("writer"))
        try directory.write("agents/marketing/old/writer.json", Fixtures.agent("writer"))
        let catalog = try load(directory)
        #expect(
            catalog.diagnostics.map(\.formatted) == [
                "agents:1:1: error: no agent definitions found (expected agents/<category>/<id>.json); an empty or unmounted folder is not a catalog [/]",
                "agents/marketing/old:1:1: error: definition files belong directly in agents/marketing/, not in a subfolder [/]",
                "agents/writer.json:1:1: error: agent files belong in agents/<category>/ and crews in agents/crews/; this file is not loaded [/]",
            ])
    }

    @Test("an unreadable file is reported by name")
    func unreadable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.makeDirectory("agents/marketing")
        try FileManager.default.createSymbolicLink(
            atPath: directory.url.appendingPathComponent("agents/marketing/ghost.json").path,
            withDestinationPath: "/nonexistent/ghost.json")
        let catalog = try load(directory)
        #expect(catalog.diagnostics.map(\.code) == [.unreadableFile])
        #expect(catalog.diagnostics.first?.file == "agents/marketing/ghost.json")
    }

    @Test("a missing agents directory is an error naming the path")
    func missingDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: CatalogLoadError.agentsDirectoryNotFound(directory.url.appendingPathComponent("agents").path)) {
            _ = try load(directory)
        }
    }

    @Test("knowledge references are checked only when a knowledge directory is configured")
    func knowledgeCheckOptional() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "agents/marketing/writer.json", Fixtures.agent("writer", extra: [("knowledge", #"["nowhere"]"#)]))
        #expect(try load(directory, knowledge: false).isValid)
        #expect(try load(directory).diagnostics.map(\.code) == [.unknownKnowledge])
    }

    @Test(
        "load(replacing:) validates the catalog with one file changed in memory; crewsBroken(in:) names the crews the change breaks, with their errors"
    )
    func replacing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("agents/marketing/writer.json", Fixtures.agent("writer"))
        try directory.write("agents/crews/crew.json", Fixtures.crew("crew"))
        try directory.write("agents/crews/broken.json", Fixtures.crew("broken", agents: ["ghost"]))
        let loader = CatalogLoader(
            agentsDirectory: directory.url.appendingPathComponent("agents"), knowledgeDirectory: nil,
            knownTools: ToolRegistry.standardIDs, displayBase: directory.url)
        let before = try loader.load()
        #expect(before.crews.map(\.id) == ["crew"])
        let kind = DefinitionSource.Kind.agent(category: "marketing")
        #expect(loader.displayPath(of: kind, stem: "writer") == "agents/marketing/writer.json")
        // The writer's goal names a placeholder the crew does not declare: the crew would break.
        let changed = Fixtures.agent("writer").replacingOccurrences(of: "Do the work well", with: "Write for {brand}")
        let after = try loader.load(
            replacing: DefinitionSource(displayPath: "ignored", stem: "writer", kind: kind, bytes: Array(changed.utf8)))
        #expect(after.agent("writer")?.goal == "Write for {brand}")
        let broken = before.crewsBroken(in: after)
        #expect(broken.map(\.id) == ["crew"], "a crew broken before is not the change's doing")
        #expect(broken.first?.file == "agents/crews/crew.json")
        #expect(broken.first?.errors.map(\.code) == [.undeclaredPlaceholder])
        // Nothing was written; a new file is added beside the others.
        #expect(try loader.load().agent("writer")?.goal == "Do the work well")
        let added = try loader.load(
            replacing: DefinitionSource(
                displayPath: "", stem: "editor", kind: kind, bytes: Array(Fixtures.agent("editor").utf8)))
        #expect(added.agents.map(\.id) == ["editor", "writer"])
        #expect(before.crewsBroken(in: added).isEmpty)
    }

    @Test("an empty agents folder (or one with only crews) is an error, not an empty success")
    func emptyCatalog() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.makeDirectory("agents")
        let empty = try load(directory)
        #expect(empty.diagnostics.map(\.code) == [.emptyCatalog])
        #expect(!empty.isValid && empty.diagnostics.first?.file == "agents")
        try directory.write("agents/crews/crew.json", Fixtures.crew("crew"))
        #expect(try load(directory).diagnostics.map(\.code).contains(.emptyCatalog))
    }

    /// Writes a catalog into `root/target` and links `root/agents` to it.
    private func linkedCatalog(_ directory: TemporaryDirectory) throws {
        try directory.write("real/marketing/writer.json", Fixtures.agent("writer"))
        try directory.write("real/crews/crew.json", Fixtures.crew("crew"))
        try FileManager.default.createSymbolicLink(
            atPath: directory.url.appendingPathComponent("agents").path,
            withDestinationPath: directory.url.appendingPathComponent("real").path)
    }

    @Test("a symlinked agents folder and symlinked category folders are followed; paths stay as configured")
    func symlinkedFolders() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try linkedCatalog(directory)
        try directory.write("elsewhere/sales/closer.json", Fixtures.agent("closer", category: "sales"))
        try FileManager.default.createSymbolicLink(
            atPath: directory.url.appendingPathComponent("real/sales").path,
            withDestinationPath: directory.url.appendingPathComponent("elsewhere/sales").path)
        let catalog = try load(directory)
        #expect(catalog.diagnostics.isEmpty, "\(catalog.diagnostics.map(\.formatted))")
        #expect(catalog.agents.map(\.id) == ["closer", "writer"])
        #expect(catalog.crews.map(\.id) == ["crew"])
        #expect(catalog.agentFiles["closer"] == "agents/sales/closer.json")
    }

    /// A Kubernetes ConfigMap volume: `..<timestamp>/` holds the files, `..data` links to it, and each visible entry
    /// links into `..data`.
    private func configMap(_ directory: TemporaryDirectory, timestamp: String, role: String) throws {
        let agents = directory.url.appendingPathComponent("agents")
        try directory.write(
            "agents/\(timestamp)/marketing/writer.json",
            Fixtures.agent("writer", role: role))
        try directory.write("agents/\(timestamp)/crews/crew.json", Fixtures.crew("crew"))
        // Swapped atomically: a new link renamed over `..data`.
        let temporary = agents.appendingPathComponent("..data_tmp").path
        try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: timestamp)
        guard rename(temporary, agents.appendingPathComponent("..data").path) == 0 else {
            throw CocoaError(.fileWriteUnknown)
        }
        for folder in ["marketing", "crews"]
        where !FileManager.default.fileExists(atPath: agents.appendingPathComponent(folder).path) {
            try FileManager.default.createSymbolicLink(
                atPath: agents.appendingPathComponent(folder).path, withDestinationPath: "..data/\(folder)")
        }
    }

    @Test("a ConfigMap volume is read once through ..data, and its atomic swap changes the fingerprint")
    func configMapSwap() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try configMap(directory, timestamp: "..2026_12_07_10_00_00.1", role: "First Role")
        let agents = directory.url.appendingPathComponent("agents")
        let catalog = try load(directory)
        #expect(catalog.diagnostics.isEmpty, "\(catalog.diagnostics.map(\.formatted))")
        #expect(catalog.fileCount == 2, "no file read twice (not through ..data nor the timestamped folder)")
        #expect(catalog.agent("writer")?.role == "First Role")
        let before = DefinitionFingerprint(of: [agents])
        #expect(DefinitionFingerprint(of: [agents]) == before, "nothing changed, nothing seen")
        try configMap(directory, timestamp: "..2026_12_07_11_00_00.2", role: "Second Role")
        #expect(DefinitionFingerprint(of: [agents]) != before)
        #expect(try load(directory).agent("writer")?.role == "Second Role")
    }

    @Test("the fingerprint changes when a file is edited, added or removed, and when a linked folder is relinked")
    func fingerprint() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try linkedCatalog(directory)
        let agents = directory.url.appendingPathComponent("agents")
        var last = DefinitionFingerprint(of: [agents])
        func changed() -> Bool {
            let now = DefinitionFingerprint(of: [agents])
            defer { last = now }
            return now != last
        }
        try directory.write("real/marketing/writer.json", Fixtures.agent("writer", role: "Other"))
        #expect(changed())
        try directory.write("real/marketing/editor.json", Fixtures.agent("editor"))
        #expect(changed())
        try FileManager.default.removeItem(at: directory.url.appendingPathComponent("real/marketing/editor.json"))
        #expect(changed())
        #expect(!changed())
        try directory.write("other/marketing/writer.json", Fixtures.agent("writer"))
        try FileManager.default.removeItem(at: agents)
        try FileManager.default.createSymbolicLink(
            atPath: agents.path, withDestinationPath: directory.url.appendingPathComponent("other").path)
        #expect(changed())
    }
}
