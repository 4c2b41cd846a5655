import AgentRuntimeTesting
import Foundation
import Testing

@testable import AgentRuntime

@Suite("SQLite schema migrations")
struct SQLiteMigrationTests {
    /// The schema exactly as the store created it before it was versioned (`CREATE TABLE IF NOT EXISTS` at open, no
    /// `schema_migrations`), copied from that source.
    static let unversionedSchema = """
        PRAGMA journal_mode=WAL;
        PRAGMA synchronous=NORMAL;
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
        CREATE TABLE IF NOT EXISTS approvals (
            id TEXT PRIMARY KEY, run_id TEXT NOT NULL, tenant TEXT NOT NULL, user TEXT NOT NULL, roles TEXT NOT NULL, agent TEXT NOT NULL,
            tool TEXT NOT NULL, arguments TEXT NOT NULL, status TEXT NOT NULL, requested_at REAL NOT NULL, expires_at REAL NOT NULL,
            decided_at REAL, decided_by TEXT, comment TEXT);
        CREATE INDEX IF NOT EXISTS approvals_tenant_status ON approvals (tenant, status);
        CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, tenant TEXT NOT NULL, user TEXT NOT NULL, roles TEXT NOT NULL,
            run_id TEXT NOT NULL, agent TEXT NOT NULL, tool TEXT NOT NULL, outcome TEXT NOT NULL, duration_ms INTEGER,
            arguments TEXT NOT NULL, detail TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS audit_tenant_time ON audit (tenant, time);
        CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TABLE IF NOT EXISTS idempotency (
            tenant TEXT NOT NULL, key TEXT NOT NULL, run_id TEXT NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (tenant, key));
        CREATE TABLE IF NOT EXISTS agent_versions (
            agent_id TEXT NOT NULL, version INTEGER NOT NULL, time REAL NOT NULL, user TEXT NOT NULL, content TEXT NOT NULL,
            PRIMARY KEY (agent_id, version));
        CREATE TABLE IF NOT EXISTS exchanges (
            run_id TEXT NOT NULL, sequence INTEGER NOT NULL, model TEXT NOT NULL, request TEXT NOT NULL, response TEXT NOT NULL,
            PRIMARY KEY (run_id, sequence));
        CREATE TABLE IF NOT EXISTS journal (
            run_id TEXT NOT NULL, step INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,
            attempt INTEGER NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (run_id, step));
        CREATE TABLE IF NOT EXISTS run_definitions (
            run_id TEXT PRIMARY KEY, attempt INTEGER NOT NULL, attempt_errors TEXT NOT NULL, definition TEXT NOT NULL);
        """

    /// The tables, indexes and triggers of a database file with their SQL, `schema_migrations` aside.
    private func schema(at path: String) throws -> [String?] {
        try SQLiteFile.column(
            "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY type, name",
            at: path)
    }

    @Test("a new file migrates from 0 to the latest version, and a second migration finds nothing to do")
    func freshFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("runs.sqlite").path
        let latest = SQLiteRunStore.latestSchemaVersion
        #expect(latest >= 1)

        let store = try SQLiteRunStore(path: path, migrating: false)
        #expect(try await store.schemaVersion() == 0)
        let first = try await store.migrate()
        #expect(first.from == 0 && first.to == latest)
        let second = try await store.migrate()
        #expect(second.from == latest && second.to == latest)
        #expect(try await store.schemaVersion() == latest)
        let rows = try SQLiteFile.column(
            "SELECT version || ' ' || name || ' ' || (applied_at != '') FROM schema_migrations ORDER BY version",
            at: path)
        #expect(rows.first == "1 baseline 1")
        #expect(rows.count == latest)

        // Opening migrates too: the embedded default needs no extra step, and gets the same schema.
        let opened = directory.url.appendingPathComponent("opened.sqlite").path
        let other = try SQLiteRunStore(path: opened)
        #expect(try await other.schemaVersion() == latest)
        let again = try await other.migrate()
        #expect(again.from == latest && again.to == latest)
        #expect(try schema(at: opened) == schema(at: path))
    }

    @Test("version 1 is the schema the unversioned store had, statement for statement")
    func baselineIsTheOldSchema() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let old = directory.url.appendingPathComponent("old.sqlite").path
        let baseline = directory.url.appendingPathComponent("baseline.sqlite").path
        try SQLiteFile.execute(Self.unversionedSchema, at: old)
        let first = try #require(SQLiteRunStore.migrations.first)
        #expect(first.version == 1)
        try SQLiteFile.execute(first.sql, at: baseline)
        #expect(try schema(at: baseline) == schema(at: old))
        #expect(SQLiteRunStore.migrations.map(\.version) == Array(1...SQLiteRunStore.latestSchemaVersion))
    }

    @Test("a database made by the unversioned binary opens at the latest version and keeps its runs")
    func unversionedDatabase() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("runs.sqlite").path
        try SQLiteFile.execute(
            Self.unversionedSchema
                + """
                INSERT INTO runs VALUES ('old-run', 'acme', 'ada', 'seo-audit', 'succeeded', '{"site":"acme.test"}', 'done',
                    NULL, NULL, NULL, 10, 5, 2, 0.25, 1800000000, 1800000005);
                INSERT INTO events VALUES ('old-run', 1, 1800000001, 'writer', 'run_started', '{}');
                """,
            at: path)

        let store = try SQLiteRunStore(path: path)
        #expect(try await store.schemaVersion() == SQLiteRunStore.latestSchemaVersion)
        let run = try #require(try await store.run("old-run", tenant: "acme"))
        #expect(run.status == .succeeded && run.output == "done" && run.inputs == ["site": "acme.test"])
        #expect(run.usage == TokenUsage(inputTokens: 10, outputTokens: 5, cachedInputTokens: 2))
        #expect(run.finishedAt == Date(timeIntervalSince1970: 1_800_000_005))
        #expect(try await store.events(of: "old-run", after: 0).map(\.kind) == ["run_started"])
        #expect(try SQLiteFile.column("SELECT version FROM schema_migrations", at: path).first == "1")

        // The store still works as before: new runs go in beside the old one.
        try await store.insert(
            RunRecord(
                id: "new-run", tenant: "acme", user: "ada", crew: "seo-audit", status: .running, inputs: [:],
                createdAt: Date(timeIntervalSince1970: 1_800_000_010)))
        #expect(
            try await store.runs(tenant: "acme", user: nil, status: nil, crew: nil, limit: 10, offset: 0).map(\.id) == [
                "new-run", "old-run",
            ])
        let again = try await store.migrate()
        #expect(again.from == SQLiteRunStore.latestSchemaVersion && again.to == SQLiteRunStore.latestSchemaVersion)
    }

    @Test("a schema newer than this binary knows is refused at open, with a stable code and a clear message")
    func newerSchemaRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("runs.sqlite").path
        _ = try SQLiteRunStore(path: path)
        let future = SQLiteRunStore.latestSchemaVersion + 2
        try SQLiteFile.execute(
            "INSERT INTO schema_migrations VALUES (\(future), 'from the future', '2030-01-01T00:00:00Z')", at: path)

        let error = try #require(throws: StoreError.self) { try SQLiteRunStore(path: path) }
        #expect(error.code == .schemaTooNew)
        #expect(
            error.message
                == "the store at \(path) has schema version \(future), newer than this agentctl knows (\(SQLiteRunStore.latestSchemaVersion)); upgrade agentctl"
        )
        let unmigrated = try SQLiteRunStore(path: path, migrating: false)
        #expect(try await unmigrated.schemaVersion() == future)
        await #expect(
            throws: StoreError.schemaTooNew(store: path, version: future, latest: SQLiteRunStore.latestSchemaVersion)
        ) {
            _ = try await unmigrated.migrate()
        }
        // Nothing was changed by the refusal.
        #expect(try SQLiteFile.column("SELECT MAX(version) FROM schema_migrations", at: path).first == "\(future)")
    }

    @Test("connections opening one new file at once apply each migration once")
    func concurrentOpens() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("runs.sqlite").path
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = try SQLiteRunStore(path: path) } }
            try await group.waitForAll()
        }
        #expect(
            try SQLiteFile.column("SELECT COUNT(*) FROM schema_migrations", at: path).first
                == "\(SQLiteRunStore.latestSchemaVersion)")
    }
}
