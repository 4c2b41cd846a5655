import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// The egress guard on its own: which destinations are refused before anything is sent, which are allowed, and that
/// plain-http requests go to the address that was checked.
@Suite("Egress guard")
struct EgressCheckingTransportTests {
    /// A guard over a replay transport that answers 200 to anything allowed through.
    private func guarded(
        _ policy: EgressPolicy, resolver: any HostResolver = SystemHostResolver(), replies: Int = 1
    ) -> (EgressCheckingTransport, ReplayTransport) {
        let base = ReplayTransport(Array(repeating: .init(body: "{}"), count: replies))
        return (EgressCheckingTransport(base, policy: policy, resolver: resolver), base)
    }

    private func refusal(_ url: String, _ transport: EgressCheckingTransport) async -> HTTPTransportError? {
        do {
            _ = try await transport.send(HTTPRequest(method: "GET", url: URL(string: url)!))
            return nil
        } catch let error as HTTPTransportError {
            return error
        } catch {
            return nil
        }
    }

    static let internalDestinations: [(url: String, reason: String)] = [
        ("http://127.0.0.1:8080/wp-json", "127.0.0.1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private-network address"),
        ("http://192.168.0.10/", "192.168.0.10 is a private-network address"),
        ("http://172.20.0.1/", "172.20.0.1 is a private-network address"),
        ("http://100.64.0.1/", "100.64.0.1 is a carrier-grade NAT (shared) address"),
        ("http://0.0.0.0:8500/", "0.0.0.0 is the unspecified address"),
        ("http://[::1]:8080/", "::1 is a loopback address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[fd00::5]/", "fd00::5 is a private-network address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"),
        ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254 is a link-local address"),
        ("http://localhost:8080/", "localhost is a local host name"),
        ("http://LocalHost./", "LocalHost. is a local host name"),
        ("http://api.localhost/", "api.localhost is a local host name"),
        ("http://metadata.google.internal/", "metadata.google.internal is a local host name"),
        // Numeric spellings the C library resolves to 127.0.0.1: resolved as the client would, then checked.
        ("http://2130706433/", "2130706433 resolves to 127.0.0.1, a loopback address"),
        ("http://0x7f.1/", "0x7f.1 resolves to 127.0.0.1, a loopback address"),
        ("http://127.1/", "127.1 resolves to 127.0.0.1, a loopback address"),
        ("http://017700000001/", "017700000001 resolves to 127.0.0.1, a loopback address"),
    ]

    @Test(
        "loopback, link-local (cloud metadata), private, shared and local names are refused before anything is sent",
        arguments: internalDestinations)
    func refused(_ destination: (url: String, reason: String)) async throws {
        let (transport, base) = guarded(EgressPolicy(requireHTTPS: false))
        let error = try #require(await refusal(destination.url, transport), "\(destination.url) was let through")
        #expect(error.kind == .egress)
        #expect(error.message.hasPrefix(destination.reason), "\(error.message)")
        #expect(error.message.hasSuffix("egress there is not allowed (agentruntime.json egress.allow_hosts)"))
        #expect(base.requests.isEmpty)
    }

    @Test("a name whose DNS answer holds an internal address is refused, even beside a public one")
    func resolvedToInternal() async throws {
        let resolver = ScriptedHostResolver([
            "blog.evil.example": ["127.0.0.1"], "mixed.evil.example": ["93.184.215.14", "169.254.169.254"],
            "six.evil.example": ["::ffff:10.0.0.1"],
        ])
        let (transport, base) = guarded(EgressPolicy(requireHTTPS: false), resolver: resolver)
        let loopback = await refusal("https://blog.evil.example/wp-json", transport)
        #expect(
            loopback?.message
                == "blog.evil.example resolves to 127.0.0.1, a loopback address; egress there is not allowed (agentruntime.json egress.allow_hosts)"
        )
        let mixed = await refusal("https://mixed.evil.example/", transport)
        #expect(
            mixed?.message.hasPrefix("mixed.evil.example resolves to 169.254.169.254, a link-local address") == true)
        let mapped = await refusal("https://six.evil.example/", transport)
        #expect(mapped?.message.hasPrefix("six.evil.example resolves to ::ffff:10.0.0.1, a private-network") == true)
        #expect(base.requests.isEmpty)
    }

    @Test("the allow-list lets internal destinations through by address, CIDR range, name and *.domain")
    func allowed() async throws {
        let policy = try EgressPolicy(
            allowing: ["127.0.0.1", "10.0.0.0/8", "wiki.internal", "*.corp.example", "fd00::/8"], requireHTTPS: false)
        let resolver = ScriptedHostResolver([
            "build.corp.example": ["10.9.9.9"], "files.example": ["10.1.1.1"], "wiki.internal": ["192.168.1.1"],
            "corp.example": ["172.16.0.1"],
        ])
        let (transport, base) = guarded(policy, resolver: resolver, replies: 8)
        for url in [
            "http://127.0.0.1:9/", "http://10.20.30.40/", "https://wiki.internal/", "https://build.corp.example/",
            "https://files.example/", "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/",
        ] {
            #expect(await refusal(url, transport) == nil, "\(url) was refused")
        }
        #expect(base.requests.count == 7)
        #expect(!resolver.resolved.contains("wiki.internal"), "a name on the allow-list is trusted, not looked up")
        #expect(!resolver.resolved.contains("build.corp.example"))
        // Not covered: other loopback addresses, other private ranges, the wildcard's own domain.
        for url in ["http://127.0.0.2/", "http://192.168.1.1/", "https://corp.example/"] {
            #expect(await refusal(url, transport)?.kind == .egress, "\(url) was let through")
        }
    }

    @Test("public destinations pass; with require_https plain http is refused, https is not")
    func https() async throws {
        let resolver = ScriptedHostResolver([
            "api.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
        ])
        let (transport, base) = guarded(EgressPolicy(), resolver: resolver, replies: 2)
        #expect(await refusal("https://api.example.com/v1", transport) == nil)
        let plain = await refusal("http://api.example.com/v1?token=secret", transport)
        #expect(
            plain?.message
                == "http://api.example.com uses plain http; egress requires https (agentruntime.json egress.require_https)"
        )
        let ftp = await refusal("ftp://api.example.com/", transport)
        #expect(ftp?.kind == .egress)
        #expect(base.requests.map(\.url.absoluteString) == ["https://api.example.com/v1"], "https keeps the name (TLS)")
    }

    @Test("plain http is pinned to the checked address, the name kept in Host: a rebinding DNS answer is not used")
    func pinned() async throws {
        let resolver = ScriptedHostResolver(sequences: [
            "blog.example.com": [["93.184.215.14"], ["127.0.0.1"]], "v6.example.com": [["2606:2800::1"]],
        ])
        let (transport, base) = guarded(EgressPolicy(requireHTTPS: false), resolver: resolver, replies: 2)
        #expect(await refusal("http://blog.example.com:8080/wp-json?x=1", transport) == nil)
        #expect(await refusal("http://v6.example.com/a", transport) == nil)
        let sent = base.requests
        #expect(sent.map(\.url.absoluteString) == ["http://93.184.215.14:8080/wp-json?x=1", "http://[2606:2800::1]/a"])
        #expect(sent.map { $0.headers["host"] } == ["blog.example.com:8080", "v6.example.com"])
        // The next lookup would have answered 127.0.0.1: the request never asked again.
        #expect(resolver.resolved == ["blog.example.com", "v6.example.com"])
    }

    @Test("a redirect from an allowed server to an internal address is refused at that hop")
    func redirectHop() async throws {
        let policy = try EgressPolicy(allowing: ["127.0.0.1"], requireHTTPS: false)
        let base = ReplayTransport([
            .init(status: 302, headers: ["Location": "http://169.254.169.254/latest/meta-data/iam"], body: ""),
            .init(body: "{}"),
        ])
        let transport = RedirectingTransport.guarded(base, egress: policy, resolver: ScriptedHostResolver([:]))
        await #expect(
            throws: HTTPTransportError(
                kind: .egress,
                message:
                    "169.254.169.254 is a link-local address (where cloud metadata services answer); egress there is not allowed (agentruntime.json egress.allow_hosts)"
            )
        ) {
            _ = try await transport.send(HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:9/start")!))
        }
        #expect(base.requests.count == 1, "only the allowed first hop was sent")
    }

    @Test("allow_hosts entries parse as addresses, ranges, names and *.domain; others say what is wrong")
    func rules() throws {
        #expect(try EgressPolicy.Rule(parsing: "127.0.0.1") == .address(IPAddress("127.0.0.1")!))
        #expect(try EgressPolicy.Rule(parsing: "[::1]") == .address(IPAddress("::1")!))
        #expect(try EgressPolicy.Rule(parsing: "10.0.0.0/8") == .network(IPAddress("10.0.0.0")!, prefixLength: 8))
        #expect(try EgressPolicy.Rule(parsing: "Wiki.Internal.") == .host("wiki.internal"))
        #expect(try EgressPolicy.Rule(parsing: "*.corp.example") == .domain("corp.example"))
        for bad in ["10.0.0.0/33", "::/129", "127.1", "2130706433", "0x7f000001", "http://wiki", "", "*.", "a b"] {
            #expect(throws: EgressPolicy.RuleError.self, "\(bad)") { _ = try EgressPolicy.Rule(parsing: bad) }
        }
    }

    @Test("address classes, IPv6 forms carrying IPv4 included")
    func classes() {
        let expected: [(String, IPAddress.Restriction?)] = [
            ("8.8.8.8", nil), ("93.184.215.14", nil), ("2606:4700:4700::1111", nil), ("127.255.0.1", .loopback),
            ("169.254.169.254", .linkLocal), ("172.31.255.255", .privateNetwork), ("172.32.0.1", nil),
            ("100.127.255.255", .sharedAddressSpace), ("224.0.0.251", .multicast), ("255.255.255.255", .reserved),
            ("198.18.0.1", .reserved), ("::", .unspecified), ("fe80::abcd", .linkLocal), ("fc00::1", .privateNetwork),
            ("ff02::1", .multicast), ("::ffff:8.8.8.8", nil), ("::127.0.0.1", .loopback),
            ("64:ff9b::a9fe:a9fe", .linkLocal), ("2002:7f00:1::", .loopback), ("2002:808:808::", nil),
            ("2001:db8::1", .reserved), ("::2", .reserved),
        ]
        for (text, restriction) in expected {
            #expect(IPAddress(text)?.restriction == restriction, "\(text)")
        }
        #expect(IPAddress("127.1") == nil, "only standard forms are literals")
        #expect(IPAddress("fe80::1%eth0") == nil)
        #expect(IPAddress("::ffff:127.0.0.1")?.description == "::ffff:127.0.0.1")
    }

    @Test("the system resolver reads numeric forms as the C library does")
    func systemResolver() async throws {
        let resolver = SystemHostResolver()
        #expect(try await resolver.addresses(of: "2130706433") == [IPAddress("127.0.0.1")!])
        #expect(try await resolver.addresses(of: "0x7f.1") == [IPAddress("127.0.0.1")!])
        #expect(try await resolver.addresses(of: "::1") == [IPAddress("::1")!])
    }
}
