import Foundation

/// How failed calls are retried: exponential backoff with full jitter,
/// honouring the provider's own retry hints, never past the call's deadline.
public struct RetryPolicy: Hashable, Sendable {
    /// Retries after the first attempt (0 disables retrying).
    public var maxRetries: Int
    /// The backoff ceiling of the first retry.
    public var initialDelay: Duration
    /// The largest backoff ceiling.
    public var maxDelay: Duration
    /// The longest provider-requested wait that will be honoured; longer waits give up.
    public var maxRetryAfter: Duration

    /// Creates a policy.
    public init(
        maxRetries: Int = 3, initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(20),
        maxRetryAfter: Duration = .seconds(60)
    ) {
        self.maxRetries = maxRetries
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// No retries.
    public static let none = RetryPolicy(maxRetries: 0)

    /// The wait before retry number `attempt` (0-based) after `error`, or nil to give up.
    public func delay(
        beforeRetry attempt: Int, after error: ProviderError, deadline: ContinuousClock.Instant?,
        random: (Double) -> Double = { Double.random(in: 0...$0) }
    ) -> Duration? {
        guard error.isRetryable, attempt < maxRetries else { return nil }
        let wait: Duration
        if let hint = error.retryAfter {
            guard hint <= maxRetryAfter else { return nil }
            wait = hint
        } else {
            let ceiling = min(maxDelay.seconds, initialDelay.seconds * pow(2, Double(attempt)))
            wait = .milliseconds(Int((random(ceiling) * 1000).rounded()))
        }
        if let deadline, ContinuousClock.now.advanced(by: wait) >= deadline { return nil }
        return wait
    }
}

/// Reads the providers' "wait this long" signals.
public enum RetryAfter {
    /// `retry-after-ms`, then `retry-after` as seconds or an HTTP date.
    public static func parse(_ headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        if let text = headers["retry-after-ms"], let milliseconds = Double(text.trimmed), milliseconds >= 0 {
            return .milliseconds(Int(bounding: milliseconds.rounded()))
        }
        guard let text = headers["retry-after"]?.trimmed else { return nil }
        if let seconds = Double(text), seconds >= 0 { return .milliseconds(Int(bounding: (seconds * 1000).rounded())) }
        if let date = httpDate(text) {
            return .milliseconds(max(0, Int(bounding: (date.timeIntervalSince(now) * 1000).rounded())))
        }
        return nil
    }

    /// A protobuf `Duration` string such as `37s` or `1.5s` (Gemini's `RetryInfo.retryDelay`).
    public static func parseProtobufDuration(_ text: String) -> Duration? {
        guard text.hasSuffix("s"), let seconds = Double(text.dropLast()), seconds >= 0 else { return nil }
        return .milliseconds(Int(bounding: (seconds * 1000).rounded()))
    }

    /// IMF-fixdate, e.g. `Wed, 21 Oct 2026 07:28:00 GMT`.
    public static func httpDate(_ text: String) -> Date? {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]),
            let month = months.firstIndex(of: String(parts[2])), let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month + 1
        components.day = day
        components.hour = time[0]
        components.minute = time[1]
        components.second = time[2]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT")!
        return calendar.date(from: components)
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
