import CSQLite
import Foundation

// The schema as numbered migrations, recorded in `schema_migrations`. Version 1 is the schema the store had before
// it was versioned, statement for statement (`CREATE … IF NOT EXISTS`, so a database made by an earlier binary, with
// those tables and no `schema_migrations`, is brought to version 1 without losing a row). A schema change is a new
// migration appended to `migrations`; never edit one that has shipped.

extension SQLiteRunStore: SchemaMigrating {
    /// One step of the schema: its number, a short name, and the statements that take version - 1 to it.
    struct Migration: Sendable {
        /// The version the store is at once this migration is applied (1, 2, 3, … in order).
        let version: Int
        /// What it does, recorded with it.
        let name: String
        /// The statements.
        let sql: String
    }

    /// Runs, their task outputs and events: part of version 1. Never edit it: a schema change is a new migration.
    static let runsSchema = """
        CREATE TABLE IF NOT EXISTS runs (
            id TEXT PRIMARY KEY, tenant TEXT NOT NULL, user TEXT NOT NULL, crew TEXT NOT NULL, status TEXT NOT NULL,
            inputs TEXT NOT NULL, output TEXT, output_json TEXT, error_code TEXT, error_message TEXT,
            input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, cached_input_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0, created_at REAL NOT NULL, finished_at REAL);
        CREATE INDEX IF NOT EXISTS runs_tenant_created ON runs (tenant, created_at DESC);
        CREATE TABLE IF NOT EXISTS task_outputs (
            run_id TEXT NOT NULL, position INTEGER NOT NULL, task TEXT NOT NULL, agent TEXT NOT NULL, text TEXT NOT NULL,
            json TEXT, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_input_tokens INTEGER NOT NULL,
            cost_usd REAL NOT NULL, duration_ms INTEGER NOT NULL, PRIMARY KEY (run_id, position));
        CREATE TABLE IF NOT EXISTS events (
            run_id TEXT NOT NULL, sequence INTEGER NOT NULL, timestamp REAL NOT NULL, agent_path TEXT NOT NULL,
            kind TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, sequence));
        """

    /// The schema, in order. The last one's version is the newest this binary knows.
    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "baseline",
            sql: runsSchema + governanceSchema + journalSchema + definitionSchema),
        Migration(
            version: 2, name: "run queue: leases and cancel requests",
            sql: """
                ALTER TABLE runs ADD COLUMN lease_owner TEXT;
                ALTER TABLE runs ADD COLUMN lease_expires_at REAL;
                ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX runs_status_created ON runs (status, created_at);
                CREATE INDEX runs_lease_owner ON runs (lease_owner);
                CREATE INDEX runs_tenant_status ON runs (tenant, status);
                UPDATE runs SET status = 'interrupted' WHERE status IN ('queued', 'running')
                    AND NOT EXISTS (SELECT 1 FROM run_definitions d WHERE d.run_id = runs.id);
                """),
        Migration(
            version: 3, name: "tenant spend per day",
            sql: """
                CREATE TABLE tenant_spend (
                    tenant TEXT NOT NULL, day TEXT NOT NULL, cost_usd REAL NOT NULL, PRIMARY KEY (tenant, day));
                """),
        Migration(
            version: 4, name: "usage per model call",
            sql: """
                CREATE TABLE model_usage (
                    run_id TEXT NOT NULL, tenant TEXT NOT NULL, crew TEXT NOT NULL, agent TEXT NOT NULL,
                    task TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, input_tokens INTEGER NOT NULL,
                    output_tokens INTEGER NOT NULL, cached_input_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL,
                    time REAL NOT NULL, day TEXT NOT NULL);
                CREATE INDEX model_usage_tenant_time ON model_usage (tenant, time);
                CREATE INDEX model_usage_run ON model_usage (run_id);
                """),
        Migration(
            version: 5, name: "audit: kind and diff of definition changes",
            sql: """
                ALTER TABLE audit ADD COLUMN kind TEXT NOT NULL DEFAULT 'tool_call';
                ALTER TABLE audit ADD COLUMN diff TEXT NOT NULL DEFAULT '';
                CREATE INDEX audit_tenant_kind ON audit (tenant, kind, id);
                """),
    ]

    /// The newest schema version this binary knows.
    public static var latestSchemaVersion: Int { migrations.last?.version ?? 0 }

    /// Applies the migrations the store lacks, each in its own transaction with its `schema_migrations` row; returns
    /// the schema version before and after. Throws ``StoreError/Code/schemaTooNew`` when the store's schema is newer
    /// than this binary knows (opening the store has already done this, so it usually finds nothing to do).
    public func migrate() throws -> (from: Int, to: Int) {
        flushPending()
        return try Self.migrate(database!, path: path)
    }

    /// The store's schema version (0: not versioned yet), without changing anything.
    public func schemaVersion() throws -> Int { try Self.schemaVersion(database!) }

    /// Brings the database on `handle` up to date (see ``migrate()``).
    @discardableResult
    static func migrate(_ handle: OpaquePointer, path: String) throws -> (from: Int, to: Int) {
        var from: Int?
        while true {
            // IMMEDIATE takes the write lock before the version is read: of two processes opening the same new file,
            // one applies each migration and the other then finds it applied.
            try execute(handle, "BEGIN IMMEDIATE")
            do {
                let current = try schemaVersion(handle)
                if from == nil { from = current }
                if current > latestSchemaVersion {
                    throw StoreError.schemaTooNew(store: path, version: current, latest: latestSchemaVersion)
                }
                guard let next = migrations.first(where: { $0.version > current }) else {
                    try execute(handle, "COMMIT")
                    return (from ?? current, current)
                }
                try execute(
                    handle,
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
                    """ + next.sql)
                try execute(
                    handle,
                    "INSERT INTO schema_migrations VALUES (\(next.version), '\(next.name)', '\(Date().formatted(.iso8601))')"
                )
                try execute(handle, "COMMIT")
            } catch {
                try? execute(handle, "ROLLBACK")
                throw error
            }
        }
    }

    /// The highest version in `schema_migrations`, 0 when the table does not exist yet.
    static func schemaVersion(_ handle: OpaquePointer) throws -> Int {
        var statement: OpaquePointer?
        let sql =
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations') THEN 1 ELSE 0 END"
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw StoreError(message: String(cString: sqlite3_errmsg(handle)))
        }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else {
            throw StoreError(message: String(cString: sqlite3_errmsg(handle)))
        }
        guard sqlite3_column_int64(statement, 0) == 1 else { return 0 }
        var maximum: OpaquePointer?
        guard
            sqlite3_prepare_v2(handle, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1, &maximum, nil)
                == SQLITE_OK, let maximum
        else { throw StoreError(message: String(cString: sqlite3_errmsg(handle))) }
        defer { sqlite3_finalize(maximum) }
        guard sqlite3_step(maximum) == SQLITE_ROW else {
            throw StoreError(message: String(cString: sqlite3_errmsg(handle)))
        }
        return Int(sqlite3_column_int64(maximum, 0))
    }
}
