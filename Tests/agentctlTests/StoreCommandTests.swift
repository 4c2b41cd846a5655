import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

@Suite("agentctl store")
struct StoreCommandTests {
    @Test("store migrate brings a new file from 0 to the latest version, then finds nothing to do; store version")
    func migrate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("runs.sqlite").path
        let latest = SQLiteRunStore.latestSchemaVersion

        let first = try await AgentCtl.run(["store", "migrate", "--store", path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "schema version 0 → \(latest)\n")
        let second = try await AgentCtl.run(["store", "migrate", "--store", path])
        #expect(second.status == 0)
        #expect(second.stdout == "already at version \(latest)\n")
        let version = try await AgentCtl.run(["store", "version"], environment: ["AGENTRUNTIME_STORE": path])
        #expect(version.status == 0)
        #expect(version.stdout == "schema version \(latest)\nthis agentctl knows up to \(latest)\n")
    }

    @Test("a store with a newer schema is refused with a clear message and exit 1, by every command that opens it")
    func newerSchema() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("that.sqlite").path
        _ = try SQLiteRunStore(path: path)
        let future = SQLiteRunStore.latestSchemaVersion + 2
        try SQLiteFile.execute(
            "INSERT INTO schema_migrations VALUES (\(future), 'from the future', '2030-01-01T00:00:00Z')", at: path)
        let message =
            "the store at \(path) has schema version \(future), newer than this agentctl knows (\(SQLiteRunStore.latestSchemaVersion)); upgrade agentctl"

        let list = try await AgentCtl.run(["runs", "list", "--store", path])
        #expect(list.status == 1)
        #expect(list.stderr.contains(message), "\(list.stderr)")
        #expect(list.stdout.isEmpty)
        let migrate = try await AgentCtl.run(["store", "migrate", "--store", path])
        #expect(migrate.status == 1)
        #expect(migrate.stderr.contains(message), "\(migrate.stderr)")
        let version = try await AgentCtl.run(["store", "version", "--store", path])
        #expect(version.status == 1)
        #expect(version.stdout.hasPrefix("schema version \(future)\n"))
    }
}
