import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import Testing
import Tools

@Suite("Catalog loader")
struct LoaderTests {
    /// Diagnostic kinds that only the loader (file system layout) produces.
    static let coveredCodes: Set<DiagnosticCode> = [.misplacedFile, .unreadableFile]

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
}
