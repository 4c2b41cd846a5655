import AgentRuntime
import Foundation
import PostgresNIO

extension PostgresRunStore: RunJournal, RunDefinitionStore, ExchangeLog, RunClaims {
    /// The run's journaled steps in order.
    public func journal(of run: RunID) async throws -> [JournalEntry] {
        try await rows(
            "SELECT step, kind, key, data, attempt FROM journal WHERE run_id = \(run.rawValue) ORDER BY step"
        ) { row in
            let (step, kind, key, data, attempt) = try row.decode((Int, String, String, String, Int).self)
            return JournalEntry(
                runID: run, step: step, kind: JournalEntry.Kind(rawValue: kind) ?? .model, key: key,
                data: Self.json(data) ?? .null, attempt: attempt)
        }
    }

    /// Appends a step; returns once it is committed (a step already journaled is an error).
    public func appendJournal(_ entry: JournalEntry) async throws {
        try await execute(
            """
            INSERT INTO journal (run_id, step, kind, key, data, attempt, created_at)
            VALUES (\(entry.runID.rawValue), \(entry.step), \(entry.kind.rawValue), \(entry.key),
                \(entry.data.serialized()), \(entry.attempt), \(Self.seconds(Date())))
            """)
    }

    /// A definition's attempt errors as stored (a JSON array of strings).
    static func attemptErrors(_ definition: RunDefinition) -> String {
        JSONValue.array(definition.attemptErrors.map(JSONValue.string)).serialized()
    }

    /// Stores (or replaces) a run's definition.
    public func saveDefinition(_ definition: RunDefinition, of run: RunID) async throws {
        let text = String(decoding: try JSONEncoder().encode(definition), as: UTF8.self)
        try await execute(
            """
            INSERT INTO run_definitions (run_id, attempt, attempt_errors, definition)
            VALUES (\(run.rawValue), \(definition.attempt), \(Self.attemptErrors(definition)), \(text))
            ON CONFLICT (run_id) DO UPDATE SET attempt = EXCLUDED.attempt, attempt_errors = EXCLUDED.attempt_errors,
                definition = EXCLUDED.definition
            """)
    }

    /// Stores `definition` only while the stored one is at attempt `from`; true when it did.
    public func advanceDefinition(_ definition: RunDefinition, of run: RunID, from attempt: Int) async throws -> Bool {
        let text = String(decoding: try JSONEncoder().encode(definition), as: UTF8.self)
        return try await execute(
            """
            UPDATE run_definitions SET attempt = \(definition.attempt),
                attempt_errors = \(Self.attemptErrors(definition)), definition = \(text)
            WHERE run_id = \(run.rawValue) AND attempt = \(attempt) RETURNING 1
            """) == 1
    }

    /// A run's definition, if it has one.
    public func definition(of run: RunID) async throws -> RunDefinition? {
        guard
            let text = try await rows(
                "SELECT definition FROM run_definitions WHERE run_id = \(run.rawValue)",
                {
                    try $0.decode(String.self)
                }
            ).first
        else { return nil }
        return try JSONDecoder().decode(RunDefinition.self, from: Data(text.utf8))
    }

    /// Records one model exchange of a run, numbered in call order: one statement, tried again with the next number
    /// when a concurrent call of the same run took this one.
    public func appendExchange(_ runID: RunID, model: String, request: ChatRequest, response: ChatResponse) async throws
    {
        let fingerprint = request.fingerprint
        let body = response.json.serialized()
        for _ in 0..<20 {
            let written = try await execute(
                """
                INSERT INTO exchanges (run_id, sequence, model, request, response)
                SELECT \(runID.rawValue), COALESCE(MAX(sequence), 0) + 1, \(model), \(fingerprint), \(body)
                FROM exchanges WHERE run_id = \(runID.rawValue)
                ON CONFLICT (run_id, sequence) DO NOTHING RETURNING 1
                """)
            if written == 1 { return }
        }
        throw PostgresStoreError.database("exchange of run \(runID) not numbered after 20 tries")
    }

    /// A run's recorded model exchanges in call order.
    public func exchanges(of runID: RunID) async throws -> [ModelExchange] {
        try await rows(
            "SELECT sequence, model, request, response FROM exchanges WHERE run_id = \(runID.rawValue) ORDER BY sequence"
        ) { row in
            let (sequence, model, request, response) = try row.decode((Int, String, String, String).self)
            return ModelExchange(
                runID: runID, sequence: sequence, model: model, request: request,
                response: Self.json(response).flatMap(ChatResponse.init(json:))
                    ?? ChatResponse(text: nil, finishReason: .stop))
        }
    }

    /// Moves a run to `status` only while it is in one of `from`; true when it moved (one caller wins a race).
    /// Signals the record, and that the run is claimable when it moved to queued or interrupted.
    public func claim(_ run: RunID, from: [RunStatus], to status: RunStatus) async throws -> Bool {
        try await execute(
            """
            WITH moved AS (
                UPDATE runs SET status = \(status.rawValue), finished_at = NULL
                WHERE id = \(run.rawValue) AND status = ANY(\(from.map(\.rawValue))) RETURNING id)
            SELECT pg_notify('agentruntime', 's ' || id) \(unescaped: Self.queuedSignal(status)) FROM moved
            """) == 1
    }

    /// Sets a run's status only while it is `from` (so a late update cannot undo a final status); signals it.
    public func setStatus(_ run: RunID, _ status: RunStatus, from: RunStatus) async throws {
        try await execute(
            """
            WITH moved AS (
                UPDATE runs SET status = \(status.rawValue) WHERE id = \(run.rawValue) AND status = \(from.rawValue)
                RETURNING id)
            SELECT pg_notify('agentruntime', 's ' || id) FROM moved
            """)
    }
}
