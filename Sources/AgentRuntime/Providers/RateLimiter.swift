/// Requests and tokens per minute.
public struct RateLimit: Hashable, Sendable {
    /// Requests per minute; nil is unlimited.
    public var requestsPerMinute: Int?
    /// Tokens (input + output) per minute; nil is unlimited.
    public var tokensPerMinute: Int?

    /// Creates a limit.
    public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }
}

/// The port to rate limits: token buckets keyed by scope (`provider:openai:requests`, `tenant:acme`), each of
/// capacity `perMinute`, refilled continuously. In memory for one process (``RateLimiter``), or shared by every
/// replica on a database.
public protocol RateLimiting: Sendable {
    /// Where callers wait out a reservation.
    var time: TimeSource { get }
    /// Takes `amount` from the bucket `key` (capacity `perMinute`); returns the wait before the caller may proceed.
    func reserve(_ key: String, amount: Double, perMinute: Int) async throws -> Duration
    /// Corrects an earlier reservation once the real amount is known (positive takes more, negative gives back).
    func adjust(_ key: String, by amount: Double) async throws
}

/// Token buckets keyed by scope (`provider:openai`, `tenant:acme`), refilled continuously.
///
/// A reservation returns how long the caller must wait; the caller sleeps
/// outside the actor, so a waiting tenant never blocks another tenant and no
/// lock is held while waiting. Buckets may go into debt, which queues callers
/// fairly in arrival order.
public actor RateLimiter: RateLimiting {
    private struct Bucket {
        var level: Double
        var capacity: Double
        var perSecond: Double
        var updated: Duration

        mutating func refill(now: Duration) {
            level = min(capacity, level + (now - updated).seconds * perSecond)
            updated = now
        }
    }

    private var buckets: [String: Bucket] = [:]
    /// Where waits happen and refills are measured.
    public nonisolated let time: TimeSource
    private let clock: Stopwatch

    /// Creates an empty limiter on `time`'s clock.
    public init(time: TimeSource = .system) {
        self.time = time
        clock = time.stopwatch()
    }

    /// Takes `amount` from the bucket `key` (capacity `perMinute`); returns the wait before the caller may proceed.
    public func reserve(_ key: String, amount: Double, perMinute: Int) -> Duration {
        let now = clock.elapsed
        let capacity = Double(max(1, perMinute))
        var bucket = buckets[key] ?? Bucket(level: capacity, capacity: capacity, perSecond: capacity / 60, updated: now)
        if bucket.capacity != capacity {
            bucket.capacity = capacity
            bucket.perSecond = capacity / 60
        }
        bucket.refill(now: now)
        bucket.level -= amount
        buckets[key] = bucket
        guard bucket.level < 0 else { return .zero }
        return .milliseconds(Int((-bucket.level / bucket.perSecond * 1000).rounded(.up)))
    }

    /// Corrects an earlier token reservation once the real amount is known (positive takes more, negative gives back).
    public func adjust(_ key: String, by amount: Double) {
        guard var bucket = buckets[key] else { return }
        bucket.refill(now: clock.elapsed)
        bucket.level = min(bucket.capacity, bucket.level - amount)
        buckets[key] = bucket
    }
}

/// A ``ChatModel`` that waits for its rate limits before each call.
public struct RateLimitedChatModel: ChatModel {
    /// One limit and the bucket key it applies to.
    public struct Scope: Sendable, Hashable {
        /// `provider:<name>` or `tenant:<id>`.
        public var key: String
        /// The limit.
        public var limit: RateLimit

        /// Creates a scope.
        public init(key: String, limit: RateLimit) {
            self.key = key
            self.limit = limit
        }
    }

    /// The limited model.
    public let base: any ChatModel
    /// The shared limiter.
    public let limiter: any RateLimiting
    /// The limits to respect, e.g. the provider's and the tenant's.
    public let scopes: [Scope]

    /// Creates a limited model.
    public init(base: any ChatModel, limiter: any RateLimiting, scopes: [Scope]) {
        self.base = base
        self.limiter = limiter
        self.scopes = scopes
    }

    /// Tokens a request will use, estimated before the call (4 characters a token, plus the output bound).
    public static func estimatedTokens(_ request: ChatRequest) -> Int {
        request.messageCharacters / 4 + (request.maxTokens ?? 0)
    }

    private func acquire(_ request: ChatRequest) async throws -> Int {
        let estimate = Self.estimatedTokens(request)
        var wait = Duration.zero
        for scope in scopes {
            if let rpm = scope.limit.requestsPerMinute {
                wait = max(wait, try await reserve("\(scope.key):requests", amount: 1, perMinute: rpm))
            }
            if let tpm = scope.limit.tokensPerMinute {
                wait = max(wait, try await reserve("\(scope.key):tokens", amount: Double(estimate), perMinute: tpm))
            }
        }
        if wait > .zero {
            if let deadline = request.deadline, ContinuousClock.now.advanced(by: wait) > deadline {
                throw ProviderError(
                    code: .rateLimited,
                    message: "the rate limit would delay the call past its deadline (wait \(wait.formattedSeconds))",
                    provider: nil, isRetryable: false, retryAfter: wait)
            }
            do { try await limiter.time.sleep(for: wait) } catch {
                throw ProviderError(code: .cancelled, message: "the call was cancelled", provider: nil)
            }
        }
        return estimate
    }

    /// A reservation; a limiter that cannot be reached (a shared one during a database outage) fails the call as
    /// retryable rather than letting it past the limit.
    private func reserve(_ key: String, amount: Double, perMinute: Int) async throws -> Duration {
        do { return try await limiter.reserve(key, amount: amount, perMinute: perMinute) } catch {
            throw ProviderError(
                code: .connection, message: "the rate limit could not be checked: \(error)", provider: nil,
                isRetryable: true)
        }
    }

    private func settle(estimate: Int, usage: TokenUsage) async {
        for scope in scopes where scope.limit.tokensPerMinute != nil {
            try? await limiter.adjust("\(scope.key):tokens", by: Double(usage.totalTokens - estimate))
        }
    }

    /// Waits for the limits, then calls.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let estimate = try await acquire(request)
        let response = try await base.complete(request)
        await settle(estimate: estimate, usage: response.usage)
        return response
    }

    /// Waits for the limits, then streams.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatDelta, any Error> {
        .producing { continuation in
            let estimate = try await acquire(request)
            for try await delta in base.stream(request) {
                if case .completed(let response) = delta { await settle(estimate: estimate, usage: response.usage) }
                continuation.yield(delta)
            }
        }
    }
}
