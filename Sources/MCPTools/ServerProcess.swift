import Foundation

/// An MCP server the operator runs over standard I/O, started for one tenant's session: its pipes wrapped in a
/// ``FileDescriptorTransport`` that stops the process when the session ends.
///
/// The program gets `PATH`, `HOME` and the variables its `env` setting names, never the runtime's own environment
/// (provider keys, store URLs), and its standard error is discarded. When it exits, its output ends, the session's
/// requests fail as a dropped connection and the next request starts it again.
final class ServerProcess: @unchecked Sendable {
    private let process: Process
    private let toServer: Pipe
    private let fromServer: Pipe
    private let lock = NSLock()
    private var stopped = false

    private init(process: Process, toServer: Pipe, fromServer: Pipe) {
        self.process = process
        self.toServer = toServer
        self.fromServer = fromServer
    }

    /// Starts `command` (a program, looked up on `PATH`, and its arguments) and returns the transport to it.
    static func start(
        _ command: [String], environment: [String: String], server: String
    ) throws -> FileDescriptorTransport {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let inherited = ProcessInfo.processInfo.environment
        var variables = ["PATH": inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", "HOME": inherited["HOME"] ?? "/"]
        variables.merge(environment) { $1 }
        process.environment = variables
        let toServer = Pipe()
        let fromServer = Pipe()
        process.standardInput = toServer
        process.standardOutput = fromServer
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw MCPTransportError.unreachable(
                "the program \(command.first ?? "") of MCP server \(server) did not start")
        }
        // The child has its own copies; ours of its ends would keep its output from ever ending.
        try? toServer.fileHandleForReading.close()
        try? fromServer.fileHandleForWriting.close()
        let running = ServerProcess(process: process, toServer: toServer, fromServer: fromServer)
        return FileDescriptorTransport(
            input: fromServer.fileHandleForReading.fileDescriptor,
            output: toServer.fileHandleForWriting.fileDescriptor, owner: running, onDisconnect: { running.stop() })
    }

    /// Closes the server's input (the MCP way to ask a stdio server to exit) and terminates it.
    func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        try? toServer.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
    }
}
