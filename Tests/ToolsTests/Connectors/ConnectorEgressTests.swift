import AgentRuntime
import AgentRuntimeTesting
import Foundation
import NIOTransport
import Testing
import Tools

/// Connectors go where the tenant's settings say only within the egress rules: no internal addresses unless the
/// operator allows them, redirects that keep credentials and bodies at their origin, arguments that stay inside
/// their path segment, and Shopify shops that are Shopify's.
@Suite("Connectors: egress")
struct ConnectorEgressTests {
    static let token = "pat-na1-99999999-8888-7777-6666-555555555555"
    static let password = "abcd EFGH ijkl MNOP qrst UVWX"

    /// A client over the NIO transport behind `egress`, with `settings` as tenant `acme`'s (secrets in memory).
    private func makeClient(
        _ connector: String, settings: [String: String], secrets: [String: String], egress: EgressPolicy,
        resolver: any HostResolver = SystemHostResolver(), base: (any HTTPTransport)? = nil
    ) throws -> (ConnectorClient, ToolContext) {
        let transport = RedirectingTransport.guarded(
            try base ?? AsyncHTTPClientTransport(environment: [:]), egress: egress, resolver: resolver)
        let tenant = ConnectorHarness.tenant(connector: connector, settings: settings, secrets: secrets)
        return (ConnectorClient(transport: transport, settings: tenant.settings), tenant.context)
    }

    private func failure(_ body: () async throws -> ToolResult) async -> ToolError? {
        do {
            _ = try await body()
            return nil
        } catch let error as ToolError {
            return error
        } catch {
            return ToolError("unexpected \(error)")
        }
    }

    @Test("a tenant's base_url on 127.0.0.1 is refused unless the operator's allow-list has it")
    func loopbackRefused() async throws {
        let refused = try ConnectorHarness(
            connector: "wordpress", settings: ["site_url": "https://blog.acme.test", "username": "editor"],
            secrets: ["app_password": Self.password], egress: EgressPolicy(requireHTTPS: false)
        ) { _ in .init(body: "[]") }
        defer { refused.stop() }
        let error = await failure {
            try await refused.tool("wordpress.list_posts", in: WordPressConnector.operations).call(
                [:], context: refused.context)
        }
        #expect(
            error?.message
                == "wordpress may not connect there: 127.0.0.1 is a loopback address; egress there is not allowed (agentruntime.json egress.allow_hosts); the tenant's wordpress settings (base_url, site_url, shop_domain, token_url) point to it"
        )
        #expect(error?.isTransient == false)
        #expect(refused.log.all.isEmpty, "nothing reached the server")

        let allowed = try ConnectorHarness(
            connector: "wordpress", settings: ["site_url": "https://blog.acme.test", "username": "editor"],
            secrets: ["app_password": Self.password],
            egress: try EgressPolicy(allowing: ["127.0.0.0/8"], requireHTTPS: false)
        ) { _ in .init(body: "[]") }
        defer { allowed.stop() }
        _ = try await allowed.tool("wordpress.list_posts", in: WordPressConnector.operations).call(
            [:], context: allowed.context)
        #expect(allowed.log.all.count == 1)
    }

    @Test("a site_url at the cloud metadata address, or at localhost, is refused before any connection")
    func metadataRefused() async throws {
        for (site, reason) in [
            ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
            ("http://localhost:8500", "localhost is a local host name"),
            ("http://[::1]:8080", "::1 is a loopback address"),
        ] {
            let (client, context) = try makeClient(
                "wordpress", settings: ["site_url": site, "username": "editor"],
                secrets: ["app_password": Self.password], egress: EgressPolicy(requireHTTPS: false))
            let error = await failure {
                try await WordPressConnector.operations.tool("wordpress.list_posts", client).call([:], context: context)
            }
            #expect(error?.message.hasPrefix("wordpress may not connect there: \(reason)") == true, "\(site)")
        }
        // In production mode plain http is refused whatever the host.
        let (client, context) = try makeClient(
            "wordpress", settings: ["site_url": "http://blog.acme.test", "username": "editor"],
            secrets: ["app_password": Self.password], egress: EgressPolicy())
        let error = await failure {
            try await WordPressConnector.operations.tool("wordpress.list_posts", client).call([:], context: context)
        }
        #expect(
            error?.message.hasPrefix(
                "wordpress may not connect there: http://blog.acme.test uses plain http; egress requires https") == true
        )
    }

    @Test("a redirect to another origin carries no Authorization or API-key header, and never a body")
    func redirectCredentials() async throws {
        let other = try LoopbackHTTPServer { _ in .init(body: #"{"results":[],"products":[]}"#) }
        defer { other.stop() }
        let elsewhere = other.baseURL.appendingPathComponent("collect").absoluteString
        let hubspot = try HubSpotConnectorTests.harness { request in
            .init(status: request.method == "GET" ? 302 : 307, headers: ["Location": elsewhere], body: "")
        }
        defer { hubspot.stop() }
        _ = try await hubspot.tool("hubspot.list_deals", in: HubSpotConnector.operations).call(
            [:], context: hubspot.context)
        let followed = try #require(other.receivedRequests.last)
        #expect(followed.path == "/collect")
        #expect(followed.headers["authorization"] == nil, "the Bearer token stayed at its origin")
        #expect(hubspot.log.last?.headers["authorization"] == "Bearer \(HubSpotConnectorTests.token)")

        let error = await failure {
            try await hubspot.tool("hubspot.create_contact", in: HubSpotConnector.operations).call(
                ["email": "jane@acme.test"], context: hubspot.context)
        }
        #expect(
            error?.message.contains("would resend the request body; refused") == true, "\(String(describing: error))")
        #expect(other.receivedRequests.count == 1, "the body was not sent to the other origin")

        let shopify = try ConnectorHarness(
            connector: "shopify", settings: ["shop_domain": "acme.myshopify.com"],
            secrets: ["access_token": "shpat_0123456789abcdef0123456789abcdef"]
        ) { _ in .init(status: 302, headers: ["Location": elsewhere], body: "") }
        defer { shopify.stop() }
        _ = try await shopify.tool("shopify.list_products", in: ShopifyConnector.operations).call(
            [:], context: shopify.context)
        #expect(other.receivedRequests.count == 2)
        #expect(other.receivedRequests.last?.headers["x-shopify-access-token"] == nil, "the API key stayed behind")
        let all = other.receivedRequests.flatMap { $0.headers.map(\.value) }.joined(separator: "\n")
        #expect(!all.contains(HubSpotConnectorTests.token) && !all.contains("shpat_"))
    }

    @Test("a redirect from an allowed server to an internal address is refused at that hop")
    func redirectToInternal() async throws {
        let inside = try LoopbackHTTPServer { _ in .init(body: "{}") }
        defer { inside.stop() }
        for target in [
            "http://localhost:\(inside.port)/admin", "http://169.254.169.254/latest/meta-data/iam",
            "http://127.0.0.2:\(inside.port)/",
        ] {
            let harness = try ConnectorHarness(
                connector: "hubspot", secrets: ["access_token": Self.token],
                egress: try EgressPolicy(allowing: ["127.0.0.1"], requireHTTPS: false)
            ) { _ in .init(status: 302, headers: ["Location": target], body: "") }
            defer { harness.stop() }
            let error = await failure {
                try await harness.tool("hubspot.list_deals", in: HubSpotConnector.operations).call(
                    [:], context: harness.context)
            }
            #expect(
                error?.message.hasPrefix("hubspot may not connect there: ") == true,
                "\(target): \(String(describing: error))")
            #expect(harness.log.all.count == 1)
        }
        #expect(inside.requestCount == 0)
    }

    @Test("an https service redirecting to http is refused; the credentials never go out in clear")
    func downgrade() async throws {
        let replay = ReplayTransport([
            .init(status: 301, headers: ["Location": "http://api.hubspot.example/crm/v3/objects/deals"], body: "")
        ])
        let (client, context) = try makeClient(
            "hubspot", settings: ["base_url": "https://api.hubspot.example"], secrets: ["access_token": Self.token],
            egress: EgressPolicy(), resolver: ScriptedHostResolver(["api.hubspot.example": ["93.184.215.14"]]),
            base: replay)
        let error = await failure {
            try await HubSpotConnector.operations.tool("hubspot.list_deals", client).call([:], context: context)
        }
        #expect(error?.message.contains("redirect from https to http (http://api.hubspot.example:80) refused") == true)
        #expect(replay.requests.count == 1)
    }
}
