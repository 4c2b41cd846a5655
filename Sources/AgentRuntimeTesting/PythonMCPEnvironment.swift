import AgentRuntime
import Foundation

/// A Python virtual environment with the official MCP SDK (`mcp`, pinned), for interop tests against an MCP
/// implementation this project did not write: its server API as a peer of the runtime's client, its client as a
/// peer of the runtime's server.
///
/// Made on first use (`python3 -m venv`, then `pip install mcp==…`) under the system's temporary directory and
/// reused by later test processes; `AGENTRUNTIME_TEST_PYTHON` names an interpreter that already has the package.
public enum PythonMCPEnvironment {
    /// The pinned SDK version.
    public static let version = "1.26.0"

    /// The interpreter of the environment, made when missing. Throws when Python or the package cannot be set up.
    ///
    /// The set-up (a venv and a pip install: tens of seconds on a new machine) runs on a thread of its own, once per
    /// process, never on the concurrency pool's threads: on two cores, a blocked pool thread would stall every other
    /// test's timers meanwhile.
    public static func python() async throws -> URL { try await preparation.value }

    private static let preparation = Task<URL, any Error> {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try prepare() }) }
            thread.name = "python-mcp-environment"
            thread.start()
        }
    }

    /// Starts `python script arguments…` with pipes on stdin, stdout and stderr.
    public static func start(script: URL, arguments: [String] = []) async throws -> Process {
        let process = Process()
        process.executableURL = try await python()
        process.arguments = [script.path] + arguments
        process.standardInput = Pipe()
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        return process
    }

    private static func prepare() throws -> URL {
        if let given = ProcessInfo.processInfo.environment["AGENTRUNTIME_TEST_PYTHON"], !given.isEmpty {
            return URL(fileURLWithPath: given)
        }
        return try PythonVirtualEnvironment.prepare(name: "mcp-\(version)", packages: ["mcp==\(version)"])
    }
}

/// A Python virtual environment under the system's temporary directory (`agentruntime-test-peers/<name>`) with
/// pinned packages from PyPI, made once (one maker at a time across test processes, through a lock file) and reused.
public enum PythonVirtualEnvironment {
    /// The interpreter of the environment `name`, made with `packages` installed when missing. Blocks: call it from a
    /// thread of its own.
    public static func prepare(name: String, packages: [String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("agentruntime-test-peers/\(name)")
        let python = directory.appendingPathComponent("bin/python")
        let marker = directory.appendingPathComponent(".installed")
        if FileManager.default.fileExists(atPath: marker.path) { return python }
        // Another test process may be making it: one maker at a time, through a lock file beside it.
        try? FileManager.default.createDirectory(
            at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        let lockPath = directory.deletingLastPathComponent().appendingPathComponent("\(name).lock").path
        let lock = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard lock >= 0 else { throw TestPeerError("cannot open \(lockPath)") }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        defer { flock(lock, LOCK_UN) }
        if FileManager.default.fileExists(atPath: marker.path) { return python }
        try run("/usr/bin/env", ["python3", "-m", "venv", "--clear", directory.path])
        try run(python.path, ["-m", "pip", "install", "-q", "--disable-pip-version-check"] + packages)
        FileManager.default.createFile(atPath: marker.path, contents: Data())
        return python
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        do { try process.run() } catch { throw TestPeerError("\(executable) did not start: \(error)") }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestPeerError(
                "\(([executable] + arguments).joined(separator: " ")) failed: \(String(decoding: output, as: UTF8.self))"
            )
        }
    }
}

/// A test peer that could not be set up, with what failed.
public struct TestPeerError: Error, CustomStringConvertible {
    /// What failed.
    public var description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
