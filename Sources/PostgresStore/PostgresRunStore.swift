import AgentRuntime
import Foundation
import PostgresNIO

/// Every store role (``PlatformStore``) in PostgreSQL, shared by several processes: runs, task outputs and events,
/// the journal, run definitions, model exchanges, approvals, the audit log, idempotency keys and agent versions.
///
/// The semantics are those of the SQLite store: reads scoped to a tenant where the role asks for one,
/// compare-and-set claims, approvals decided only while pending and unexpired, an append-only audit log. Times are
/// stored as seconds since 1970 (so a `Date` reads back exactly). The schema is versioned: call ``migrate()``
/// before use.
public final class PostgresRunStore: Sendable {
    /// The connection pool.
    let client: PostgresClient
    /// The task running the pool; cancelling it closes the connections.
    private let runner: Task<Void, Never>
    /// The pool's logger (quiet: the store reports failures by throwing).
    let logger: Logger
    /// How errors name the database (its URL without the password).
    let location: String

    /// Creates a store over a pool with `configuration` (its `maximumConnections` is the pool size); the pool
    /// runs until ``shutdown()``. `location` names the database in errors.
    public init(configuration: PostgresClient.Configuration, location: String = "the PostgreSQL database") {
        self.location = location
        var logger = Logger(label: "agentruntime.store.postgres")
        logger.logLevel = .critical
        self.logger = logger
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
    }

    /// Creates a store for a parsed store URL, with its password already resolved.
    public convenience init(url: PostgresStoreURL, password: String?) {
        self.init(configuration: url.configuration(password: password), location: url.redacted)
    }

    deinit { runner.cancel() }

    /// Closes the pool's connections; the store cannot be used afterwards.
    public func shutdown() { runner.cancel() }

    // MARK: Schema

    /// The newest schema version this binary knows.
    public static var latestSchemaVersion: Int { PostgresSchema.latestVersion }

    /// Applies the missing migrations in one transaction, serialised across processes by an advisory lock; returns
    /// the schema version before and after. Refuses (``StoreError/schemaTooNew(store:version:latest:)``, code `schema_too_new`, as SQLite does) a
    /// database whose schema is newer than this binary knows.
    @discardableResult
    public func migrate() async throws -> (from: Int, to: Int) {
        let logger = self.logger
        return try await transaction { connection in
            try await Self.collect(
                connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.lockKey))", logger: logger)
            ) { _ in () }
            try await Self.collect(
                connection.query(PostgresQuery(unsafeSQL: PostgresSchema.migrationsTable), logger: logger)
            ) { _ in () }
            let current =
                try await Self.collect(
                    connection.query("SELECT COALESCE(MAX(version), 0)::bigint FROM schema_migrations", logger: logger)
                ) { try $0.decode(Int.self) }.first ?? 0
            let latest = PostgresSchema.latestVersion
            guard current <= latest else {
                throw StoreError.schemaTooNew(store: location, version: current, latest: latest)
            }
            for migration in PostgresSchema.migrations where migration.version > current {
                for statement in migration.statements {
                    try await Self.collect(connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)) {
                        _ in ()
                    }
                }
                try await Self.collect(
                    connection.query(
                        "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                        logger: logger)
                ) { _ in () }
            }
            return (current, latest)
        }
    }

    /// The database's schema version (0 when it has none).
    public func schemaVersion() async throws -> Int {
        let exists = try await rows("SELECT to_regclass('schema_migrations') IS NOT NULL") { try $0.decode(Bool.self) }
        guard exists.first == true else { return 0 }
        return try await rows("SELECT COALESCE(MAX(version), 0)::bigint FROM schema_migrations") {
            try $0.decode(Int.self)
        }.first ?? 0
    }

    // MARK: Queries

    /// Runs `query` and maps each row.
    func rows<Row>(_ query: PostgresQuery, _ transform: (PostgresRow) throws -> Row) async throws -> [Row] {
        do { return try await Self.collect(client.query(query, logger: logger), transform) } catch {
            throw Self.storeError(error)
        }
    }

    /// Runs `query`; returns how many rows it returned (statements that change rows say `RETURNING 1` to count).
    @discardableResult
    func execute(_ query: PostgresQuery) async throws -> Int {
        try await rows(query) { _ in () }.count
    }

    /// Runs `body` in a transaction (committed when it returns, rolled back when it throws).
    func transaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw Self.storeError(error.closureError ?? error.beginError ?? error.commitError ?? error)
        } catch { throw Self.storeError(error) }
    }

    /// Consumes a row sequence.
    @discardableResult
    static func collect<Row>(
        _ sequence: PostgresRowSequence, _ transform: (PostgresRow) throws -> Row
    ) async throws -> [Row] {
        var result: [Row] = []
        for try await row in sequence { result.append(try transform(row)) }
        return result
    }

    /// An error fit for an operator: the server's message, or why the database could not be used.
    static func storeError(_ error: any Error) -> any Error {
        switch error {
        case is PostgresStoreError, is StoreError, is CancellationError: return error
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] { return PostgresStoreError.database(message) }
            return PostgresStoreError.database("the database is unavailable (\(error.code))")
        default: return PostgresStoreError.database(String(describing: error))
        }
    }

    /// Seconds since 1970, as stored.
    static func seconds(_ date: Date) -> Double { date.timeIntervalSince1970 }

    /// A stored time.
    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    /// Stored JSON text as a value.
    static func json(_ text: String?) -> JSONValue? { text.flatMap { try? JSONParser.value($0) } }
}

extension PostgresRunStore: SchemaMigrating {}
