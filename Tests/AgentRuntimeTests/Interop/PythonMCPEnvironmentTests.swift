import AgentRuntimeTesting
import Foundation
import Testing

@Suite("Test peers: the Python MCP SDK")
struct PythonMCPEnvironmentTests {
    @Test("the pinned MCP SDK imports in its virtual environment")
    func imports() async throws {
        let process = Process()
        process.executableURL = try await PythonMCPEnvironment.python()
        process.arguments = ["-c", "import importlib.metadata as m, mcp.server.fastmcp; print(m.version('mcp'))"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == PythonMCPEnvironment.version)
    }
}
