import Foundation
import PostgresStore

/// Where the run store lives, as given by `--store` or `AGENTRUNTIME_STORE`: a SQLite file (a plain path or
/// `sqlite:PATH`) or a PostgreSQL database (`postgres://user@host:port/database?pool=N&password=REF`).
enum StoreLocation: Equatable {
    /// A SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL database.
    case postgres(PostgresStoreURL)

    /// The forms `--store` accepts, for error messages.
    static let acceptedForms =
        "a file path or sqlite:PATH (SQLite), or postgres://user@host:port/database (PostgreSQL)"

    /// Parses a store location; throws a message naming the accepted forms (never repeating a password).
    init(parsing text: String) throws(StoreLocationError) {
        if PostgresStoreURL.matches(text) {
            do { self = .postgres(try PostgresStoreURL(parsing: text)) } catch {
                throw StoreLocationError(message: "\(error)")
            }
            return
        }
        if text.hasPrefix("sqlite:") {
            var path = text.dropFirst("sqlite:".count)
            if path.hasPrefix("//") { path = path.dropFirst(2) }
            guard !path.isEmpty else { throw StoreLocationError(message: "sqlite: needs a path (sqlite:PATH)") }
            self = .sqlite(path: String(path))
            return
        }
        if let scheme = Self.scheme(of: text) {
            throw StoreLocationError(
                message: "unsupported store \"\(scheme):\" (the run store is \(Self.acceptedForms))")
        }
        self = .sqlite(path: text)
    }

    /// The scheme of a URL-shaped location (`mysql` of `mysql://…`), if it is one.
    private static func scheme(of text: String) -> String? {
        guard let range = text.range(of: "://") else { return nil }
        let scheme = text[..<range.lowerBound]
        guard let first = scheme.first, first.isLetter,
            scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) })
        else { return nil }
        return String(scheme)
    }
}

/// Why a store location cannot be used.
struct StoreLocationError: Error, CustomStringConvertible {
    /// What is wrong.
    var message: String
    /// The message.
    var description: String { message }
}
