import AgentRuntime
import Foundation
import PostgresNIO

extension PostgresRunStore: RunStore {
    private static let runColumns = """
        id, tenant, user_name, crew, status, inputs, output, output_json, error_code, error_message, input_tokens,
        output_tokens, cached_input_tokens, cost_usd, created_at, finished_at, COALESCE(d.attempt, 1), d.attempt_errors
        """
    /// Runs with their attempts (kept with their definitions).
    private static let runsTable = "runs LEFT JOIN run_definitions d ON d.run_id = runs.id"

    private static func record(_ row: PostgresRow) throws -> RunRecord {
        let (
            id, tenant, user, crew, status, inputs, output, outputJSON, errorCode, errorMessage, input, output2,
            cached, cost, created, finished, attempts, attemptErrors
        ) = try row.decode(
            (
                String, String, String, String, String, String, String?, String?, String?, String?, Int, Int, Int,
                Double, Double, Double?, Int, String?
            ).self)
        return RunRecord(
            id: RunID(id), tenant: TenantID(tenant), user: user, crew: crew,
            status: RunStatus(rawValue: status) ?? .failed, inputs: json(inputs) ?? [:], output: output,
            outputJSON: json(outputJSON), errorCode: errorCode, errorMessage: errorMessage,
            usage: TokenUsage(inputTokens: input, outputTokens: output2, cachedInputTokens: cached), costUSD: cost,
            createdAt: date(created), finishedAt: finished.map(date), attempts: attempts,
            attemptErrors: json(attemptErrors)?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    private static func upsert(_ run: RunRecord, replacing: Bool) -> PostgresQuery {
        let conflict =
            replacing
            ? """
            ON CONFLICT (id) DO UPDATE SET tenant = EXCLUDED.tenant, user_name = EXCLUDED.user_name,
                crew = EXCLUDED.crew, status = EXCLUDED.status, inputs = EXCLUDED.inputs, output = EXCLUDED.output,
                output_json = EXCLUDED.output_json, error_code = EXCLUDED.error_code,
                error_message = EXCLUDED.error_message, input_tokens = EXCLUDED.input_tokens,
                output_tokens = EXCLUDED.output_tokens, cached_input_tokens = EXCLUDED.cached_input_tokens,
                cost_usd = EXCLUDED.cost_usd, created_at = EXCLUDED.created_at, finished_at = EXCLUDED.finished_at
            """ : ""
        // The lease columns are the queue's: neither set on insert nor touched by an update.
        return """
            WITH written AS (
                INSERT INTO runs (id, tenant, user_name, crew, status, inputs, output, output_json, error_code,
                    error_message, input_tokens, output_tokens, cached_input_tokens, cost_usd, created_at, finished_at)
                VALUES (\(run.id.rawValue), \(run.tenant.rawValue), \(run.user), \(run.crew), \(run.status.rawValue),
                    \(run.inputs.serialized()), \(run.output), \(run.outputJSON?.serialized()), \(run.errorCode),
                    \(run.errorMessage), \(run.usage.inputTokens), \(run.usage.outputTokens),
                    \(run.usage.cachedInputTokens), \(run.costUSD), \(seconds(run.createdAt)),
                    \(run.finishedAt.map(seconds))) \(unescaped: conflict)
                RETURNING id)
            SELECT pg_notify('agentruntime', 's ' || id) FROM written
            """
    }

    /// Stores a new run (and signals its record).
    public func insert(_ run: RunRecord) async throws {
        try await execute(Self.upsert(run, replacing: false))
    }

    /// Replaces a run's record (its lease stays as it is), and signals it.
    public func update(_ run: RunRecord) async throws {
        await eventBatch.flush()
        try await execute(Self.upsert(run, replacing: true))
    }

    /// Appends an event (replacing one with the same number, as the SQLite store does), and signals it: queued and
    /// written with the next batch (see ``PostgresEventBatch``), so a run does not wait for the database for each event.
    public func append(_ event: RunEvent) async throws {
        await eventBatch.add(
            PostgresEventBatch.Row(
                runID: event.runID.rawValue, sequence: event.sequence, timestamp: Self.seconds(event.timestamp),
                agentPath: event.agentPathText, kind: event.kindName, data: event.payload.serialized()))
    }

    /// Stores task outputs (replacing earlier ones of the run), in one transaction.
    public func saveTasks(_ tasks: [TaskOutput], of runID: RunID) async throws {
        let logger = self.logger
        try await transaction { connection in
            try await Self.collect(
                connection.query("DELETE FROM task_outputs WHERE run_id = \(runID.rawValue)", logger: logger)
            ) { _ in () }
            for (position, task) in tasks.enumerated() {
                let milliseconds = Int(task.duration.seconds * 1000)
                try await Self.collect(
                    connection.query(
                        """
                        INSERT INTO task_outputs VALUES (\(runID.rawValue), \(position), \(task.task.rawValue),
                            \(task.agent), \(task.text), \(task.json?.serialized()), \(task.usage.inputTokens),
                            \(task.usage.outputTokens), \(task.usage.cachedInputTokens), \(task.costUSD),
                            \(milliseconds))
                        """, logger: logger)
                ) { _ in () }
            }
        }
    }

    /// The run, when it belongs to `tenant` (or any tenant when nil).
    public func run(_ id: RunID, tenant: TenantID?) async throws -> RunRecord? {
        try await rows(
            """
            SELECT \(unescaped: Self.runColumns) FROM \(unescaped: Self.runsTable)
            WHERE id = \(id.rawValue) AND (\(tenant?.rawValue)::text IS NULL OR tenant = \(tenant?.rawValue))
            """, Self.record
        ).first
    }

    /// Runs newest first.
    public func runs(
        tenant: TenantID?, user: String?, status: RunStatus?, crew: String?, limit: Int, offset: Int
    ) async throws -> [RunRecord] {
        try await rows(
            """
            SELECT \(unescaped: Self.runColumns) FROM \(unescaped: Self.runsTable)
            WHERE (\(tenant?.rawValue)::text IS NULL OR tenant = \(tenant?.rawValue))
                AND (\(user)::text IS NULL OR user_name = \(user))
                AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                AND (\(crew)::text IS NULL OR crew = \(crew))
            ORDER BY created_at DESC, id COLLATE "C" LIMIT \(limit) OFFSET \(offset)
            """, Self.record)
    }

    /// Counts runs matching a filter.
    public func count(tenant: TenantID?, user: String?, status: RunStatus?, crew: String?) async throws -> Int {
        try await rows(
            """
            SELECT COUNT(*) FROM runs
            WHERE (\(tenant?.rawValue)::text IS NULL OR tenant = \(tenant?.rawValue))
                AND (\(user)::text IS NULL OR user_name = \(user))
                AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                AND (\(crew)::text IS NULL OR crew = \(crew))
            """
        ) { try $0.decode(Int.self) }.first ?? 0
    }

    /// A run's task outputs in order.
    public func tasks(of runID: RunID) async throws -> [TaskOutput] {
        try await rows(
            """
            SELECT task, agent, text, json, input_tokens, output_tokens, cached_input_tokens, cost_usd, duration_ms
            FROM task_outputs WHERE run_id = \(runID.rawValue) ORDER BY position
            """
        ) { row in
            let (task, agent, text, json, input, output, cached, cost, milliseconds) = try row.decode(
                (String, String, String, String?, Int, Int, Int, Double, Int).self)
            return TaskOutput(
                task: TaskID(task), agent: agent, text: text, json: Self.json(json),
                usage: TokenUsage(inputTokens: input, outputTokens: output, cachedInputTokens: cached),
                costUSD: cost, duration: .milliseconds(milliseconds))
        }
    }

    /// A run's events after `sequence`, in order.
    public func events(of runID: RunID, after sequence: Int) async throws -> [StoredEvent] {
        await eventBatch.flush()
        return try await rows(
            """
            SELECT sequence, timestamp, agent_path, kind, data FROM events
            WHERE run_id = \(runID.rawValue) AND sequence > \(sequence) ORDER BY sequence
            """
        ) { row in
            let (number, time, path, kind, data) = try row.decode((Int, Double, String, String, String).self)
            return StoredEvent(
                runID: runID, sequence: number, timestamp: Self.date(time), agentPath: path, kind: kind,
                data: Self.json(data) ?? .null)
        }
    }

    /// The number of the run's last stored event (0 when it has none).
    public func lastEventSequence(of run: RunID) async throws -> Int {
        await eventBatch.flush()
        return try await rows("SELECT COALESCE(MAX(sequence), 0)::bigint FROM events WHERE run_id = \(run.rawValue)") {
            try $0.decode(Int.self)
        }.first ?? 0
    }
}
