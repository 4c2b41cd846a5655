import Clocks

extension TestClock where Duration == Swift.Duration {
    /// Returns once something sleeps on this clock, so a test can advance the clock knowing the sleeper will see it.
    /// Gives up after 30 s of real time (a loaded machine can be slow to schedule the sleeper).
    public func waitForSleeper() async {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            do { try await checkSuspension() } catch { return }
            try? await Task.sleep(for: .milliseconds(1))
        }
    }
}
