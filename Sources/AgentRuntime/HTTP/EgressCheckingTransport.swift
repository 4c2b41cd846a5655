import Foundation

/// Sends a request only where an ``EgressPolicy`` allows it: the guard against server-side request forgery through
/// tenants' settings (a `site_url` of `http://169.254.169.254/`, a `base_url` of `http://localhost:8500/`).
///
/// Place it **under** ``RedirectingTransport`` (``RedirectingTransport/guarded(_:egress:resolver:maxRedirects:)``),
/// so that every hop, redirect targets included, is checked. For each request:
/// - the scheme must be `http` or `https`, and `https` when the policy requires it;
/// - a host the allow-list names (`wiki.internal`, `*.corp.example`) is trusted whatever it resolves to;
/// - `localhost`, `*.localhost` and private-use names (`*.internal`, `*.local`, ...) are refused before any lookup;
/// - otherwise the host is resolved as the HTTP client would resolve it (so `2130706433`, `0x7f.1` and `127.1` are
///   `127.0.0.1`), and the request is refused when **any** of its addresses is loopback, link-local (the cloud
///   metadata address `169.254.169.254`), private, shared (CGNAT), unspecified, multicast or reserved, IPv4-mapped
///   and other IPv6 forms of those included, unless the allow-list covers that address.
///
/// **The address connected to is the address checked.** A name could resolve to a public address when checked and
/// to an internal one when the client connects (DNS rebinding). For `http` the request is therefore pinned: its URL
/// names the checked address and the `Host` header keeps the name, so the client connects where the check looked.
/// For `https` the URL keeps the name, because the client verifies the server's certificate against that name: a
/// rebinding to an internal address meets a server that cannot prove it is that name, and the TLS handshake fails
/// before any request (or credential) is sent.
///
/// Refusals are `HTTPTransportError`s of kind `.egress`; their messages name the origin and the address, never a
/// path or query (which may carry credentials).
public struct EgressCheckingTransport: HTTPTransport {
    /// The transport that sends allowed requests.
    public let base: any HTTPTransport
    /// Where requests may go.
    public let policy: EgressPolicy
    /// How host names are resolved for the check.
    public let resolver: any HostResolver

    /// Guards `base` with `policy`, resolving names with `resolver` (the system's by default).
    public init(_ base: any HTTPTransport, policy: EgressPolicy, resolver: any HostResolver = SystemHostResolver()) {
        self.base = base
        self.policy = policy
        self.resolver = resolver
    }

    /// Sends `request` when the policy allows its destination (pinned to the checked address for `http`).
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        try await base.stream(try await checked(request))
    }

    /// The request to send for `request`: unchanged, or pinned to the checked address; throws `.egress` when the
    /// policy refuses its destination.
    public func checked(_ request: HTTPRequest) async throws -> HTTPRequest {
        let url = request.url
        let origin = Self.origin(url)
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw Self.refusal("\(origin) is not an http or https URL")
        }
        var host = url.host ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw Self.refusal("\(origin) has no host") }
        if policy.requireHTTPS, scheme == "http" {
            throw Self.refusal(
                "\(origin) uses plain http; egress requires https (agentruntime.json egress.require_https)")
        }
        // The operator vouches for a name on the allow-list, whatever it resolves to.
        if policy.allowsName(host) { return request }
        let literal = IPAddress(host)
        if literal == nil, EgressPolicy.isLocalName(host) {
            throw Self.refusal(
                "\(host) is a local host name; egress there is not allowed (agentruntime.json egress.allow_hosts)")
        }
        let addresses: [IPAddress]
        if let literal { addresses = [literal] } else { addresses = try await resolver.addresses(of: host) }
        for address in addresses {
            guard let restriction = address.restriction, !policy.allows(address) else { continue }
            let subject = literal == nil ? "\(host) resolves to \(address)," : "\(address) is"
            throw Self.refusal(
                "\(subject) \(restriction); egress there is not allowed (agentruntime.json egress.allow_hosts)")
        }
        guard scheme == "http", literal == nil, let address = addresses.first,
            var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        else { return request }
        components.percentEncodedHost = address.urlHost
        guard let pinned = components.url else { return request }
        var outgoing = request
        outgoing.url = pinned
        if outgoing.headers["host"] == nil {
            outgoing.headers.set("Host", url.port.map { $0 == 80 ? host : "\(host):\($0)" } ?? host)
        }
        return outgoing
    }

    private static func refusal(_ message: String) -> HTTPTransportError {
        HTTPTransportError(kind: .egress, message: message)
    }

    /// `scheme://host:port` (no user, path or query: those may carry credentials).
    static func origin(_ url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? "?"
        let host = url.host.map { $0.contains(":") && !$0.hasPrefix("[") ? "[\($0)]" : $0 } ?? ""
        return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
    }
}

extension RedirectingTransport {
    /// `base` behind an ``EgressCheckingTransport``, with redirects followed above the guard so that every hop is
    /// checked: the transport for requests whose destinations tenants configure (connectors; MCP servers and
    /// connectors defined by files use the same path). Model providers and the secret store are configured by the
    /// operator and use the unguarded transport.
    public static func guarded(
        _ base: any HTTPTransport, egress: EgressPolicy, resolver: any HostResolver = SystemHostResolver(),
        maxRedirects: Int = 5
    ) -> RedirectingTransport {
        RedirectingTransport(
            EgressCheckingTransport(base, policy: egress, resolver: resolver), maxRedirects: maxRedirects)
    }
}
