import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The port to name resolution: the addresses a host name (or a numeric host in any spelling a resolver accepts)
/// stands for, as an HTTP client connecting to it would find them.
public protocol HostResolver: Sendable {
    /// The addresses of `host`; throws ``HTTPTransportError`` (`.connection`) when it cannot be resolved.
    func addresses(of host: String) async throws -> [IPAddress]
}

/// ``HostResolver`` through the system resolver (`getaddrinfo`): `/etc/hosts`, DNS, and the numeric forms the
/// C library accepts (`2130706433`, `0x7f.1`, `127.1` all mean `127.0.0.1`).
///
/// `getaddrinfo` blocks, so it runs on dispatch queues of its own, never on Swift's cooperative pool: a slow DNS
/// server delays only the requests waiting for it. Lookups of one host share a serial queue; different hosts are
/// spread over `queueCount` queues.
public struct SystemHostResolver: HostResolver {
    private static let queueCount = 8
    private static let queues = (0..<SystemHostResolver.queueCount).map {
        DispatchQueue(label: "agentruntime.host-resolver.\($0)")
    }

    /// Creates a resolver.
    public init() {}

    /// The addresses of `host` (IPv4 and IPv6, without duplicates, in the resolver's order).
    public func addresses(of host: String) async throws -> [IPAddress] {
        var hasher = Hasher()
        hasher.combine(host)
        let queue = Self.queues[Int(UInt(bitPattern: hasher.finalize()) % UInt(Self.queueCount))]
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try Self.resolve(host) }) }
        }
    }

    /// Blocking resolution.
    private static func resolve(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            let reason = gai_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            throw HTTPTransportError(kind: .connection, message: "cannot resolve \(host): \(reason)")
        }
        defer { freeaddrinfo(list) }
        var found: [IPAddress] = []
        var entry = list
        while let current = entry {
            if let address = current.pointee.ai_addr {
                var parsed: IPAddress?
                switch Int32(current.pointee.ai_family) {
                case AF_INET:
                    parsed = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        var raw = $0.pointee.sin_addr
                        return IPAddress(bytes: withUnsafeBytes(of: &raw) { Array($0) })
                    }
                case AF_INET6:
                    parsed = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        var raw = $0.pointee.sin6_addr
                        return IPAddress(bytes: withUnsafeBytes(of: &raw) { Array($0) })
                    }
                default: break
                }
                if let parsed, !found.contains(parsed) { found.append(parsed) }
            }
            entry = current.pointee.ai_next
        }
        guard !found.isEmpty else {
            throw HTTPTransportError(kind: .connection, message: "cannot resolve \(host): no address")
        }
        return found
    }
}
