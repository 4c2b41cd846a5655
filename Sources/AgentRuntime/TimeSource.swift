import Foundation

/// Where code whose behaviour depends on time gets it: a clock to sleep and measure on, and the matching date.
///
/// Rate limits, run wall-time budgets, approval expiry and event timestamps read time from here, never from
/// `ContinuousClock.now` or `Date()` directly, so a test can pass a clock it moves by hand (swift-clocks'
/// `TestClock`) and check timing exactly, without sleeping. Production uses ``system``.
public struct TimeSource: Sendable {
    /// The clock sleeps and measurements use.
    public let clock: any Clock<Duration>
    private let date: @Sendable () -> Date
    private let start: @Sendable () -> Stopwatch

    /// The system's clocks: `ContinuousClock` for waiting and measuring, `Date()` for dates.
    public static let system = TimeSource(clock: ContinuousClock(), date: { Date() })

    /// Time that follows `clock`: dates start at `epoch` and move as the clock moves (tests).
    public init(_ clock: some Clock<Duration>, epoch: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        let stopwatch = Stopwatch(clock)
        self.init(clock: clock, date: { epoch.addingTimeInterval(stopwatch.elapsed.seconds) })
    }

    private init<C: Clock<Duration>>(clock: C, date: @escaping @Sendable () -> Date) {
        self.clock = clock
        self.date = date
        start = { Stopwatch(clock) }
    }

    /// The current date.
    public var now: Date { date() }

    /// Waits `duration` on the clock; throws `CancellationError` when the task is cancelled.
    public func sleep(for duration: Duration) async throws { try await clock.sleep(for: duration) }

    /// Waits until `stopwatch` reads at least `elapsed`; returns at once when it already does. A deadline counted from
    /// a start, not from when the wait began.
    public func sleep(until elapsed: Duration, on stopwatch: Stopwatch) async throws {
        while true {
            let remaining = elapsed - stopwatch.elapsed
            if remaining <= .zero { return }
            try await clock.sleep(for: remaining)
        }
    }

    /// A stopwatch started now.
    public func stopwatch() -> Stopwatch { start() }
}

/// Time elapsed on a clock since the stopwatch was made.
public struct Stopwatch: Sendable {
    private let read: @Sendable () -> Duration

    /// Starts a stopwatch on `clock`.
    public init<C: Clock<Duration>>(_ clock: C) {
        let start = clock.now
        read = { start.duration(to: clock.now) }
    }

    /// The time since the stopwatch started.
    public var elapsed: Duration { read() }
}
