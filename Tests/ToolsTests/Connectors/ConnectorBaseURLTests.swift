import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

/// `base_url` means the same for every connector: it replaces the scheme, host and port, keeps its own path as a
/// prefix, and the service's versioned API path always follows.
@Suite("Connectors: base_url")
struct ConnectorBaseURLTests {
    /// One operation of one connector, with what it needs to run and the path it must reach.
    struct Case: Sendable {
        var connector: String
        var tool: ToolID
        var arguments: JSONValue
        var settings: [String: String]
        var secrets: [String: String]
        /// A minimal answer in the service's format.
        var body: String
        /// The request's path (without the query) under `base_url`, versioned API path included.
        var path: String
        /// The request's URL (without the query) when there is no `base_url`.
        var standard: String
    }

    static let cases: [Case] = [
        Case(
            connector: "wordpress", tool: "wordpress.list_posts", arguments: ["limit": 1],
            settings: ["site_url": "https://blog.acme.test/news/", "username": "editor"],
            secrets: ["app_password": "abcd efgh ijkl mnop qrst uvwx"], body: "[]", path: "/wp-json/wp/v2/posts",
            standard: "https://blog.acme.test/news/wp-json/wp/v2/posts"),
        Case(
            connector: "hubspot", tool: "hubspot.list_deals", arguments: ["limit": 1], settings: [:],
            secrets: ["access_token": "pat-na1-00000000-0000-0000-0000-000000000000"], body: #"{"results":[]}"#,
            path: "/crm/v3/objects/deals", standard: "https://api.hubapi.com/crm/v3/objects/deals"),
        Case(
            connector: "zoho_crm", tool: "zoho_crm.list_leads", arguments: [:], settings: ["data_center": "eu"],
            secrets: ["access_token": "1000.abcdef0123456789.0123456789abcdef"],
            body: #"{"data":[],"info":{"more_records":false}}"#, path: "/crm/v6/Leads",
            standard: "https://www.zohoapis.eu/crm/v6/Leads"),
        Case(
            connector: "shopify", tool: "shopify.get_product", arguments: ["id": 632910392],
            settings: ["shop_domain": "acme.myshopify.com"],
            secrets: ["access_token": "shpat_0123456789abcdef0123456789abcdef"],
            body: #"{"product":{"id":632910392,"title":"IPod Nano - 8GB","variants":[]}}"#,
            path: "/admin/api/2024-10/products/632910392.json",
            standard: "https://acme.myshopify.com/admin/api/2024-10/products/632910392.json"),
        Case(
            connector: "shopify", tool: "shopify.search_products", arguments: ["query": "status:active"],
            settings: ["shop_domain": "acme.myshopify.com"],
            secrets: ["access_token": "shpat_0123456789abcdef0123456789abcdef"],
            body: #"{"data":{"products":{"nodes":[],"pageInfo":{"hasNextPage":false,"endCursor":null}}}}"#,
            path: "/admin/api/2024-10/graphql.json",
            standard: "https://acme.myshopify.com/admin/api/2024-10/graphql.json"),
        Case(
            connector: "google_analytics", tool: "google_analytics.run_report",
            arguments: ["metrics": ["sessions"], "start_date": "7daysAgo", "end_date": "today"],
            settings: ["property_id": "123456789"], secrets: ["access_token": "ya29.a0AfB_byC0000000000000000000"],
            body: #"{"rowCount":0,"kind":"analyticsData#runReport"}"#, path: "/v1beta/properties/123456789:runReport",
            standard: "https://analyticsdata.googleapis.com/v1beta/properties/123456789:runReport"),
        Case(
            connector: "stripe", tool: "stripe.list_customers", arguments: ["limit": 1], settings: [:],
            secrets: ["secret_key": "sk_test_0000000000000000000000000000"],
            body: #"{"object":"list","url":"/v1/customers","has_more":false,"data":[]}"#, path: "/v1/customers",
            standard: "https://api.stripe.com/v1/customers"),
        Case(
            connector: "slack", tool: "slack.list_channels", arguments: [:], settings: [:],
            secrets: ["bot_token": "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"],
            body: #"{"ok":true,"channels":[],"response_metadata":{"next_cursor":""}}"#, path: "/api/conversations.list",
            standard: "https://slack.com/api/conversations.list"),
        Case(
            connector: "mailchimp", tool: "mailchimp.list_audiences", arguments: [:], settings: [:],
            secrets: ["api_key": "0123456789abcdef0123456789abcdef-us21"], body: #"{"lists":[],"total_items":0}"#,
            path: "/3.0/lists", standard: "https://us21.api.mailchimp.com/3.0/lists"),
        Case(
            connector: "trello", tool: "trello.list_cards", arguments: ["board_id": "AbCd1234"], settings: [:],
            secrets: ["api_key": "0123456789abcdef0123456789abcdef", "token": "ATTA0123456789abcdef"], body: "[]",
            path: "/1/boards/AbCd1234/cards", standard: "https://api.trello.com/1/boards/AbCd1234/cards"),
    ]

    /// A base_url's own path: none, a bare `/`, and a proxy's prefix with and without a trailing `/`.
    static let prefixes: [(basePath: String, expected: String)] = [
        ("", ""), ("/", ""), ("/proxy", "/proxy"), ("/edge/proxy/", "/edge/proxy"),
    ]

    @Test("every connector: base_url replaces scheme, host and port; its path prefixes the versioned API path")
    func everyConnector() async throws {
        #expect(Set(Self.cases.map(\.connector)).count == 9, "all nine connectors")
        for testCase in Self.cases {
            for prefix in Self.prefixes {
                let harness = try ConnectorHarness(
                    connector: testCase.connector, settings: testCase.settings, secrets: testCase.secrets,
                    basePath: prefix.basePath
                ) { _ in .init(body: testCase.body) }
                defer { harness.stop() }
                _ = try await harness.tool(testCase.tool, in: Connectors.operations).call(
                    testCase.arguments, context: harness.context)
                let request = try #require(harness.log.last, "\(testCase.tool) with \(prefix.basePath)")
                let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init)
                #expect(
                    path == prefix.expected + testCase.path, "\(testCase.tool) with base path \(prefix.basePath)")
            }
        }
    }

    @Test("without a base_url each connector calls its service's own origin and versioned path")
    func standardOrigins() async throws {
        for testCase in Self.cases {
            let transport = ReplayTransport([.init(body: testCase.body)])
            let (client, context) = ConnectorHarness.replay(
                connector: testCase.connector, settings: testCase.settings, secrets: testCase.secrets,
                transport: transport)
            _ = try await Connectors.operations.tool(testCase.tool, client).call(testCase.arguments, context: context)
            let url = try #require(transport.requests.first?.url.absoluteString, "\(testCase.tool)")
            #expect(url.split(separator: "?", maxSplits: 1).first.map(String.init) == testCase.standard)
        }
    }

    @Test("a base_url that is not an absolute http(s) URL is refused before any request")
    func invalidBaseURL() async throws {
        let transport = ReplayTransport([])
        let (client, context) = ConnectorHarness.replay(
            connector: "stripe", settings: ["base_url": "ftp://proxy.example/stripe"],
            secrets: ["secret_key": "sk_test_0000"], transport: transport)
        await #expect(throws: ToolError("stripe has an invalid base URL setting")) {
            _ = try await StripeConnector.operations.tool("stripe.list_customers", client).call([:], context: context)
        }
        #expect(transport.requests.isEmpty)
        #expect(
            Connectors.settingProblem(connector: "stripe", setting: "base_url", value: "http://127.0.0.1:9/proxy")
                == nil)
    }
}
