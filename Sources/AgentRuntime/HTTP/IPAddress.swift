import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address, and whether it is one a tenant's request may reach (a public, global unicast address)
/// or one inside the platform's own network (loopback, link-local, private, ...).
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address in network byte order: 4 bytes (IPv4) or 16 (IPv6).
    public let bytes: [UInt8]

    /// An address from its bytes; nil unless there are 4 or 16.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses the standard text forms only: dotted-quad IPv4 (`127.0.0.1`) or IPv6 (`::1`, optionally in brackets
    /// as in a URL, `[::1]`). Other numeric spellings a resolver accepts (`2130706433`, `0x7f.1`, `127.1`) are not
    /// addresses here: they are resolved like names, as the HTTP client would resolve them.
    public init?(_ text: String) {
        var text = text
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        // A zone (`fe80::1%eth0`) names an interface: never a destination for a tenant's request.
        guard !text.isEmpty, !text.contains("%") else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool { bytes.count == 4 }

    /// The standard text form (`127.0.0.1`, `::ffff:7f00:1`).
    public var description: String {
        let size = Int(INET6_ADDRSTRLEN)
        var buffer = [CChar](repeating: 0, count: size)
        let family = isIPv4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(size))
        }
        guard written != nil else { return bytes.map(String.init).joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The text form used in a URL's host: IPv6 in brackets.
    public var urlHost: String { isIPv4 ? description : "[\(description)]" }

    /// Whether the first `prefixLength` bits equal those of `network` (of the same family).
    public func isWithin(_ network: IPAddress, prefixLength: Int) -> Bool {
        guard network.bytes.count == bytes.count, prefixLength >= 0, prefixLength <= bytes.count * 8 else {
            return false
        }
        var remaining = prefixLength
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != network.bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The IPv4 address an IPv6 address stands for: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
    /// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`); nil for anything else.
    public var embeddedIPv4: IPAddress? {
        guard !isIPv4 else { return nil }
        let zeros = bytes[0..<10].allSatisfy { $0 == 0 }
        if zeros, bytes[10] == 0xFF, bytes[11] == 0xFF { return IPAddress(bytes: Array(bytes[12..<16])) }
        if zeros, bytes[10] == 0, bytes[11] == 0, !bytes[12..<15].allSatisfy({ $0 == 0 }) {
            return IPAddress(bytes: Array(bytes[12..<16]))
        }
        if isWithin(Self.nat64, prefixLength: 96) { return IPAddress(bytes: Array(bytes[12..<16])) }
        if bytes[0] == 0x20, bytes[1] == 0x02 { return IPAddress(bytes: Array(bytes[2..<6])) }
        return nil
    }

    /// What kind of address outside the public internet this is; nil for a public (global unicast) address.
    public var restriction: Restriction? {
        if let embedded = embeddedIPv4 { return embedded.restriction }
        let table = isIPv4 ? Self.ipv4Ranges : Self.ipv6Ranges
        if let match = table.first(where: { isWithin($0.network, prefixLength: $0.prefixLength) }) {
            return match.restriction
        }
        // Every public IPv6 address is in 2000::/3; anything else is unassigned or special.
        if !isIPv4, bytes[0] & 0xE0 != 0x20 { return .reserved }
        return nil
    }

    /// A kind of address that is not on the public internet.
    public enum Restriction: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// `0.0.0.0/8`, `::`: "this host", which reaches the local machine.
        case unspecified
        /// `127.0.0.0/8`, `::1`.
        case loopback
        /// `169.254.0.0/16` (where cloud metadata services answer, `169.254.169.254`), `fe80::/10`.
        case linkLocal = "link-local"
        /// `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`, `fc00::/7`, `fec0::/10`.
        case privateNetwork = "private"
        /// `100.64.0.0/10`: carrier-grade NAT, used inside cloud networks.
        case sharedAddressSpace = "shared"
        /// `224.0.0.0/4`, `ff00::/8`.
        case multicast
        /// Documentation, benchmarking, future-use and other special-purpose ranges.
        case reserved

        /// `a loopback address`, ... (for messages).
        public var description: String {
            switch self {
            case .unspecified: return "the unspecified address (this host)"
            case .loopback: return "a loopback address"
            case .linkLocal: return "a link-local address (where cloud metadata services answer)"
            case .privateNetwork: return "a private-network address"
            case .sharedAddressSpace: return "a carrier-grade NAT (shared) address"
            case .multicast: return "a multicast address"
            case .reserved: return "a reserved, special-purpose address"
            }
        }
    }

    private static let nat64 = IPAddress("64:ff9b::")!

    private typealias Block = (network: IPAddress, prefixLength: Int, restriction: Restriction)

    private static func range(_ network: String, _ prefixLength: Int, _ restriction: Restriction) -> Block {
        (IPAddress(network)!, prefixLength, restriction)
    }

    private static let ipv4Ranges: [Block] = [
        range("0.0.0.0", 8, .unspecified), range("10.0.0.0", 8, .privateNetwork),
        range("100.64.0.0", 10, .sharedAddressSpace), range("127.0.0.0", 8, .loopback),
        range("169.254.0.0", 16, .linkLocal), range("172.16.0.0", 12, .privateNetwork),
        range("192.0.0.0", 24, .reserved), range("192.0.2.0", 24, .reserved), range("192.88.99.0", 24, .reserved),
        range("192.168.0.0", 16, .privateNetwork), range("198.18.0.0", 15, .reserved),
        range("198.51.100.0", 24, .reserved), range("203.0.113.0", 24, .reserved), range("224.0.0.0", 4, .multicast),
        range("240.0.0.0", 4, .reserved),
    ]

    private static let ipv6Ranges: [Block] = [
        range("::", 128, .unspecified), range("::1", 128, .loopback), range("fe80::", 10, .linkLocal),
        range("fec0::", 10, .privateNetwork), range("fc00::", 7, .privateNetwork), range("ff00::", 8, .multicast),
        range("100::", 64, .reserved), range("2001:db8::", 32, .reserved),
        // Teredo hides the client's IPv4 address; NAT64 for local use (RFC 8215) translates into the local network.
        range("2001::", 32, .reserved), range("64:ff9b:1::", 48, .privateNetwork),
    ]
}
