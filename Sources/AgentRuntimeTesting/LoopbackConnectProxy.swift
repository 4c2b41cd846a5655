import AgentRuntime
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An HTTP `CONNECT` proxy on 127.0.0.1 for tests: tunnels to loopback targets only, and records each
/// tunnel's target and `Proxy-Authorization` header.
public final class LoopbackConnectProxy: @unchecked Sendable {
    /// One tunnel asked for.
    public struct Tunnel: Sendable, Equatable {
        /// `host:port` from the CONNECT line.
        public var target: String
        /// The `Proxy-Authorization` header, if any.
        public var authorization: String?

        /// Creates a tunnel record.
        public init(target: String, authorization: String? = nil) {
            self.target = target
            self.authorization = authorization
        }
    }

    private let listener: Int32
    /// The bound port.
    public let port: Int
    private let lock = NSLock()
    private var _tunnels: [Tunnel] = []
    private var stopped = false

    /// Tunnels opened so far.
    public var tunnels: [Tunnel] { lock.withLock { _tunnels } }

    /// Starts listening on an ephemeral port.
    public init() throws {
        let (fd, port) = try LoopbackSocket.listen()
        listener = fd
        self.port = port
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting.
    public func stop() {
        let first: Bool = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        if first { shutdown(listener, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            Thread { [self] in serve(fd) }.start()
        }
    }

    private func serve(_ client: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while buffer.firstRange(of: [13, 10, 13, 10]) == nil {
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else {
                close(client)
                return
            }
            buffer += chunk[..<count]
        }
        let end = buffer.firstRange(of: [13, 10, 13, 10])!
        let lines = String(decoding: buffer[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        let authorization = lines.dropFirst().first { $0.lowercased().hasPrefix("proxy-authorization:") }
            .map { String($0.drop { $0 != ":" }.dropFirst()).trimmingCharacters(in: .whitespaces) }
        guard parts.count >= 2, parts[0] == "CONNECT", let colon = parts[1].lastIndex(of: ":"),
            let port = Int(parts[1][parts[1].index(after: colon)...]),
            ["127.0.0.1", "localhost"].contains(String(parts[1][..<colon]))
        else {
            LoopbackSocket.sendAll(client, Array("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".utf8))
            close(client)
            return
        }
        lock.withLock { _tunnels.append(Tunnel(target: String(parts[1]), authorization: authorization)) }
        guard let upstream = LoopbackSocket.connect(port: port) else {
            LoopbackSocket.sendAll(client, Array("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n".utf8))
            close(client)
            return
        }
        LoopbackSocket.sendAll(client, Array("HTTP/1.1 200 Connection Established\r\n\r\n".utf8))
        let rest = Array(buffer[end.upperBound...])
        if !rest.isEmpty { LoopbackSocket.sendAll(upstream, rest) }
        let done = DispatchSemaphore(value: 0)
        Thread {
            LoopbackSocket.pipe(from: upstream, to: client)
            done.signal()
        }.start()
        LoopbackSocket.pipe(from: client, to: upstream)
        done.wait()
        close(upstream)
        close(client)
    }
}

/// Blocking-socket helpers for the loopback test servers.
enum LoopbackSocket {
    static func listen(backlog: Int32 = 512) throws -> (Int32, Int) {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, bound == 0, Glibc.listen(fd, backlog) == 0 else {
            if fd >= 0 { close(fd) }
            throw HTTPTransportError(kind: .connection, message: "bind/listen on 127.0.0.1 failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    static func connect(port: Int) -> Int32? {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    @discardableResult
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// Copies bytes until either side closes, then shuts both down.
    static func pipe(from source: Int32, to destination: Int32) {
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if count <= 0 || !sendAll(destination, Array(chunk[..<count])) { break }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
    }
}
