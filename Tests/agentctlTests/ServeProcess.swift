import AgentRuntimeTesting
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `agentctl serve` as a child process in `workspace`, its standard error in a log file there; ready once it logs
/// the port it listens on. Killed with SIGKILL when dropped.
class ServeProcess {
    let process = Process()
    let port: Int
    let log: URL

    /// Starts `agentctl serve --port 0 <arguments>` with `environment` over this process's own.
    init(workspace: URL, arguments: [String], environment: [String: String]) async throws {
        log = workspace.appendingPathComponent("serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = AgentCtl.binary
        process.currentDirectoryURL = workspace
        process.arguments = ["serve", "--port", "0"] + arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on http://127.0.0.1:"),
                let port = Int(text[range.upperBound...].prefix { $0.isNumber })
            {
                self.port = port
                return
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGKILL)
        throw TestPeerError("serve did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    /// The lines written to standard error so far.
    var lines: [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// SIGKILL, then waits (up to 10 s) for the process to be gone.
    func kill9() async {
        kill(process.processIdentifier, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// SIGTERM, then waits for the exit (SIGKILL after 30 s); returns whether it exited by itself.
    func terminate() async -> Bool {
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        guard process.isRunning else { return true }
        kill(process.processIdentifier, SIGKILL)
        return false
    }

    deinit { kill(process.processIdentifier, SIGKILL) }
}
