import AgentRuntime
import AgentRuntimeTesting
import Foundation
import PostgresStore
import Testing

/// The store adapters the contract runs against, each made fresh for one test.
enum StoreAdapter: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// A SQLite file in a temporary directory.
    case sqlite
    /// A new database in the test process's PostgreSQL cluster, migrated.
    case postgres

    var testDescription: String { rawValue }

    /// Runs `body` with a new, empty store, then closes it.
    func withStore(_ body: (any PlatformStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try await body(try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path))
        case .postgres:
            let store = try await Self.postgresStore()
            defer { store.shutdown() }
            try await body(store)
        }
    }

    /// A migrated PostgreSQL store on a new database.
    static func postgresStore() async throws -> PostgresRunStore {
        let store = try await unmigratedPostgresStore()
        try await store.migrate()
        return store
    }

    /// A PostgreSQL store on a new, empty database.
    static func unmigratedPostgresStore() async throws -> PostgresRunStore {
        let server = try await PostgresTestServer.shared()
        return PostgresRunStore(url: try PostgresStoreURL(parsing: try server.makeDatabase()), password: nil)
    }
}
