import AgentRuntime
import Foundation

/// OAuth 2 access tokens per tenant and connector, in memory, with one refresh at a time for each.
///
/// A token is used while it has more than ``refreshMargin`` left (or while its expiry is unknown); then, or when the
/// service refused it, the next caller obtains a new one and every caller arriving meanwhile waits for that same
/// refresh instead of starting its own. A failed refresh forgets the token, so the next call starts afresh from the
/// secret store (where an administrator may have stored a new refresh token).
public actor OAuthTokenCache {
    /// An access token and what is known of it.
    public struct Token: Hashable, Sendable {
        /// The access token.
        public var accessToken: String
        /// When it expires; nil when unknown (it is then used until the service refuses it).
        public var expiresAt: Date?
        /// The refresh token to use next: the one the provider rotated to, or the one the token was obtained with;
        /// nil when the secret store's is current.
        public var refreshToken: String?

        /// Creates a token.
        public init(accessToken: String, expiresAt: Date?, refreshToken: String? = nil) {
            self.accessToken = accessToken
            self.expiresAt = expiresAt
            self.refreshToken = refreshToken
        }
    }

    /// Whose token.
    struct Key: Hashable {
        var tenant: TenantID
        var connector: String
    }

    /// How long before its expiry a token is replaced.
    public let refreshMargin: Duration
    private var tokens: [Key: Token] = [:]
    private var obtaining: [Key: Task<Token, any Error>] = [:]

    /// Creates an empty cache; tokens are replaced `refreshMargin` before they expire.
    public init(refreshMargin: Duration = .seconds(300)) {
        self.refreshMargin = refreshMargin
    }

    /// A usable token for `key`: the cached one while it is fresh at `now` and is not `rejected` (a token the service
    /// refused); else the one `obtain` brings (given the cached token, if any), shared by every caller meanwhile.
    func token(
        for key: Key, now: Date, rejected: String? = nil,
        obtain: @escaping @Sendable (_ previous: Token?) async throws -> Token
    ) async throws -> Token {
        if let task = obtaining[key] { return try await task.value }
        let previous = tokens[key]
        if let previous, previous.accessToken != rejected, isFresh(previous, at: now) { return previous }
        let task = Task { try await obtain(previous) }
        obtaining[key] = task
        defer { obtaining[key] = nil }
        do {
            let token = try await task.value
            tokens[key] = token
            return token
        } catch {
            tokens[key] = nil
            throw error
        }
    }

    /// Whether `token` has more than the margin left at `now` (or an unknown expiry).
    func isFresh(_ token: Token, at now: Date) -> Bool {
        guard let expiry = token.expiresAt else { return true }
        return expiry.timeIntervalSince(now) > refreshMargin.seconds
    }
}
