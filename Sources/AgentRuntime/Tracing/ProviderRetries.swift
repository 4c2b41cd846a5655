/// A failed provider call that is about to be tried again.
public struct ProviderRetry: Hashable, Sendable {
    /// The provider key (`openai`, `anthropic`, ...), when known.
    public var provider: String?
    /// The failure (`rate_limited`, `server`, ...).
    public var code: String
    /// The HTTP status, when the provider answered.
    public var status: Int?
    /// The retry's number: 1 for the first.
    public var attempt: Int
    /// How long the call waits before it is sent again.
    public var delay: Duration

    /// Creates a notice.
    public init(provider: String?, code: String, status: Int?, attempt: Int, delay: Duration) {
        self.provider = provider
        self.code = code
        self.status = status
        self.attempt = attempt
        self.delay = delay
    }
}

/// Who hears of provider retries: a task-local observer (the gateway logs them), and the current span (an event).
public enum ProviderRetries {
    /// Told of each retry made by the task it is bound for (and its child tasks).
    @TaskLocal public static var observer: (@Sendable (ProviderRetry) -> Void)?

    /// Tells the observer, if any.
    static func notify(_ failure: ProviderError, attempt: Int, delay: Duration) {
        observer?(
            ProviderRetry(
                provider: failure.provider, code: failure.code.rawValue, status: failure.status, attempt: attempt,
                delay: delay))
    }
}
