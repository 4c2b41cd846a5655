import Foundation

/// The port a server bound, handed from its start callback to whoever waits for it.
public final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?

    /// Creates an empty box.
    public init() {}

    /// Records the bound port.
    public func set(_ value: Int) { lock.withLock { port = value } }

    /// The port, once set; throws after about ten seconds without one.
    public func wait() async throws -> Int {
        for _ in 0..<1000 {
            if let port = lock.withLock({ port }) { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CancellationError()
    }
}
