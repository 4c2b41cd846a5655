import AgentRuntime
import Foundation
import PostgresNIO

/// Every store role (``PlatformStore``) in PostgreSQL, shared by several processes: runs, task outputs and events,
/// the journal, run definitions, model exchanges, approvals, the audit log, idempotency keys and agent versions.
///
/// The semantics are those of the SQLite store: reads scoped to a tenant where the role asks for one,
/// compare-and-set claims, approvals decided only while pending and unexpired, an append-only audit log, a run queue
/// with leases. Times are stored as seconds since 1970 (so a `Date` reads back exactly). The schema is versioned:
/// call ``migrate()`` before use.
///
/// Every write another process may wait for notifies the `agentruntime` channel (see ``signals()``). Every call
/// answers within ``queryTimeout``: when the database is unreachable it throws ``StoreError`` with code
/// `unavailable`, and serves again as soon as the database is back (a pool that cannot connect is replaced).
public final class PostgresRunStore: Sendable {
    /// The connection pool.
    let pool: PostgresPool
    /// The pool's logger (quiet: the store reports failures by throwing).
    let logger: Logger
    /// How errors name the database (its URL without the password).
    let location: String
    /// How long a query or transaction may take before the store gives up on it and reports the database
    /// unavailable (``StoreError/Code/unavailable``).
    public let queryTimeout: Duration
    /// The connection that listens for other processes' writes, opened on the first ``signals()``.
    let listener: PostgresSignalListener
    /// Events waiting to be written in the next batch.
    let eventBatch: PostgresEventBatch

    /// Creates a store over a pool with `configuration` (its `maximumConnections` is the pool size); the pool
    /// runs until ``shutdown()``. `location` names the database in errors. Every query and transaction gets an
    /// answer within `queryTimeout`, or fails as ``StoreError/Code/unavailable`` (postgres-nio alone would wait for
    /// a connection as long as the database is unreachable).
    public init(
        configuration: PostgresClient.Configuration, location: String = "the PostgreSQL database",
        queryTimeout: Duration = .seconds(5)
    ) {
        self.location = location
        self.queryTimeout = queryTimeout
        var logger = Logger(label: "agentruntime.store.postgres")
        logger.logLevel = .critical
        self.logger = logger
        pool = PostgresPool(configuration: configuration, logger: logger, timeout: queryTimeout)
        listener = PostgresSignalListener(configuration: configuration, logger: logger, timeout: queryTimeout)
        let holder = WeakStore()
        eventBatch = PostgresEventBatch { rows in
            guard let store = holder.store else { return }
            try await Self.writeEvents(rows, store: store)
        }
        holder.store = self
    }

    /// Creates a store for a parsed store URL, with its password already resolved (see
    /// ``init(configuration:location:queryTimeout:)`` for `queryTimeout`).
    public convenience init(url: PostgresStoreURL, password: String?, queryTimeout: Duration = .seconds(5)) {
        self.init(
            configuration: url.configuration(password: password), location: url.redacted, queryTimeout: queryTimeout)
    }

    deinit {
        pool.shutdown()
        listener.stop()
    }

    /// Closes the pool's connections and the listening one; the store cannot be used afterwards.
    public func shutdown() {
        pool.shutdown()
        listener.stop()
    }

    // MARK: Schema

    /// The newest schema version this binary knows.
    public static var latestSchemaVersion: Int { PostgresSchema.latestVersion }

    /// Applies the missing migrations in one transaction, serialised across processes by an advisory lock; returns
    /// the schema version before and after. Refuses (``StoreError/schemaTooNew(store:version:latest:)``, code `schema_too_new`, as SQLite does) a
    /// database whose schema is newer than this binary knows.
    @discardableResult
    public func migrate() async throws -> (from: Int, to: Int) {
        // Unreachable: said within the query timeout. Then longer than a query: another process may be migrating
        // (this one waits for its lock), and a migration may rewrite a table.
        try await checkAvailable()
        let logger = self.logger
        let location = self.location
        return try await transaction(timeout: max(queryTimeout, .seconds(120))) { connection in
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
        let logger = self.logger
        let rows = try await withConnection { connection in
            try await Self.collect(connection.query(query, logger: logger)) { $0 }
        }
        do { return try rows.map(transform) } catch { throw storeError(error) }
    }

    /// Runs `query`; returns how many rows it returned (statements that change rows say `RETURNING 1` to count).
    @discardableResult
    func execute(_ query: PostgresQuery) async throws -> Int {
        try await rows(query) { _ in () }.count
    }

    /// Runs `body` in a transaction (committed when it returns, rolled back when it throws), within `timeout`
    /// (default ``queryTimeout``).
    func transaction<Result: Sendable>(
        timeout: Duration? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        return try await withConnection(timeout: timeout) { connection in
            try await connection.withTransaction(logger: logger) { connection in
                let result = try await body(connection)
                // Past its deadline (the caller was told it failed): rolled back rather than committed.
                try Task.checkCancellation()
                return result
            }
        }
    }

    /// Runs `body` with a connection of the pool, within `timeout` (default ``queryTimeout``). A request that gave
    /// up before it had a connection tells the pool (which then opens a fresh one: see ``PostgresPool``).
    func withConnection<Result: Sendable>(
        timeout: Duration? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let generation = pool.current
        let leased = PostgresPool.Flag()
        do {
            return try await deadline(timeout) { try await generation.withConnection(leased: leased, body) }
        } catch let error as StoreError where error.code == .unavailable {
            if !leased.isSet { pool.waitedInVain(generation) }
            throw error
        }
    }

    /// Runs `work` within `timeout` (default ``queryTimeout``): its result, or ``StoreError/Code/unavailable`` when
    /// it does not finish in time or cannot reach the database; errors the server answers with are
    /// ``PostgresStoreError``s.
    func deadline<Result: Sendable>(
        _ timeout: Duration? = nil, _ work: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let limit = timeout ?? queryTimeout
        let location = self.location
        do {
            return try await Deadline.run(
                limit, timeout: { StoreError.unavailable(location, "no answer within \(Self.describe(limit))") }, work)
        } catch { throw storeError(error) }
    }

    /// Runs `query` on `connection` (in a transaction) and maps each row.
    @discardableResult
    static func query<Row>(
        _ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger,
        _ transform: (PostgresRow) throws -> Row
    ) async throws -> [Row] {
        try await collect(connection.query(query, logger: logger), transform)
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

    /// SQLSTATEs of a server that cannot serve now: connection exceptions (class 08), an administrator or crash
    /// shutdown, a server starting up, too many connections.
    private static let unavailableStates: Set<String> = ["57P01", "57P02", "57P03", "53300"]

    /// An error fit for an operator: ``StoreError/Code/unavailable`` when the database could not be reached (or
    /// was going away), the server's message when it refused the query.
    func storeError(_ error: any Error) -> any Error {
        switch error {
        case is PostgresStoreError, is StoreError, is CancellationError: return error
        case let error as PostgresTransactionError:
            return storeError(
                error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError ?? error)
        case let error as PSQLError:
            if error.code == .server {
                let message = error.serverInfo?[.message] ?? "the server refused the statement"
                let state = error.serverInfo?[.sqlState] ?? ""
                if state.hasPrefix("08") || Self.unavailableStates.contains(state) {
                    return StoreError.unavailable(location, message)
                }
                return PostgresStoreError.database(message)
            }
            let malformed: [PSQLError.Code] = [
                .messageDecodingFailure, .unexpectedBackendMessage, .invalidCommandTag, .tooManyParameters,
                .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError,
            ]
            if malformed.contains(error.code) { return PostgresStoreError.database("\(error.code)") }
            // The caller was cancelled (a deadline's own cancellation never gets here: its timeout error wins).
            if error.code == .queryCancelled { return CancellationError() }
            return StoreError.unavailable(location, error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)")
        case is PostgresDecodingError, is EncodingError, is DecodingError:
            return PostgresStoreError.database(String(describing: error))
        default:
            // Connection failures below the protocol: the pool's, NIO's (refused, reset).
            let text = String(describing: error)
            if text.contains("CircuitBreakerTripped") {
                return StoreError.unavailable(location, "connecting has failed for a minute; retrying")
            }
            return StoreError.unavailable(location, text)
        }
    }

    /// `5 s`, `1.5 s`.
    static func describe(_ duration: Duration) -> String {
        let seconds = duration.seconds
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\((seconds * 1000).rounded() / 1000) s"
    }

    /// Seconds since 1970, as stored.
    static func seconds(_ date: Date) -> Double { date.timeIntervalSince1970 }

    /// A stored time.
    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    /// Stored JSON text as a value.
    static func json(_ text: String?) -> JSONValue? { text.flatMap { try? JSONParser.value($0) } }
}

extension PostgresRunStore: SchemaMigrating {}

/// The store, for its event batch's writer (which must not keep it alive).
private final class WeakStore: @unchecked Sendable {
    weak var store: PostgresRunStore?
}
