import AsyncHTTPClient
import Foundation

/// The proxies the environment asks for, as curl reads them: `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http
/// URLs (lower-case names win over upper-case; `ALL_PROXY` fills in for either), and `NO_PROXY`, a comma-separated
/// list of hosts, domains (`example.com` and `.example.com` both cover `api.example.com`), IP addresses, CIDR ranges
/// (`10.0.0.0/8`), each optionally with `:port`, or `*` for every host.
public struct ProxyEnvironment: Sendable, Equatable {
    /// One proxy.
    public struct Proxy: Sendable, Equatable {
        /// `http` (CONNECT tunnels) or `socks5`.
        public var kind: String
        /// The proxy's host.
        public var host: String
        /// The proxy's port.
        public var port: Int
        /// Basic credentials from the URL's user part.
        public var username: String?
        /// The password from the URL's user part.
        public var password: String?

        /// Creates a proxy entry.
        public init(kind: String, host: String, port: Int, username: String? = nil, password: String? = nil) {
            self.kind = kind
            self.host = host
            self.port = port
            self.username = username
            self.password = password
        }

        var configuration: HTTPClient.Configuration.Proxy {
            if kind == "socks5" { return .socksServer(host: host, port: port) }
            if let username {
                return .server(
                    host: host, port: port, authorization: .basic(username: username, password: password ?? ""))
            }
            return .server(host: host, port: port)
        }
    }

    /// The proxy for http URLs.
    public var http: Proxy?
    /// The proxy for https URLs.
    public var https: Proxy?
    /// `NO_PROXY` entries, lower-cased.
    public var exclusions: [String]

    /// Reads the variables from `environment`.
    /// - Throws: ``ProxyConfigurationError`` naming the variable when a value is not a usable proxy URL.
    public init(_ environment: [String: String]) throws {
        func value(_ name: String) -> (name: String, value: String)? {
            for candidate in [name.lowercased(), name] {
                if let value = environment[candidate]?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
                    return (candidate, value)
                }
            }
            return nil
        }
        let all = value("ALL_PROXY")
        http = try (value("HTTP_PROXY") ?? all).map { try Self.parse($0.value, variable: $0.name) }
        https = try (value("HTTPS_PROXY") ?? all).map { try Self.parse($0.value, variable: $0.name) }
        exclusions = (value("NO_PROXY")?.value ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }.filter { !$0.isEmpty }
    }

    static func parse(_ text: String, variable: String) throws -> Proxy {
        let withScheme = text.contains("://") ? text : "http://" + text
        guard let components = URLComponents(string: withScheme), let host = components.host, !host.isEmpty else {
            throw ProxyConfigurationError(variable: variable, reason: "not a proxy URL (expected http://host:port)")
        }
        let scheme = components.scheme?.lowercased() ?? "http"
        let kind: String
        switch scheme {
        case "http": kind = "http"
        case "socks5", "socks5h", "socks": kind = "socks5"
        default:
            throw ProxyConfigurationError(
                variable: variable, reason: "proxy scheme \(scheme) is not supported (use http or socks5)")
        }
        return Proxy(
            kind: kind, host: host, port: components.port ?? (kind == "socks5" ? 1080 : 80),
            username: components.percentEncodedUser?.removingPercentEncoding,
            password: components.percentEncodedPassword?.removingPercentEncoding)
    }

    /// Whether requests to `host` (and `port`) go direct because `NO_PROXY` names them.
    public func bypasses(host: String, port: Int?) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        for entry in exclusions {
            if entry == "*" { return true }
            var pattern = entry
            if let colon = entry.lastIndex(of: ":"), !entry.contains("]"), entry.filter({ $0 == ":" }).count == 1 {
                guard let wanted = Int(entry[entry.index(after: colon)...]) else { continue }
                if port != wanted { continue }
                pattern = String(entry[..<colon])
            }
            pattern = pattern.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            if pattern.contains("/"), Self.inRange(host, cidr: pattern) { return true }
            if pattern.hasPrefix("*.") { pattern.removeFirst() }
            let domain = pattern.hasPrefix(".") ? String(pattern.dropFirst()) : pattern
            if host == domain || host.hasSuffix("." + domain) { return true }
        }
        return false
    }

    /// Whether the IPv4 address `host` lies in `cidr`.
    static func inRange(_ host: String, cidr: String) -> Bool {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]), (0...32).contains(bits),
            let network = ipv4(String(parts[0])), let address = ipv4(host)
        else { return false }
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
        return network & mask == address & mask
    }

    static func ipv4(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
        return octets.reduce(0) { $0 << 8 | $1 }
    }
}

/// A proxy variable that cannot be used.
public struct ProxyConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The environment variable.
    public var variable: String
    /// What is wrong with it (its value is not repeated: it may hold a password).
    public var reason: String

    /// Creates the error.
    public init(variable: String, reason: String) {
        self.variable = variable
        self.reason = reason
    }

    /// `VARIABLE: reason`.
    public var description: String { "\(variable): \(reason)" }
}
