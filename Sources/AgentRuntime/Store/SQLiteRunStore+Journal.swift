import CSQLite
import Foundation

extension SQLiteRunStore: RunJournal {
    /// The journal: part of schema version 1 (see `SQLiteRunStore+Migrations.swift`). Never edit it: a schema change
    /// is a new migration.
    static let journalSchema = """
        CREATE TABLE IF NOT EXISTS journal (
            run_id TEXT NOT NULL, step INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,
            attempt INTEGER NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (run_id, step));
        """

    /// The run's journaled steps in order.
    public func journal(of run: RunID) throws -> [JournalEntry] {
        try select(
            "SELECT step, kind, key, data, attempt FROM journal WHERE run_id = ? ORDER BY step", [.text(run.rawValue)]
        ) { statement in
            func text(_ column: Int32) -> String {
                sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""
            }
            return JournalEntry(
                runID: run, step: Int(sqlite3_column_int64(statement, 0)),
                kind: JournalEntry.Kind(rawValue: text(1)) ?? .model, key: text(2),
                data: (try? JSONParser.value(text(3))) ?? .null, attempt: Int(sqlite3_column_int64(statement, 4)))
        }
    }

    /// Appends a step; returns once it is committed. The data is serialised before the store is entered.
    public nonisolated func appendJournal(_ entry: JournalEntry) async throws {
        let row: [SQLValue] = [
            .text(entry.runID.rawValue), .integer(entry.step), .text(entry.kind.rawValue), .text(entry.key),
            .text(entry.data.serialized()),
            .integer(entry.attempt), .real(Date().timeIntervalSince1970),
        ]
        try await insertStep(row)
    }

    /// Commits one journal step at once, ahead of queued events (which do not delay a run's next step).
    private func insertStep(_ row: [SQLValue]) throws {
        try executeNow("INSERT INTO journal VALUES (?,?,?,?,?,?,?)", row)
    }
}

extension SQLiteRunStore: RunDefinitionStore, ExchangeLog, RunClaims {
    /// Run definitions: part of schema version 1 (see `SQLiteRunStore+Migrations.swift`). Never edit it: a schema
    /// change is a new migration.
    static let definitionSchema = """
        CREATE TABLE IF NOT EXISTS run_definitions (
            run_id TEXT PRIMARY KEY, attempt INTEGER NOT NULL, attempt_errors TEXT NOT NULL, definition TEXT NOT NULL);
        """

    /// Stores (or replaces) a run's definition (encoded before the store is entered).
    public nonisolated func saveDefinition(_ definition: RunDefinition, of run: RunID) async throws {
        try await insert(
            "INSERT OR REPLACE INTO run_definitions VALUES (?,?,?,?)", Self.definitionValues(definition, of: run))
    }

    /// A `run_definitions` row.
    static func definitionValues(_ definition: RunDefinition, of run: RunID) throws -> [SQLValue] {
        let data = try JSONEncoder().encode(definition)
        return [
            .text(run.rawValue), .integer(definition.attempt),
            .text(JSONValue.array(definition.attemptErrors.map(JSONValue.string)).serialized()),
            .text(String(decoding: data, as: UTF8.self)),
        ]
    }

    /// Stores `definition` only while the stored one is at attempt `from`.
    public func advanceDefinition(_ definition: RunDefinition, of run: RunID, from attempt: Int) throws -> Bool {
        let data = try JSONEncoder().encode(definition)
        try execute(
            "UPDATE run_definitions SET attempt = ?, attempt_errors = ?, definition = ? WHERE run_id = ? AND attempt = ?",
            [
                .integer(definition.attempt),
                .text(JSONValue.array(definition.attemptErrors.map(JSONValue.string)).serialized()),
                .text(String(decoding: data, as: UTF8.self)), .text(run.rawValue), .integer(attempt),
            ])
        return changes() == 1
    }

    /// A run's definition, if it has one.
    public func definition(of run: RunID) throws -> RunDefinition? {
        let texts = try select("SELECT definition FROM run_definitions WHERE run_id = ?", [.text(run.rawValue)]) {
            statement in
            sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? ""
        }
        guard let text = texts.first else { return nil }
        return try JSONDecoder().decode(RunDefinition.self, from: Data(text.utf8))
    }
}
