import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// `--store` picks the adapter: a path or `sqlite:PATH` is SQLite, `postgres://` is PostgreSQL, anything else is
/// refused with the accepted forms.
@Suite("agentctl --store selects the store")
struct StoreSelectionTests {
    @Test("an unsupported scheme is refused, naming the accepted forms; nothing is created")
    func unsupportedScheme() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await AgentCtl.run(["runs", "list", "--store", "mysql://x"], in: directory.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("unsupported store \"mysql:\""), "\(result.stderr)")
        #expect(result.stderr.contains("postgres://user@host:port/database"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
    }

    @Test("a password written in a PostgreSQL URL is refused without being repeated")
    func literalPassword() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await AgentCtl.run(
            ["runs", "list", "--store", "postgres://app:hunter2@127.0.0.1:1/runs"], in: directory.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("secret reference"), "\(result.stderr)")
        #expect(!result.stderr.contains("hunter2"))
        let unset = try await AgentCtl.run(
            [
                "runs", "list", "--store",
                "postgres://app@127.0.0.1:1/runs?password=env:AGENTRUNTIME_TEST_UNSET_PASSWORD",
            ], in: directory.url)
        #expect(unset.status == 1)
        #expect(unset.stderr.contains("env:AGENTRUNTIME_TEST_UNSET_PASSWORD has no value"), "\(unset.stderr)")
    }

    @Test("sqlite:PATH is the SQLite store at PATH")
    func sqlitePrefix() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await AgentCtl.run(["runs", "list", "--store", "sqlite:runs.sqlite"], in: directory.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("runs.sqlite").path))
    }

    @Test("the runtime config's store is used unless --store or AGENTRUNTIME_STORE says otherwise")
    func configStore() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("agentruntime.json", #"{"store": "sqlite:from-config.sqlite"}"#)
        let environment = ["AGENTRUNTIME_STORE": "", "AGENTRUNTIME_CONFIG": ""]
        let fromConfig = try await AgentCtl.run(["runs", "list"], in: directory.url, environment: environment)
        #expect(fromConfig.status == 0, "\(fromConfig.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("from-config.sqlite").path))
        let fromFlag = try await AgentCtl.run(
            ["runs", "list", "--store", "flag.sqlite"], in: directory.url, environment: environment)
        #expect(fromFlag.status == 0, "\(fromFlag.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("flag.sqlite").path))
        try directory.write("agentruntime.json", #"{"store": "mysql://db/runs"}"#)
        let refused = try await AgentCtl.run(["runs", "list"], in: directory.url, environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("unsupported store"), "\(refused.stderr)")
    }

    @Test("a crew runs end to end on PostgreSQL; the stored run is read back; migrate finds it up to date")
    func postgres() async throws {
        let database = try await PostgresTestServer.shared().makeDatabase()
        let server = try FakeModelServer.start()
        defer { server.stop() }
        let environment = [
            "OPENAI_API_KEY": "sk-e2e-key-000000000000",
            "OPENAI_BASE_URL": server.baseURL.appendingPathComponent("v1").absoluteString,
            "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GROQ_API_KEY": "", "AGENTRUNTIME_DEFAULT_MODEL": "",
            "AGENTRUNTIME_STORE": database,
        ]
        let result = try await AgentCtl.run(
            [
                "run", "content-approval", "--input", "topic=pricing pages", "--input", "target_keyword=pricing guide",
                "--model", "openai/gpt-4o-mini",
            ],
            environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let listed = try await AgentCtl.run(["runs", "list", "--json"], environment: environment)
        let runs = try JSONParser.value(listed.stdout)
        #expect(runs.arrayValue?.count == 1)
        #expect(runs.arrayValue?.first?["status"] == "succeeded")
        let runID = runs.arrayValue?.first?["run_id"]?.stringValue ?? ""
        let events = try await AgentCtl.run(["runs", "events", runID, "--json"], environment: environment)
        #expect(events.stdout.contains("run_finished"))
        let migrated = try await AgentCtl.run(["store", "migrate", "--store", database], environment: environment)
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(migrated.stdout.contains("already at version"))
    }
}
