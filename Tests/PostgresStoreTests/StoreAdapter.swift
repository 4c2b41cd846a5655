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

    /// Runs `body` with `count` stores on one new, empty database, then closes them: for PostgreSQL, separate
    /// stores (each with its pool and listening connection, as separate processes have); for SQLite, one store
    /// (one process at a time writes the file) handed over `count` times.
    func withStores(_ count: Int, _ body: ([any PlatformStore]) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await withStore { store in try await body(Array(repeating: store, count: count)) }
        case .postgres:
            let server = try await PostgresTestServer.shared()
            let url = try PostgresStoreURL(parsing: try await server.makeDatabase())
            let stores = (0..<count).map { _ in
                PostgresRunStore(url: url, password: nil, queryTimeout: Self.queryTimeout)
            }
            defer { for store in stores { store.shutdown() } }
            try await stores[0].migrate()
            try await body(stores)
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
        return PostgresRunStore(
            url: try PostgresStoreURL(parsing: try await server.makeDatabase()), password: nil,
            queryTimeout: queryTimeout)
    }

    /// The contract is not about deadlines (the outage tests are): a query may take this long on a test machine
    /// whose two cores also run the rest of the suite and its child processes.
    static let queryTimeout: Duration = .seconds(30)
}
