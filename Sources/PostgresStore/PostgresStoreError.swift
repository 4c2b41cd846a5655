import Foundation

/// A failure of the PostgreSQL store, with a message fit for an operator.
public enum PostgresStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The store URL cannot be used (the reason says why).
    case invalidURL(String)
    /// The database answered with an error, or could not be reached.
    case database(String)

    /// The message.
    public var description: String {
        switch self {
        case .invalidURL(let reason): "invalid PostgreSQL store URL: \(reason)"
        case .database(let message): "run store: \(message)"
        }
    }
}
