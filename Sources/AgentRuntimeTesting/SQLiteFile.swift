import CSQLite
import Foundation

/// Raw SQL on a database file, beside the store: for tests that build a database as another binary left it (an
/// older or a newer schema) and read what the store wrote.
public enum SQLiteFile {
    /// A failed statement.
    public struct Failure: Error, CustomStringConvertible {
        /// SQLite's message.
        public var description: String
    }

    /// Runs `sql` (one or more statements) on the database at `path`, creating the file when needed.
    public static func execute(_ sql: String, at path: String) throws {
        var handle: OpaquePointer?
        defer { sqlite3_close_v2(handle) }
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK else {
            throw Failure(description: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)")
        }
        sqlite3_busy_timeout(handle, 5000)
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            defer { sqlite3_free(error) }
            throw Failure(description: error.map { String(cString: $0) } ?? "unknown error")
        }
    }

    /// The first column of every row `sql` returns, as text (NULL as nil).
    public static func column(_ sql: String, at path: String) throws -> [String?] {
        var handle: OpaquePointer?
        defer { sqlite3_close_v2(handle) }
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            throw Failure(description: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)")
        }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw Failure(description: String(cString: sqlite3_errmsg(handle)))
        }
        defer { sqlite3_finalize(statement) }
        var values: [String?] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return values }
            guard step == SQLITE_ROW else { throw Failure(description: String(cString: sqlite3_errmsg(handle))) }
            values.append(sqlite3_column_text(statement, 0).map { String(cString: $0) })
        }
    }
}
