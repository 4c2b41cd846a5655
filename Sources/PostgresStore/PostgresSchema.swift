import PostgresNIO

/// The versioned schema of ``PostgresRunStore``: each migration's statements, applied in order and recorded in
/// `schema_migrations`. Append new migrations at the end; never edit one that has shipped.
enum PostgresSchema {
    /// One step of the schema.
    struct Migration: Sendable {
        /// 1, 2, 3, ...
        let version: Int
        /// What it does, recorded with it.
        let name: String
        /// Its statements, run in order inside the migration's transaction.
        let statements: [String]
    }

    /// The table that records applied migrations (the same shape as the SQLite store's).
    static let migrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
        """

    /// The key of the advisory lock that serialises migrations across processes.
    static let lockKey: Int64 = 0x4167_656E_7452_756E

    /// Every migration this binary knows, oldest first.
    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "runs, events, journal, definitions, exchanges, approvals, audit, idempotency, versions",
            statements: [
                """
                CREATE TABLE runs (
                    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, user_name TEXT NOT NULL, crew TEXT NOT NULL,
                    status TEXT NOT NULL, inputs TEXT NOT NULL, output TEXT, output_json TEXT, error_code TEXT,
                    error_message TEXT, input_tokens BIGINT NOT NULL DEFAULT 0, output_tokens BIGINT NOT NULL DEFAULT 0,
                    cached_input_tokens BIGINT NOT NULL DEFAULT 0, cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
                    created_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION)
                """,
                "CREATE INDEX runs_tenant_created ON runs (tenant, created_at DESC)",
                """
                CREATE TABLE task_outputs (
                    run_id TEXT NOT NULL, position BIGINT NOT NULL, task TEXT NOT NULL, agent TEXT NOT NULL,
                    text TEXT NOT NULL, json TEXT, input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL,
                    cached_input_tokens BIGINT NOT NULL, cost_usd DOUBLE PRECISION NOT NULL,
                    duration_ms BIGINT NOT NULL, PRIMARY KEY (run_id, position))
                """,
                """
                CREATE TABLE events (
                    run_id TEXT NOT NULL, sequence BIGINT NOT NULL, timestamp DOUBLE PRECISION NOT NULL,
                    agent_path TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, sequence))
                """,
                """
                CREATE TABLE approvals (
                    id TEXT PRIMARY KEY, run_id TEXT NOT NULL, tenant TEXT NOT NULL, user_name TEXT NOT NULL,
                    roles TEXT NOT NULL, agent TEXT NOT NULL, tool TEXT NOT NULL, arguments TEXT NOT NULL,
                    status TEXT NOT NULL, requested_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
                    decided_at DOUBLE PRECISION, decided_by TEXT, comment TEXT)
                """,
                "CREATE INDEX approvals_tenant_status ON approvals (tenant, status)",
                """
                CREATE TABLE audit (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, time DOUBLE PRECISION NOT NULL,
                    tenant TEXT NOT NULL, user_name TEXT NOT NULL, roles TEXT NOT NULL, run_id TEXT NOT NULL,
                    agent TEXT NOT NULL, tool TEXT NOT NULL, outcome TEXT NOT NULL, duration_ms BIGINT,
                    arguments TEXT NOT NULL, detail TEXT NOT NULL)
                """,
                "CREATE INDEX audit_tenant_time ON audit (tenant, time)",
                """
                CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$
                """,
                """
                CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
                    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
                """,
                """
                CREATE TABLE idempotency (
                    tenant TEXT NOT NULL, key TEXT NOT NULL, run_id TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (tenant, key))
                """,
                "CREATE INDEX idempotency_run ON idempotency (run_id)",
                """
                CREATE TABLE agent_versions (
                    agent_id TEXT NOT NULL, version BIGINT NOT NULL, time DOUBLE PRECISION NOT NULL,
                    user_name TEXT NOT NULL, content TEXT NOT NULL, PRIMARY KEY (agent_id, version))
                """,
                """
                CREATE TABLE exchanges (
                    run_id TEXT NOT NULL, sequence BIGINT NOT NULL, model TEXT NOT NULL, request TEXT NOT NULL,
                    response TEXT NOT NULL, PRIMARY KEY (run_id, sequence))
                """,
                """
                CREATE TABLE journal (
                    run_id TEXT NOT NULL, step BIGINT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
                    data TEXT NOT NULL, attempt BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (run_id, step))
                """,
                """
                CREATE TABLE run_definitions (
                    run_id TEXT PRIMARY KEY, attempt BIGINT NOT NULL, attempt_errors TEXT NOT NULL,
                    definition TEXT NOT NULL)
                """,
            ]),
        Migration(
            version: 2, name: "run queue: leases, cancel requests, agent version counter, rate buckets",
            statements: [
                "ALTER TABLE runs ADD COLUMN lease_owner TEXT",
                "ALTER TABLE runs ADD COLUMN lease_expires_at DOUBLE PRECISION",
                "ALTER TABLE runs ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT false",
                // Claims read claimable runs oldest first and stop at their limit.
                """
                CREATE INDEX runs_claimable ON runs (created_at, id COLLATE "C")
                    WHERE status IN ('queued', 'interrupted', 'running', 'awaiting_approval')
                """,
                "CREATE INDEX runs_lease_owner ON runs (lease_owner) WHERE lease_owner IS NOT NULL",
                // A submission counts its tenant's runs in flight, not its whole history.
                """
                CREATE INDEX runs_tenant_in_flight ON runs (tenant)
                    WHERE status IN ('queued', 'running', 'interrupted')
                """,
                // Unfinished runs stored before runs kept definitions cannot be carried on, and no worker claims them.
                """
                UPDATE runs SET status = 'interrupted' WHERE status IN ('queued', 'running')
                    AND NOT EXISTS (SELECT 1 FROM run_definitions d WHERE d.run_id = runs.id)
                """,
                // Existing rows are numbered in table order.
                "ALTER TABLE agent_versions ADD COLUMN counter BIGINT GENERATED ALWAYS AS IDENTITY",
                "CREATE UNIQUE INDEX agent_versions_counter ON agent_versions (counter)",
                """
                CREATE TABLE rate_buckets (
                    key TEXT PRIMARY KEY, level DOUBLE PRECISION NOT NULL, capacity DOUBLE PRECISION NOT NULL,
                    updated DOUBLE PRECISION NOT NULL)
                """,
            ]),
        Migration(
            version: 3, name: "tenant spend per day",
            statements: [
                """
                CREATE TABLE tenant_spend (
                    tenant TEXT NOT NULL, day TEXT NOT NULL, cost_usd DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (tenant, day))
                """
            ]),
        Migration(
            version: 4, name: "usage per model call",
            statements: [
                """
                CREATE TABLE model_usage (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, run_id TEXT NOT NULL, tenant TEXT NOT NULL,
                    crew TEXT NOT NULL, agent TEXT NOT NULL, task TEXT NOT NULL, provider TEXT NOT NULL,
                    model TEXT NOT NULL, input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL,
                    cached_input_tokens BIGINT NOT NULL, cost_usd DOUBLE PRECISION NOT NULL,
                    time DOUBLE PRECISION NOT NULL, day TEXT NOT NULL)
                """,
                "CREATE INDEX model_usage_tenant_time ON model_usage (tenant, time)",
                "CREATE INDEX model_usage_run ON model_usage (run_id)",
            ]),
        Migration(
            version: 5, name: "audit: kind and diff of definition changes",
            statements: [
                "ALTER TABLE audit ADD COLUMN kind TEXT NOT NULL DEFAULT 'tool_call'",
                "ALTER TABLE audit ADD COLUMN diff TEXT NOT NULL DEFAULT ''",
                "CREATE INDEX audit_tenant_kind ON audit (tenant, kind, id)",
            ]),
    ]

    /// The newest version this binary knows.
    static var latestVersion: Int { migrations.last?.version ?? 0 }
}
