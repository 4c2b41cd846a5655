import AgentRuntimeTesting
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The Python MCP SDK's FastMCP server (`Resources/peer_server.py`) as a process on a free loopback port: a peer
/// this project did not write. Killed with SIGKILL (children started from Swift concurrency ignore SIGTERM).
final class MCPPeerServer: Sendable {
    /// `http://127.0.0.1:<port>/mcp`.
    let url: URL
    /// The port.
    let port: Int
    /// Where `delete_order` appends the ids it deleted.
    let log: URL
    private let processes = ProcessList()

    /// Starts the server (`json`: answers as JSON instead of SSE streams) and waits until it accepts connections.
    init(json: Bool = false, directory: TemporaryDirectory) async throws {
        port = Self.freePort()
        url = URL(string: "http://127.0.0.1:\(port)/mcp")!
        log = directory.url.appendingPathComponent("deleted.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: Data())
        try await start(json: json)
    }

    /// Starts the server again on the same port (a restart: every session it had is gone).
    func start(json: Bool = false) async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Resources/peer_server.py")
        let process = Process()
        process.executableURL = try await PythonMCPEnvironment.python()
        process.arguments = [script.path, String(port)] + (json ? ["json"] : [])
        var environment = ProcessInfo.processInfo.environment
        environment["PEER_LOG"] = log.path
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        processes.add(process.processIdentifier)
        let deadline = ContinuousClock.now + .seconds(30)
        while !Self.accepts(port) {
            guard ContinuousClock.now < deadline, process.isRunning else {
                stop()
                throw TestPeerError("the Python MCP server did not start on port \(port)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Kills the server.
    func stop() {
        for pid in processes.takeAll() {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// The order ids `delete_order` deleted.
    var deleted: [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    deinit { stop() }

    private static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The server processes started, for killing.
private final class ProcessList: Sendable {
    private let pids = Mutex<[Int32]>([])
    func add(_ pid: Int32) { pids.withLock { $0.append(pid) } }
    func takeAll() -> [Int32] {
        pids.withLock { pids in
            defer { pids = [] }
            return pids
        }
    }
}
