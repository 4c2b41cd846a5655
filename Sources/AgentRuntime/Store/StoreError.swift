import Foundation

/// A store failure.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The failure kind: a stable, low-cardinality code.
    public enum Code: String, Hashable, Sendable {
        /// The database refused an operation (the message says why).
        case failed
        /// The store's schema is newer than this binary knows: upgrade the binary, never downgrade the store.
        case schemaTooNew = "schema_too_new"
        /// The store cannot be reached or did not answer in time (a database outage): retry later.
        case unavailable
    }

    /// The failure kind.
    public var code: Code = .failed
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(code: Code = .failed, message: String) {
        self.code = code
        self.message = message
    }

    /// The error every adapter throws for a store whose schema is at `version`, past the `latest` this binary knows.
    public static func schemaTooNew(store: String, version: Int, latest: Int) -> StoreError {
        StoreError(
            code: .schemaTooNew,
            message:
                "the store at \(store) has schema version \(version), newer than this agentctl knows (\(latest)); upgrade agentctl"
        )
    }

    /// The error every adapter throws when the store cannot be reached or did not answer in time.
    public static func unavailable(_ store: String, _ reason: String) -> StoreError {
        StoreError(code: .unavailable, message: "\(store) is unavailable: \(reason)")
    }

    /// The message.
    public var description: String { "run store: \(message)" }
}
