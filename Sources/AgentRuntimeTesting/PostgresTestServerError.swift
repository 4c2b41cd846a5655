import Foundation

/// Why the test cluster could not be used.
public struct PostgresTestServerError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    init(_ description: String) { self.description = description }
}
