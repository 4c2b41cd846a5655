import AgentRuntime
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A client that goes away in the middle of a response: for tests of what a server does when its client hangs up
/// (a streamed response cut off by a closed connection, not by a cancelled task).
public enum LoopbackHangUp {
    /// Sends `request` (the whole HTTP/1.1 request text) to 127.0.0.1:`port`, reads until `marker` has arrived, the
    /// server closes, or `timeout` passes, then closes the connection. Returns what was read. The blocking socket
    /// work runs on a thread of its own, not on the caller's.
    public static func read(
        port: Int, request: String, until marker: String, timeout: Duration = .seconds(10)
    ) async -> String {
        await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: readBlocking(port: port, request: request, marker: marker, timeout))
            }.start()
        }
    }

    private static func readBlocking(port: Int, request: String, marker: String, _ timeout: Duration) -> String {
        guard let fd = LoopbackSocket.connect(port: port) else { return "" }
        defer { close(fd) }
        var wait = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        guard LoopbackSocket.sendAll(fd, Array(request.utf8)) else { return "" }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += chunk[..<count]
            if String(decoding: received, as: UTF8.self).contains(marker) { break }
        }
        return String(decoding: received, as: UTF8.self)
    }
}
