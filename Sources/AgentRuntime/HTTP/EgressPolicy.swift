import Foundation

/// Where requests built from tenants' settings (connector base URLs, site URLs, shop domains) may go: the public
/// internet over `https`, and inside the platform's network only where the operator allows it (`egress` in
/// `agentruntime.json`). ``EgressCheckingTransport`` applies it to every request and every redirect hop.
public struct EgressPolicy: Hashable, Sendable {
    /// One entry of `allow_hosts`.
    public enum Rule: Hashable, Sendable, CustomStringConvertible {
        /// One address (`127.0.0.1`, `::1`).
        case address(IPAddress)
        /// A CIDR range (`10.0.0.0/8`, `fd00::/8`).
        case network(IPAddress, prefixLength: Int)
        /// One host name, whatever it resolves to (`wiki.internal`).
        case host(String)
        /// Every name under a domain, not the domain itself (`*.corp.example`).
        case domain(String)

        /// Parses an entry: an address, `address/prefix`, a host name or `*.domain`; the error says what is wrong.
        public init(parsing text: String) throws(RuleError) {
            let entry = text.trimmingCharacters(in: .whitespaces).lowercased()
            if let slash = entry.firstIndex(of: "/") {
                guard let network = IPAddress(String(entry[..<slash])),
                    let prefix = Int(entry[entry.index(after: slash)...]),
                    prefix >= 0, prefix <= network.bytes.count * 8
                else {
                    throw RuleError(
                        "\"\(text)\" is not a CIDR range (an address in standard form, '/', and a prefix length of 0–32 for IPv4, 0–128 for IPv6)"
                    )
                }
                self = .network(network, prefixLength: prefix)
            } else if let address = IPAddress(entry) {
                self = .address(address)
            } else if entry.hasPrefix("*.") {
                let domain = String(entry.dropFirst(2))
                guard Self.isHostName(domain) else {
                    throw RuleError("\"\(text)\" is not a wildcard domain like *.corp.example")
                }
                self = .domain(domain)
            } else {
                guard Self.isHostName(entry) else {
                    throw RuleError(
                        "\"\(text)\" is not an address (in standard form, like 10.0.0.5 or ::1), a CIDR range (10.0.0.0/8), a host name (wiki.internal) or *.domain"
                    )
                }
                self = .host(EgressPolicy.canonicalName(entry))
            }
        }

        /// The entry as written in the config.
        public var description: String {
            switch self {
            case .address(let address): return address.description
            case .network(let address, let prefix): return "\(address)/\(prefix)"
            case .host(let name): return name
            case .domain(let name): return "*.\(name)"
            }
        }

        /// Letters, digits, `-` and `_` in dot-separated labels, not all digits and dots (a numeric spelling of an
        /// address belongs in standard form).
        static func isHostName(_ text: String) -> Bool {
            let name = EgressPolicy.canonicalName(text)
            let labels = name.split(separator: ".", omittingEmptySubsequences: false)
            guard !name.isEmpty, name.count <= 253,
                labels.allSatisfy({
                    !$0.isEmpty && $0.count <= 63
                        && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
                })
            else { return false }
            return !name.allSatisfy { $0.isNumber || $0 == "." } && !name.hasPrefix("0x")
        }
    }

    /// An `allow_hosts` entry that cannot be read.
    public struct RuleError: Error, Hashable, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        /// Creates an error.
        public init(_ message: String) { self.message = message }
        /// The message.
        public var description: String { message }
    }

    /// Destinations inside the platform's network that requests may reach (`egress.allow_hosts`).
    public var allowHosts: [Rule]
    /// Whether requests must use `https` (`egress.require_https`, true unless turned off for development).
    public var requireHTTPS: Bool

    /// Creates a policy: nothing internal allowed and `https` required unless said otherwise.
    public init(allowHosts: [Rule] = [], requireHTTPS: Bool = true) {
        self.allowHosts = allowHosts
        self.requireHTTPS = requireHTTPS
    }

    /// A policy from `allow_hosts` entries as written in the config.
    public init(allowing entries: [String], requireHTTPS: Bool = true) throws(RuleError) {
        var rules: [Rule] = []
        for entry in entries { rules.append(try Rule(parsing: entry)) }
        self.init(allowHosts: rules, requireHTTPS: requireHTTPS)
    }

    /// Lower-case, without a trailing dot (`Wiki.Internal.` is `wiki.internal`).
    static func canonicalName(_ host: String) -> String {
        var name = host.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// Whether an entry names `host` (by name or by a wildcard domain).
    public func allowsName(_ host: String) -> Bool {
        let name = Self.canonicalName(host)
        return allowHosts.contains {
            switch $0 {
            case .host(let allowed): return allowed == name
            case .domain(let domain): return name.hasSuffix("." + domain)
            case .address, .network: return false
            }
        }
    }

    /// Whether an entry covers `address` (an address or range; an IPv4-mapped IPv6 address matches its IPv4 entry).
    public func allows(_ address: IPAddress) -> Bool {
        let candidates = [address] + (address.embeddedIPv4.map { [$0] } ?? [])
        return allowHosts.contains { rule in
            candidates.contains { candidate in
                switch rule {
                case .address(let allowed): return allowed == candidate
                case .network(let network, let prefix): return candidate.isWithin(network, prefixLength: prefix)
                case .host, .domain: return false
                }
            }
        }
    }

    /// Names that mean this machine or the local network whatever DNS says: `localhost` and `*.localhost`, and the
    /// private-use suffixes `.local`, `.internal`, `.localdomain`, `.home.arpa`, `.lan`, `.intranet`, `.corp`.
    public static func isLocalName(_ host: String) -> Bool {
        let name = canonicalName(host)
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        return localSuffixes.contains { name == $0 || name.hasSuffix("." + $0) }
    }

    private static let localSuffixes = ["local", "internal", "localdomain", "home.arpa", "lan", "intranet", "corp"]
}
