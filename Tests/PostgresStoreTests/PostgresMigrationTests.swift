import AgentRuntime
import AgentRuntimeTesting
import Foundation
import PostgresStore
import Testing

/// The PostgreSQL store's versioned schema.
@Suite("PostgreSQL store: migrations and URLs")
struct PostgresMigrationTests {
    @Test("an empty database is migrated to the newest version; again, nothing changes")
    func migrate() async throws {
        let store = try await StoreAdapter.unmigratedPostgresStore()
        defer { store.shutdown() }
        let latest = PostgresRunStore.latestSchemaVersion
        #expect(latest >= 1)
        #expect(try await store.schemaVersion() == 0)
        let first = try await store.migrate()
        #expect(first.from == 0 && first.to == latest)
        let second = try await store.migrate()
        #expect(second.from == latest && second.to == latest)
        #expect(try await store.schemaVersion() == latest)
    }

    @Test("processes migrating one database at once apply each migration once")
    func concurrent() async throws {
        let server = try await PostgresTestServer.shared()
        let url = try PostgresStoreURL(parsing: try await server.makeDatabase())
        let stores = (0..<4).map { _ in
            PostgresRunStore(url: url, password: nil, queryTimeout: StoreAdapter.queryTimeout)
        }
        defer { for store in stores { store.shutdown() } }
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for store in stores { group.addTask { try await store.migrate().from } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.sorted() == [0] + Array(repeating: PostgresRunStore.latestSchemaVersion, count: 3))
    }

    @Test("a database whose schema is newer than the binary is refused with a clear error")
    func newerSchema() async throws {
        let server = try await PostgresTestServer.shared()
        let url = try PostgresStoreURL(parsing: try await server.makeDatabase())
        let store = PostgresRunStore(url: url, password: nil, queryTimeout: StoreAdapter.queryTimeout)
        defer { store.shutdown() }
        try await store.migrate()
        let newer = PostgresRunStore.latestSchemaVersion + 1
        try await server.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (\(newer), 'from a newer binary')",
            database: url.database)
        let error = await #expect(throws: StoreError.self) { try await store.migrate() }
        #expect(error?.code == .schemaTooNew, "the same code as the SQLite store")
        #expect(error == StoreError.schemaTooNew(store: url.redacted, version: newer, latest: newer - 1))
        #expect(error?.description.contains("newer than this agentctl knows") == true)
    }

    @Test("store URLs: user, host, port, database, pool size; a password in the URL is refused")
    func urls() throws {
        let url = try PostgresStoreURL(
            parsing: "postgres://app@db.internal:6543/runs?pool=25&sslmode=require&password=secret:db/app")
        #expect(url.host == "db.internal")
        #expect(url.port == 6543)
        #expect(url.user == "app")
        #expect(url.database == "runs")
        #expect(url.poolSize == 25)
        #expect(url.sslMode == "require")
        #expect(url.passwordReference == "secret:db/app")
        #expect(url.configuration(password: "pw").options.maximumConnections == 25)
        let defaults = try PostgresStoreURL(parsing: "postgresql://app@localhost/runs")
        #expect(defaults.port == 5432)
        #expect(defaults.poolSize == 10)
        #expect(defaults.passwordReference == nil)
        for bad in [
            "postgres://app:hunter2@localhost/runs", "postgres://app@localhost/runs?password=hunter2",
            "postgres://localhost/runs", "postgres://app@localhost/", "postgres://app@localhost/runs?pool=0",
            "postgres://app@localhost/runs?color=blue",
        ] {
            #expect(throws: PostgresStoreError.self) { try PostgresStoreURL(parsing: bad) }
        }
        do {
            _ = try PostgresStoreURL(parsing: "postgres://app:hunter2@localhost/runs")
        } catch {
            #expect(!"\(error)".contains("hunter2"))
            #expect("\(error)".contains("secret reference"))
        }
    }
}
