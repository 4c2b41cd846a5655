import Foundation
import PostgresNIO

/// A parsed `postgres://user@host:port/database?pool=N&sslmode=M&password=REF` store URL.
///
/// The password is never part of the URL: `password=` names a credential reference (`env:NAME` or
/// `secret:path`) that the composition root resolves through the secret store.
public struct PostgresStoreURL: Hashable, Sendable {
    /// The server's host.
    public var host: String
    /// The server's port (default 5432).
    public var port: Int
    /// The role to connect as.
    public var user: String
    /// The database.
    public var database: String
    /// Connections in the pool (`?pool=N`, default 10).
    public var poolSize: Int
    /// `disable`, `prefer` (default) or `require`.
    public var sslMode: String
    /// Where the password comes from (`env:NAME` or `secret:path`), if the server wants one.
    public var passwordReference: String?

    /// Whether `text` is a PostgreSQL URL (`postgres://` or `postgresql://`).
    public static func matches(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `text`; throws ``PostgresStoreError/invalidURL(_:)`` saying what is wrong (never repeating a password).
    public init(parsing text: String) throws {
        guard Self.matches(text), let components = URLComponents(string: text) else {
            throw PostgresStoreError.invalidURL("expected postgres://user@host:port/database")
        }
        if components.password != nil {
            throw PostgresStoreError.invalidURL(
                "the URL contains a password; give it as a secret reference instead: ?password=secret:PATH or ?password=env:NAME"
            )
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresStoreError.invalidURL("no host (expected postgres://user@host:port/database)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw PostgresStoreError.invalidURL("no user (expected postgres://user@host:port/database)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresStoreError.invalidURL("no database (expected postgres://user@host:port/database)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user
        self.database = database
        self.poolSize = 10
        self.sslMode = "prefer"
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "pool":
                guard let size = Int(value), size > 0 else {
                    throw PostgresStoreError.invalidURL("pool must be a positive number, found \"\(value)\"")
                }
                poolSize = size
            case "sslmode":
                guard ["disable", "prefer", "require"].contains(value) else {
                    throw PostgresStoreError.invalidURL("sslmode must be disable, prefer or require")
                }
                sslMode = value
            case "password":
                guard value.hasPrefix("env:") || value.hasPrefix("secret:") else {
                    throw PostgresStoreError.invalidURL(
                        "password must be a secret reference (secret:PATH or env:NAME), never the password itself")
                }
                passwordReference = value
            default:
                throw PostgresStoreError.invalidURL(
                    "unknown parameter \"\(item.name)\" (known: pool, sslmode, password)")
            }
        }
    }

    /// The client configuration, with the password resolved by the caller.
    public func configuration(password: String?) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch sslMode {
            case "disable": .disable
            case "require": .require(.makeClientConfiguration())
            default: .prefer(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = poolSize
        return configuration
    }

    /// The URL as given, without any secret (there is none in it).
    public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}
