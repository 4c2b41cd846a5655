import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// The playground driven through stdin, as a script would.
@Suite("agentctl playground")
struct PlaygroundTests {
    private func workspace() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try FileManager.default.copyItem(
            at: AgentCtl.root.appendingPathComponent("agents"), to: directory.url.appendingPathComponent("agents"))
        try FileManager.default.copyItem(
            at: AgentCtl.root.appendingPathComponent("connectors"),
            to: directory.url.appendingPathComponent("connectors"))
        return directory
    }

    private func play(
        _ script: [String], in directory: TemporaryDirectory, server: LoopbackHTTPServer,
        agent: String? = "seo-specialist"
    ) async throws -> AgentCtl.Result {
        var arguments = ["playground"]
        if let agent { arguments.append(agent) }
        arguments += [
            "--agents-dir", directory.url.appendingPathComponent("agents").path, "--knowledge-dir",
            AgentCtl.root.appendingPathComponent("knowledge").path,
            "--tenants-dir", AgentCtl.root.appendingPathComponent("tenants").path, "--store",
            directory.url.appendingPathComponent("runs.sqlite").path,
            "--history-file", directory.url.appendingPathComponent("history").path, "--model", "openai/gpt-4o-mini",
        ]
        return try await AgentCtl.run(
            arguments,
            environment: [
                "OPENAI_API_KEY": "sk-play-000000000000",
                "OPENAI_BASE_URL": server.baseURL.appendingPathComponent("v1").absoluteString,
                "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GROQ_API_KEY": "",
            ], input: script.joined(separator: "\n") + "\n")
    }

    @Test("every command, with bad input rejected in one line and the session going on")
    func commands() async throws {
        let server = try FakeModelServer.start()
        defer { server.stop() }
        let directory = try workspace()
        defer { directory.remove() }
        let transcript = directory.url.appendingPathComponent("transcript.md").path
        let result = try await play(
            [
                "/help", "/agents orchestration", "/agent seo-specialst", "/agent seo-specialist", "/show", "/prompt",
                "/tools",
                "What should we fix first?", "/history",
                "/set temperature 9", "/set max_iterations zero", "/set model gpt4", "/set tools nope.tool",
                "/set nonsense 1", "/set goal \"\"",
                "/set temperature 0.25", "/set goal \"Rank the pages that convert\"", "/diff",
                "/compare temperature 0.1 0.9", "/revert", "/diff",
                "/reset", "/history", "/crew content-approval topic=pricing \"target_keyword=pricing guide\"",
                "/export \(transcript)", "/bogus", "/quit",
            ], in: directory, server: server)
        #expect(result.status == 0, "\(result.stderr)")
        let out = result.stdout
        for expected in [
            "/compare FIELD VALUE_A VALUE_B",  // /help
            "hierarchical-crew-orchestrator  orchestration",  // /agents orchestration
            #"error: unknown agent "seo-specialst"; did you mean "seo-specialist"?"#,
            "now chatting with SEOSpecialist (seo-specialist)",
            #""temperature": 0.3"#,  // /show
            "--- system\nYou are Senior SEO Specialist.",  // /prompt
            "knowledge.search  offered", "wordpress.list_posts  hidden: wordpress is not connected for tenant local",  // /tools
            "Senior SEO Specialist answer: What should we fix first?",  // a turn
            "[", " in + ", " out tokens · $",  // usage line
            "1. you: What should we fix first?",  // /history
            #"error: temperature must be a number from 0 to 2, found "9""#,
            #"error: max_iterations must be a whole number from 1 to 50, found "zero""#,
            #"error: model must be provider/model (e.g. openai/gpt-4o-mini), found "gpt4""#,
            #"error: unknown tool "nope.tool""#,
            #"error: cannot set "nonsense""#,
            "error: goal must not be empty",
            #"-   "goal": "Grow qualified organic sessions"#, #"+   "goal": "Rank the pages that convert","#,
            #"+   "temperature": 0.25,"#,  // /diff
            "temperature = 0.1", "temperature = 0.9",  // /compare
            "edits dropped", "no changes", "conversation cleared", "(no turns yet)",
            "transcript written to", "error: unknown command /bogus (/help lists them)",
        ] {
            #expect(out.contains(expected), "missing: \(expected)")
        }
        #expect(result.stderr.contains("✓ task publish_ready"), "/crew ran the crew with progress")
        let markdown = try String(contentsOfFile: transcript, encoding: .utf8)
        #expect(markdown.contains("**You:** What should we fix first?"))
        #expect(markdown.contains("/crew content-approval** → succeeded"))
    }

    @Test("/save writes a valid file in which only the edited field changed")
    func save() async throws {
        let server = try FakeModelServer.start()
        defer { server.stop() }
        let directory = try workspace()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("agents/marketing/seo-specialist.json")
        let before = try String(contentsOf: path, encoding: .utf8)
        let result = try await play(
            [
                "/set temperature 0.45", "/set backstory \"Short, \\\"quoted\\\" backstory.\"",
                "/set backstory \"Plain new backstory.\"", "/save", "/show",
            ], in: directory, server: server)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("saved "))
        let after = try String(contentsOf: path, encoding: .utf8)
        let changed = zip(before.components(separatedBy: "\n"), after.components(separatedBy: "\n")).filter { $0 != $1 }
        #expect(before.components(separatedBy: "\n").count == after.components(separatedBy: "\n").count)
        #expect(changed.map(\.1) == [#"  "backstory": "Plain new backstory.","#, #"  "temperature": 0.45,"#])
        let validate = try await AgentCtl.run([
            "validate", "--agents-dir", directory.url.appendingPathComponent("agents").path,
        ])
        #expect(validate.status == 0, "\(validate.stdout)")
        // Saved as PUT /v1/agents/{id} saves: a new version (the file as it was, then the save) and an audit entry
        // with the diff, under the session's user.
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        let versions = try await store.agentVersions("seo-specialist")
        #expect(
            versions.map(\.version) == [2, 1] && versions.last?.content == before && versions.first?.content == after)
        let entries = try await store.auditEntries(AuditQuery(kind: "agent"))
        #expect(entries.count == 1)
        #expect(entries.first?.tool == "config.agent_update" && entries.first?.detail == "saved from the playground")
        #expect(entries.first?.diff.contains(#"+  "temperature": 0.45,"#) == true)
        #expect(entries.first?.arguments.contains(#""version":2"#) == true)
        #expect(result.stdout.contains("as version 2"))
    }

    @Test("/save refuses an edit that would break a crew using the agent, as PUT does; nothing is written")
    func saveBreakingCrew() async throws {
        let server = try FakeModelServer.start()
        defer { server.stop() }
        let directory = try workspace()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("agents/content/blog-writer.json")
        let before = try String(contentsOf: path, encoding: .utf8)
        let result = try await play(
            ["/set goal \"Write posts for {undeclared_input}\"", "/save"], in: directory, server: server,
            agent: "blog-writer")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("not saved: it would make crew content-approval invalid"), "\(result.stdout)")
        #expect(try String(contentsOf: path, encoding: .utf8) == before)
    }

    @Test("a model not yet in the file is inserted in its canonical place; an invalid save is refused")
    func insertAndRefuse() async throws {
        let server = try FakeModelServer.start()
        defer { server.stop() }
        let directory = try workspace()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("agents/content/copy-editor.json")
        let before = try String(contentsOf: path, encoding: .utf8)
        #expect(!before.contains(#""model""#))
        let result = try await play(
            ["/set model openai/gpt-4o", "/save", "/set tools calculator.evaluate", "/save"], in: directory,
            server: server, agent: "copy-editor")
        #expect(result.status == 0, "\(result.stderr)")
        let after = try String(contentsOf: path, encoding: .utf8)
        let lines = after.components(separatedBy: "\n")
        let model = try #require(lines.firstIndex { $0.contains(#""model": "openai/gpt-4o""#) })
        #expect(lines[model - 1].contains(#""backstory""#), "inserted right after backstory, where model belongs")
        #expect(lines[model] == #"  "model": "openai/gpt-4o","#)
    }
}
