import Foundation
import Testing

/// Runs the built `agentctl` binary (it sits next to the test bundle) and captures its output.
enum AgentCtl {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var binary: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("agentctl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/agentctl")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `agentctl arguments` in `directory` with extra environment variables.
    static func run(
        _ arguments: [String], in directory: URL = root, environment: [String: String] = [:], input: String? = nil
    ) async throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("agentctl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out")
        let err = scratch.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["AGENTRUNTIME_AGENTS_DIR"] = nil
        env["AGENTRUNTIME_KNOWLEDGE_DIR"] = nil
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        if let input {
            let file = scratch.appendingPathComponent("in")
            try Data(input.utf8).write(to: file)
            process.standardInput = try FileHandle(forReadingFrom: file)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        // Wait without blocking a thread of the shared cooperative pool.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            process.terminationHandler = { _ in done.resume() }
            do { try process.run() } catch {
                process.terminationHandler = nil
                done.resume()
            }
        }
        guard process.processIdentifier != 0 else { throw CocoaError(.executableNotLoadable) }
        return Result(
            status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
            stderr: try String(contentsOf: err, encoding: .utf8))
    }
}

@Suite("agentctl")
struct CLITests {
    @Test("validate passes on the repository's catalog")
    func validateRepository() async throws {
        let result = try await AgentCtl.run(["validate"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(": 0 errors"))
    }

    @Test("tenants show names the spend caps, the approval policy and who decides approvals")
    func tenantShow() async throws {
        let result = try await AgentCtl.run(["tenants", "show", "acme"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("spend caps: $50.0/day, $800.0/month (UTC)"), "\(result.stdout)")
        #expect(result.stdout.contains("approvals: writes; decided by tenant_admin or a platform role"))
    }

    @Test(
        "validate reads a symlinked agents folder; an empty one is an error (exit 1), and serve refuses to start on it")
    func symlinkedAndEmptyCatalog() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agentctl-links-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: directory.appendingPathComponent("agents"),
            withDestinationURL: AgentCtl.root.appendingPathComponent("agents"))
        try FileManager.default.createSymbolicLink(
            at: directory.appendingPathComponent("knowledge"),
            withDestinationURL: AgentCtl.root.appendingPathComponent("knowledge"))
        try FileManager.default.createSymbolicLink(
            at: directory.appendingPathComponent("tenants"),
            withDestinationURL: AgentCtl.root.appendingPathComponent("tenants"))
        try FileManager.default.createSymbolicLink(
            at: directory.appendingPathComponent("connectors"),
            withDestinationURL: AgentCtl.root.appendingPathComponent("connectors"))
        let linked = try await AgentCtl.run(["validate"], in: directory)
        #expect(linked.status == 0, "\(linked.stdout)\(linked.stderr)")
        let direct = try await AgentCtl.run(["validate"])
        let summary = { (text: String) in text.split(separator: "\n").last.map(String.init) ?? "" }
        #expect(summary(linked.stdout) == summary(direct.stdout), "the same files, read through the link")
        #expect(!summary(linked.stdout).hasPrefix("0 files"))

        let empty = directory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(
            at: empty.appendingPathComponent("agents"), withIntermediateDirectories: true)
        let validate = try await AgentCtl.run(["validate"], in: empty)
        #expect(validate.status == 1)
        #expect(validate.stdout.contains("agents:1:1: error: no agent definitions found"), "\(validate.stdout)")
        let serve = try await AgentCtl.run(
            ["serve", "--insecure-dev", "--port", "0", "--store", empty.appendingPathComponent("runs.sqlite").path],
            in: empty)
        #expect(serve.status == 1)
        #expect(serve.stderr.contains("no agents loaded from"), "\(serve.stderr)")
    }

    private func brokenTree() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agentctl-tree-\(UUID().uuidString)")
        let agents = directory.appendingPathComponent("agents/marketing")
        try FileManager.default.createDirectory(at: agents, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("knowledge"), withIntermediateDirectories: true)
        try Data(
            """
            {
              "id": "writer",
              "name": "Writer",
              "category": "marketing",
              "role": "Writer",
              "goal": "Write",
              "backstory": "Writes.",
              "temprature": 0.9
            }
            """.utf8
        ).write(to: agents.appendingPathComponent("writer.json"))
        return directory
    }

    @Test("validate reports problems as path:line:column and exits 1")
    func validateBroken() async throws {
        let directory = try brokenTree()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await AgentCtl.run(["validate"], in: directory)
        #expect(result.status == 1)
        #expect(
            result.stdout == """
                agents/marketing/writer.json:8:3: error: unknown field "temprature" in agent; did you mean "temperature"? [/temprature]
                1 file checked (0 agents, 0 crews valid): 1 error, 0 warnings

                """)
    }

    @Test("validate --format json prints the diagnostics as JSON")
    func validateJSON() async throws {
        let directory = try brokenTree()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await AgentCtl.run(["validate", "--format", "json"], in: directory)
        #expect(result.status == 1)
        let json = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let diagnostics = try #require(json["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?["code"] as? String == "unknown-field")
        #expect(diagnostics.first?["line"] as? Int == 8)
    }

    @Test("the agents directory comes from the flag, then the environment")
    func directoryResolution() async throws {
        let directory = try brokenTree()
        defer { try? FileManager.default.removeItem(at: directory) }
        let viaFlag = try await AgentCtl.run([
            "validate", "--agents-dir", directory.appendingPathComponent("agents").path,
        ])
        #expect(viaFlag.status == 1)
        let viaEnvironment = try await AgentCtl.run(
            ["validate"], environment: ["AGENTRUNTIME_AGENTS_DIR": directory.appendingPathComponent("agents").path])
        #expect(viaEnvironment.status == 1)
        let missing = try await AgentCtl.run(["validate", "--agents-dir", "/nonexistent/agents"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("agents directory not found: /nonexistent/agents"))
    }

    @Test("agents list filters by category and prints JSON")
    func agentsList() async throws {
        let table = try await AgentCtl.run(["agents", "list", "--category", "orchestration"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("hierarchical-crew-orchestrator"))
        #expect(!table.stdout.contains("seo-specialist"))
        let json = try await AgentCtl.run(["agents", "list", "--json"])
        let items = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(items.count >= 93)
        let unknown = try await AgentCtl.run(["agents", "list", "--category", "nope"])
        #expect(unknown.status == 2)
    }

    @Test("agents show prints one agent, and suggests a near miss for an unknown id")
    func agentsShow() async throws {
        let shown = try await AgentCtl.run(["agents", "show", "seo-specialist"])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("file:           agents/marketing/seo-specialist.json"))
        #expect(shown.stdout.contains("Backstory:"))
        let json = try await AgentCtl.run(["agents", "show", "seo-specialist", "--json"])
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["id"] as? String == "seo-specialist")
        let missing = try await AgentCtl.run(["agents", "show", "seo-specialst"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "error: unknown agent \"seo-specialst\"; did you mean \"seo-specialist\"?\n")
    }

    @Test("crews list and show")
    func crews() async throws {
        let list = try await AgentCtl.run(["crews", "list"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("client-onboarding"))
        let show = try await AgentCtl.run(["crews", "show", "content-approval"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("process: sequential"))
        #expect(show.stdout.contains("Tasks:"))
        let missing = try await AgentCtl.run(["crews", "show", "nope"])
        #expect(missing.status == 2)
    }

    @Test("tools list shows the registry")
    func tools() async throws {
        let list = try await AgentCtl.run(["tools", "list"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("wordpress.create_post"))
    }
}

@Suite("agentctl knowledge")
struct KnowledgeCLITests {
    @Test("knowledge list and search print collections and cited snippets")
    func knowledge() async throws {
        let list = try await AgentCtl.run(["knowledge", "list"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("email-deliverability"))
        let search = try await AgentCtl.run([
            "knowledge", "search", "DMARC policy alignment", "--collection", "email-deliverability", "--json",
        ])
        #expect(search.status == 0, "\(search.stderr)")
        let hits = try #require(JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [[String: Any]])
        #expect(
            (hits.first?["citation"] as? String)?.hasPrefix(
                "email-deliverability/authentication-and-sender-requirements.md#dmarc") == true)
        let unknown = try await AgentCtl.run(["knowledge", "search", "x", "--collection", "nope"])
        #expect(unknown.status == 2)
    }
}
