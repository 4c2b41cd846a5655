import Foundation
import Logging
import MCP

/// MCP's stdio transport (newline-delimited JSON-RPC) over a pair of file descriptors: standard input and output of
/// `agentctl mcp`, or the pipes of an MCP server process the runtime started. Input is read by a thread that sleeps
/// in `read(2)`, so a quiet peer costs no CPU: the SDK's `StdioTransport` makes the descriptors non-blocking and
/// retries every 10 ms, and the design says nothing spins.
public actor FileDescriptorTransport: Transport {
    /// The SDK's logger (silent).
    public nonisolated let logger = Logger(label: "agentruntime.mcp.stdio", factory: { _ in SwiftLogNoOpLogHandler() })
    private let input: Int32
    private let output: Int32
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var reading = false
    private let onDisconnect: @Sendable () -> Void
    private let owner: (any Sendable)?

    /// A transport reading `input` and writing `output` (standard input and output by default); `onDisconnect` runs
    /// once when the transport is disconnected (to stop a server process and close its pipes). `owner`, when the
    /// descriptors belong to an object that closes them when it goes (a process's pipes), is kept alive by the reading
    /// thread until it has read its last byte, so the descriptor it reads is never closed under it and reused.
    public init(
        input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, owner: (any Sendable)? = nil,
        onDisconnect: @escaping @Sendable () -> Void = {}
    ) {
        self.input = input
        self.output = output
        self.owner = owner
        self.onDisconnect = onDisconnect
        (messages, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        _ = Self.writesFailInsteadOfSignalling
    }

    /// A write to a peer that has gone (a server process that exited, a client that closed its end) fails with
    /// `EPIPE` instead of killing the whole process with `SIGPIPE`.
    private static let writesFailInsteadOfSignalling: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// The longest message accepted (a peer that never ends a line is cut off, not buffered without end).
    public static let maxLineBytes = 64 << 20

    /// Starts the reading thread; lines arrive on ``receive()`` until end of input.
    public func connect() async throws {
        guard !reading else { return }
        reading = true
        let input = self.input
        let continuation = self.continuation
        let owner = self.owner
        let reader = Thread {
            defer { withExtendedLifetime(owner) {} }
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
                if pending.count > Self.maxLineBytes {
                    continuation.finish(
                        throwing: MCPError.transportError(
                            POSIXError(.EMSGSIZE)))
                    return
                }
            }
            continuation.finish()
        }
        reader.name = "mcp-stdin"
        reader.start()
    }

    /// Ends the message stream (the reading thread ends with the input) and runs `onDisconnect` the first time.
    public func disconnect() async {
        continuation.finish()
        guard !disconnected else { return }
        disconnected = true
        onDisconnect()
    }

    private var disconnected = false

    /// Writes one message and its newline, whole.
    public func send(_ data: Data) async throws {
        // After a disconnect the output may be closed, and its number given to another file: never write there.
        guard !disconnected else { throw MCPError.transportError(POSIXError(.ENOTCONN)) }
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
    public func receive() -> AsyncThrowingStream<Data, any Error> { messages }
}
