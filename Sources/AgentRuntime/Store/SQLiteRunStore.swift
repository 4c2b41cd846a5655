import CSQLite
import Foundation

/// ``RunStore`` in SQLite (WAL mode, prepared statements), the default store.
public actor SQLiteRunStore: RunStore {
    private let connection: Connection
    var database: OpaquePointer? { connection.handle }
    /// Events and exchanges waiting for the next batch commit.
    private nonisolated let pending = PendingWrites()
    /// The database file.
    public nonisolated let path: String
    /// Where this store's writes are announced (one process: the SQLite store is not shared by replicas).
    nonisolated let hub = RunSignalHub()

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Opens (creating when needed) the database at `path`, creating its folder, and brings its schema up to date
    /// (see ``migrate()``). Throws ``StoreError/Code/schemaTooNew`` when the schema is newer than this binary knows.
    /// With `migrating` false the schema is left as it is (for `agentctl store migrate` and `store version`).
    public init(path: String, migrating: Bool = true) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw StoreError(message: "cannot open run store \(path): \(message)")
        }
        connection = Connection(handle)
        sqlite3_busy_timeout(handle, 5000)
        try Self.execute(handle, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        if migrating { try Self.migrate(handle, path: path) }
    }

    /// Owns the handle and its prepared statements; closes them when the store goes away.
    private final class Connection {
        let handle: OpaquePointer
        var statements: [String: OpaquePointer] = [:]
        init(_ handle: OpaquePointer) { self.handle = handle }
        deinit {
            for statement in statements.values { sqlite3_finalize(statement) }
            sqlite3_close_v2(handle)
        }
    }

    static func execute(_ database: OpaquePointer, _ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(database, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(error)
            throw StoreError(message: message)
        }
    }

    /// A value bound to a statement parameter.
    enum SQLValue: Sendable {
        case text(String?)
        case integer(Int)
        case real(Double?)
    }

    private func statement(_ sql: String) throws -> OpaquePointer {
        if let cached = connection.statements[sql] {
            sqlite3_reset(cached)
            sqlite3_clear_bindings(cached)
            return cached
        }
        var prepared: OpaquePointer?
        guard sqlite3_prepare_v2(database, sql, -1, &prepared, nil) == SQLITE_OK, let prepared else {
            throw StoreError(message: String(cString: sqlite3_errmsg(database)))
        }
        connection.statements[sql] = prepared
        return prepared
    }

    private func bind(_ statement: OpaquePointer, _ values: [SQLValue]) {
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .text(let text?): sqlite3_bind_text(statement, position, text, -1, Self.transient)
            case .integer(let number): sqlite3_bind_int64(statement, position, Int64(number))
            case .real(let number?): sqlite3_bind_double(statement, position, number)
            case .text(nil), .real(nil): sqlite3_bind_null(statement, position)
            }
        }
    }

    func execute(_ sql: String, _ values: [SQLValue]) throws {
        commitPendingOutsideTransactions()
        try executeNow(sql, values)
    }

    /// Runs a statement without committing queued rows first.
    func executeNow(_ sql: String, _ values: [SQLValue]) throws {
        let statement = try statement(sql)
        bind(statement, values)
        guard sqlite3_step(statement) == SQLITE_DONE else {
            throw StoreError(message: String(cString: sqlite3_errmsg(database)))
        }
    }

    func select<T>(_ sql: String, _ values: [SQLValue], row: (OpaquePointer) -> T) throws -> [T] {
        commitPendingOutsideTransactions()
        let statement = try statement(sql)
        bind(statement, values)
        var rows: [T] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw StoreError(message: String(cString: sqlite3_errmsg(database))) }
            rows.append(row(statement))
        }
        return rows
    }

    /// Reads and writes see every queued row first (inside a transaction, the batch is already being written).
    private func commitPendingOutsideTransactions() {
        if let database, sqlite3_get_autocommit(database) != 0, pending.hasRows { flushPending() }
    }

    private static func text(_ statement: OpaquePointer, _ column: Int32) -> String? {
        sqlite3_column_text(statement, column).map { String(cString: $0) }
    }

    private static func json(_ text: String?) -> JSONValue? { text.flatMap { try? JSONParser.value($0) } }

    static func recordValues(_ run: RunRecord) -> [SQLValue] {
        [
            .text(run.id.rawValue), .text(run.tenant.rawValue), .text(run.user), .text(run.crew),
            .text(run.status.rawValue),
            .text(run.inputs.serialized()), .text(run.output), .text(run.outputJSON?.serialized()),
            .text(run.errorCode),
            .text(run.errorMessage), .integer(run.usage.inputTokens), .integer(run.usage.outputTokens),
            .integer(run.usage.cachedInputTokens), .real(run.costUSD), .real(run.createdAt.timeIntervalSince1970),
            .real(run.finishedAt?.timeIntervalSince1970),
        ]
    }

    /// The columns ``recordValues(_:)`` fills, in order (the lease columns are the queue's).
    static let recordColumns =
        "id, tenant, user, crew, status, inputs, output, output_json, error_code, error_message, input_tokens, output_tokens, cached_input_tokens, cost_usd, created_at, finished_at"
    /// Sets every record column from `recordValues` after the id (for an update).
    static let recordAssignments =
        "tenant = ?2, user = ?3, crew = ?4, status = ?5, inputs = ?6, output = ?7, output_json = ?8, error_code = ?9, error_message = ?10, input_tokens = ?11, output_tokens = ?12, cached_input_tokens = ?13, cost_usd = ?14, created_at = ?15, finished_at = ?16"

    /// Stores a new run.
    public func insert(_ run: RunRecord) throws {
        try self.execute(
            "INSERT INTO runs (\(Self.recordColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", Self.recordValues(run))
        hub.publish(.status(run.id))
    }

    /// Replaces a run's record (its lease stays as it is).
    public func update(_ run: RunRecord) throws {
        try self.execute(
            "INSERT INTO runs (\(Self.recordColumns)) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16) ON CONFLICT (id) DO UPDATE SET \(Self.recordAssignments)",
            Self.recordValues(run))
        hub.publish(.status(run.id))
    }

    /// Appends an event. The payload is serialised by the caller and the row committed with the next batch:
    /// a run does not wait for the store, and many runs' events share one transaction. Pending rows are committed
    /// before any other read or write of the store, so a run's events are stored before its final status.
    public nonisolated func append(_ event: RunEvent) async throws {
        enqueue(
            .event([
                .text(event.runID.rawValue), .integer(event.sequence), .real(event.timestamp.timeIntervalSince1970),
                .text(event.agentPathText), .text(event.kindName), .text(event.payload.serialized()),
            ]))
        // Readers commit queued rows before they read, so the event is there for whoever the signal wakes.
        hub.publish(.event(event.runID, sequence: event.sequence))
    }

    /// Runs one prepared statement now (pending rows first).
    func insert(_ sql: String, _ values: [SQLValue]) throws {
        try execute(sql, values)
    }

    /// Queues a row; the first row of a batch schedules the commit.
    nonisolated func enqueue(_ write: PendingWrites.Write) {
        if pending.add(write) { Task { await self.flushPending(all: false) } }
    }

    /// Commits the queued rows in one transaction (a row that fails is skipped, not the batch).
    func flushPending(all: Bool = true) {
        repeat {
            let rows = pending.take(limit: all ? Int.max : 64)
            if !rows.isEmpty { commit(rows) }
        } while all && pending.hasRows
        // In the background, rows go in slices and the store is given back between them, so a journal step (written
        // at once, ahead of queued rows) waits for one slice at most.
        if !all, pending.hasRows { Task { self.flushPending(all: false) } }
    }

    private func commit(_ writes: [PendingWrites.Write]) {
        guard let database else { return }
        func write(_ item: PendingWrites.Write) throws {
            switch item {
            case .event(let row): try execute("INSERT OR REPLACE INTO events VALUES (?,?,?,?,?,?)", row)
            case .exchange(let runID, let model, let fingerprint, let response):
                try insertExchange(runID, model: model, fingerprint: fingerprint, response: response)
            case .spend(let row): try execute(Self.addSpendSQL, row)
            case .usage(let row): try execute(Self.appendUsageSQL, row)
            }
        }
        func later() {
            // No transaction to be had now (the file is busy): the rows wait, and are tried again shortly.
            pending.putBack(writes)
            Task {
                try? await Task.sleep(for: .milliseconds(100))
                self.flushPending()
            }
        }
        guard (try? Self.execute(database, "BEGIN")) != nil else { return later() }
        for item in writes { try? write(item) }
        if (try? Self.execute(database, "COMMIT")) == nil {
            try? Self.execute(database, "ROLLBACK")
            later()
        }
    }

    /// Stores task outputs (replacing earlier ones of the run).
    public func saveTasks(_ tasks: [TaskOutput], of runID: RunID) throws {
        try Self.execute(database!, "BEGIN")
        do {
            try execute("DELETE FROM task_outputs WHERE run_id = ?", [.text(runID.rawValue)])
            for (position, task) in tasks.enumerated() {
                try execute(
                    "INSERT INTO task_outputs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        .text(runID.rawValue), .integer(position), .text(task.task.rawValue), .text(task.agent),
                        .text(task.text),
                        .text(task.json?.serialized()), .integer(task.usage.inputTokens),
                        .integer(task.usage.outputTokens),
                        .integer(task.usage.cachedInputTokens), .real(task.costUSD),
                        .integer(Int(task.duration.seconds * 1000)),
                    ])
            }
            try Self.execute(database!, "COMMIT")
        } catch {
            try? Self.execute(database!, "ROLLBACK")
            throw error
        }
    }

    private static let runColumns =
        "id, tenant, user, crew, status, inputs, output, output_json, error_code, error_message, input_tokens, output_tokens, cached_input_tokens, cost_usd, created_at, finished_at, COALESCE(d.attempt, 1), d.attempt_errors"
    /// Runs with their attempts (kept with their definitions).
    private static let runsTable = "runs LEFT JOIN run_definitions d ON d.run_id = runs.id"

    private static func record(_ statement: OpaquePointer) -> RunRecord {
        RunRecord(
            id: RunID(text(statement, 0) ?? ""), tenant: TenantID(text(statement, 1) ?? ""),
            user: text(statement, 2) ?? "",
            crew: text(statement, 3) ?? "", status: RunStatus(rawValue: text(statement, 4) ?? "") ?? .failed,
            inputs: json(text(statement, 5)) ?? [:], output: text(statement, 6), outputJSON: json(text(statement, 7)),
            errorCode: text(statement, 8), errorMessage: text(statement, 9),
            usage: TokenUsage(
                inputTokens: Int(sqlite3_column_int64(statement, 10)),
                outputTokens: Int(sqlite3_column_int64(statement, 11)),
                cachedInputTokens: Int(sqlite3_column_int64(statement, 12))),
            costUSD: sqlite3_column_double(statement, 13),
            createdAt: Date(timeIntervalSince1970: sqlite3_column_double(statement, 14)),
            finishedAt: sqlite3_column_type(statement, 15) == SQLITE_NULL
                ? nil : Date(timeIntervalSince1970: sqlite3_column_double(statement, 15)),
            attempts: Int(sqlite3_column_int64(statement, 16)),
            attemptErrors: json(text(statement, 17))?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    /// The run, when it belongs to `tenant` (or any tenant when nil).
    public func run(_ id: RunID, tenant: TenantID?) throws -> RunRecord? {
        if let tenant {
            return try select(
                "SELECT \(Self.runColumns) FROM \(Self.runsTable) WHERE id = ? AND tenant = ?",
                [.text(id.rawValue), .text(tenant.rawValue)], row: Self.record
            ).first
        }
        return try select(
            "SELECT \(Self.runColumns) FROM \(Self.runsTable) WHERE id = ?", [.text(id.rawValue)], row: Self.record
        ).first
    }

    /// Runs newest first.
    public func runs(
        tenant: TenantID?, user: String?, status: RunStatus?, crew: String?, limit: Int, offset: Int
    ) throws -> [RunRecord] {
        let (filter, conditions) = Self.runFilter(tenant: tenant, user: user, status: status, crew: crew)
        let values = conditions + [.integer(limit), .integer(offset)]
        return try select(
            "SELECT \(Self.runColumns) FROM \(Self.runsTable) \(filter) ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            values, row: Self.record)
    }

    /// The `WHERE` clause (empty without conditions) and its values for a run filter; nil matches everything.
    private static func runFilter(
        tenant: TenantID?, user: String?, status: RunStatus?, crew: String?
    ) -> (String, [SQLValue]) {
        let conditions: [(String, SQLValue)] = [
            tenant.map { ("tenant = ?", .text($0.rawValue)) }, user.map { ("user = ?", .text($0)) },
            status.map { ("status = ?", .text($0.rawValue)) }, crew.map { ("crew = ?", .text($0)) },
        ].compactMap { $0 }
        guard !conditions.isEmpty else { return ("", []) }
        return ("WHERE " + conditions.map(\.0).joined(separator: " AND "), conditions.map(\.1))
    }

    /// The number of the run's last stored event (0 when it has none).
    public func lastEventSequence(of run: RunID) throws -> Int {
        try select("SELECT COALESCE(MAX(sequence), 0) FROM events WHERE run_id = ?", [.text(run.rawValue)]) {
            Int(sqlite3_column_int64($0, 0))
        }.first ?? 0
    }

    /// Counts runs matching a filter.
    public func count(tenant: TenantID?, user: String?, status: RunStatus?, crew: String?) throws -> Int {
        let (filter, values) = Self.runFilter(tenant: tenant, user: user, status: status, crew: crew)
        return try select("SELECT COUNT(*) FROM runs \(filter)", values) { Int(sqlite3_column_int64($0, 0)) }.first ?? 0
    }

    /// A run's task outputs in order.
    public func tasks(of runID: RunID) throws -> [TaskOutput] {
        try select(
            "SELECT task, agent, text, json, input_tokens, output_tokens, cached_input_tokens, cost_usd, duration_ms FROM task_outputs WHERE run_id = ? ORDER BY position",
            [.text(runID.rawValue)]
        ) { statement in
            TaskOutput(
                task: TaskID(Self.text(statement, 0) ?? ""), agent: Self.text(statement, 1) ?? "",
                text: Self.text(statement, 2) ?? "",
                json: Self.json(Self.text(statement, 3)),
                usage: TokenUsage(
                    inputTokens: Int(sqlite3_column_int64(statement, 4)),
                    outputTokens: Int(sqlite3_column_int64(statement, 5)),
                    cachedInputTokens: Int(sqlite3_column_int64(statement, 6))),
                costUSD: sqlite3_column_double(statement, 7),
                duration: .milliseconds(Int(sqlite3_column_int64(statement, 8))))
        }
    }

    /// A run's events after `sequence`.
    public func events(of runID: RunID, after sequence: Int) throws -> [StoredEvent] {
        try select(
            "SELECT sequence, timestamp, agent_path, kind, data FROM events WHERE run_id = ? AND sequence > ? ORDER BY sequence",
            [.text(runID.rawValue), .integer(sequence)]
        ) { statement in
            StoredEvent(
                runID: runID, sequence: Int(sqlite3_column_int64(statement, 0)),
                timestamp: Date(timeIntervalSince1970: sqlite3_column_double(statement, 1)),
                agentPath: Self.text(statement, 2) ?? "", kind: Self.text(statement, 3) ?? "",
                data: Self.json(Self.text(statement, 4)) ?? .null)
        }
    }

    /// Rows changed by the last statement.
    func changes() -> Int { Int(sqlite3_changes(database)) }

    /// Marks runs left `running` or `queued` (by a crash) as `interrupted`; returns how many.
    public func interruptUnfinished() throws -> Int {
        try execute(
            "UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status IN ('running', 'queued', 'awaiting_approval')",
            [.real(Date().timeIntervalSince1970)])
        return Int(sqlite3_changes(database))
    }
}

/// Rows queued for the store's next batch commit; any thread may add, the store takes them all.
final class PendingWrites: @unchecked Sendable {
    /// One queued row.
    enum Write: Sendable {
        /// An `events` row.
        case event([SQLiteRunStore.SQLValue])
        /// An `exchanges` row (numbered when written).
        case exchange(runID: RunID, model: String, fingerprint: String, response: String)
        /// A booking of spend: `tenant`, `day`, `costUSD` added to `tenant_spend`.
        case spend([SQLiteRunStore.SQLValue])
        /// A model call's usage: a `model_usage` row.
        case usage([SQLiteRunStore.SQLValue])
    }

    // Guarded by `lock`.
    private let lock = NSLock()
    private var writes: [Write] = []

    /// Queues `write`; true when it is the first of a new batch (the caller schedules the commit).
    func add(_ write: Write) -> Bool {
        lock.withLock {
            writes.append(write)
            return writes.count == 1
        }
    }

    /// Returns rows that could not be committed to the front of the queue (they go with the next batch).
    func putBack(_ rows: [Write]) {
        lock.withLock { writes = rows + writes }
    }

    /// Takes at most `limit` rows, the oldest.
    func take(limit: Int) -> [Write] {
        lock.withLock {
            let taken = Array(writes.prefix(limit))
            writes.removeFirst(taken.count)
            return taken
        }
    }

    /// Whether any row is queued.
    var hasRows: Bool { lock.withLock { !writes.isEmpty } }
}
