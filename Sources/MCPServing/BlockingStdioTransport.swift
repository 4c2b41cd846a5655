import Foundation
import Logging
import MCP

/// MCP over standard input and output (newline-delimited JSON-RPC), read by a thread that sleeps in `read(2)`: a
/// quiet client costs no CPU. The SDK's `StdioTransport` makes the descriptors non-blocking and retries every 10 ms,
/// which keeps a waiting `agentctl mcp` busy; the design says nothing spins.
actor BlockingStdioTransport: Transport {
    /// The SDK's logger (silent).
    nonisolated let logger = Logger(label: "agentruntime.mcp.stdio", factory: { _ in SwiftLogNoOpLogHandler() })
    private let input: Int32
    private let output: Int32
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var reading = false

    /// A transport on `input` and `output` (standard input and output by default).
    init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) {
        self.input = input
        self.output = output
        (messages, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
    }

    /// Starts the reading thread; lines arrive on ``receive()`` until end of input.
    func connect() async throws {
        guard !reading else { return }
        reading = true
        let input = self.input
        let continuation = self.continuation
        let reader = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count < 0 {
                    continuation.finish(
                        throwing: MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)))
                    return
                }
                if count == 0 { break }
                pending += buffer[..<count]
                var start = 0
                while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    if newline > start { continuation.yield(Data(pending[start..<newline])) }
                    start = newline + 1
                }
                pending.removeFirst(start)
            }
            continuation.finish()
        }
        reader.name = "mcp-stdin"
        reader.start()
    }

    /// Ends the message stream (the reading thread ends with the input).
    func disconnect() async { continuation.finish() }

    /// Writes one message and its newline, whole.
    func send(_ data: Data) async throws {
        var bytes = [UInt8](data)
        bytes.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
            }
            offset += written
        }
    }

    /// The messages read, one per line.
    func receive() -> AsyncThrowingStream<Data, any Error> { messages }
}
