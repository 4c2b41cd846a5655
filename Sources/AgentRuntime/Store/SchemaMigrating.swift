import Foundation

/// A store whose schema is versioned and brought up to date by numbered migrations.
public protocol SchemaMigrating: Sendable {
    /// Applies the migrations the store lacks; returns the schema version before and after.
    /// Throws a clear error when the store's schema is newer than this binary knows.
    func migrate() async throws -> (from: Int, to: Int)
}
