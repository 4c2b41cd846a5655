import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import Testing
import Tools

/// Shopify Admin REST wire format: /admin/api/2024-10/*.json, X-Shopify-Access-Token, Link-header page_info paging.
@Suite("Connector: Shopify")
struct ShopifyConnectorTests {
    static let token = "shpat_0123456789abcdef0123456789abcdef"
    static let product =
        #"{"id":632910392,"title":"IPod Nano - 8GB","body_html":"<p>It's the small iPod with one very big idea: Video.</p>","vendor":"Apple","product_type":"Cult Products","created_at":"2026-10-01T09:00:00-04:00","handle":"ipod-nano","updated_at":"2026-11-20T10:00:00-05:00","published_at":"2026-10-01T09:00:00-04:00","template_suffix":null,"published_scope":"global","tags":"Emotive, Flash Memory, MP3","status":"active","admin_graphql_api_id":"gid://shopify/Product/632910392","variants":[{"id":808950810,"product_id":632910392,"title":"Pink","price":"199.00","sku":"IPOD2008PINK","position":1,"inventory_policy":"continue","compare_at_price":null,"option1":"Pink","inventory_item_id":808950810,"inventory_quantity":10,"old_inventory_quantity":10},{"id":49148385,"product_id":632910392,"title":"Red","price":"199.00","sku":"IPOD2008RED","position":2,"option1":"Red","inventory_item_id":49148385,"inventory_quantity":20,"old_inventory_quantity":20}],"options":[{"id":594680422,"product_id":632910392,"name":"Color","position":1,"values":["Pink","Red"]}],"images":[]}"#
    static let order =
        ##"{"id":450789469,"admin_graphql_api_id":"gid://shopify/Order/450789469","contact_email":"bob.norman@mail.example.com","created_at":"2026-11-18T10:00:00-05:00","currency":"USD","current_total_price":"409.94","email":"bob.norman@mail.example.com","financial_status":"authorized","fulfillment_status":null,"cancelled_at":null,"name":"#1001","order_number":1001,"total_price":"409.94","customer":{"id":207119551,"email":"bob.norman@mail.example.com","first_name":"Bob","last_name":"Norman"},"line_items":[{"id":466157049,"title":"IPod Nano - 8GB","quantity":1,"price":"199.00","sku":"IPOD2008GREEN","variant_id":39072856}]}"##

    static func harness(
        _ respond: @escaping @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response
    ) throws -> ConnectorHarness {
        try ConnectorHarness(
            connector: "shopify", settings: ["shop_domain": "https://Acme.myshopify.com/"],
            secrets: ["access_token": token], respond: respond)
    }

    @Test(
        "list_products: X-Shopify-Access-Token, limit and status, next_cursor from the Link header; with a cursor only limit and page_info"
    )
    func listProducts() async throws {
        let harness = try Self.harness { request in
            if request.path.contains("page_info=") {
                return .init(
                    headers: [
                        "Content-Type": "application/json; charset=utf-8",
                        "Link":
                            #"<https://acme.myshopify.com/admin/api/2024-10/products.json?limit=1&page_info=eyJsYXN0X2lkIjo2MzI5MTAzOTJ9>; rel="previous""#,
                    ], body: #"{"products":[]}"#)
            }
            return .init(
                headers: [
                    "Content-Type": "application/json; charset=utf-8",
                    "Link":
                        #"<https://acme.myshopify.com/admin/api/2024-10/products.json?limit=1&page_info=eyJkaXJlY3Rpb24iOiJuZXh0IiwibGFzdF9pZCI6NjMyOTEwMzkyfQ>; rel="next""#,
                ], body: #"{"products":[\#(Self.product)]}"#)
        }
        defer { harness.stop() }
        let tool = harness.tool("shopify.list_products", in: ShopifyConnector.operations)
        let first = try await tool.call(["limit": 1, "status": "active"], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "GET")
        #expect(request.path == "/admin/api/2024-10/products.json?limit=1&status=active")
        #expect(request.headers["x-shopify-access-token"] == Self.token)
        #expect(request.headers["authorization"] == nil)
        #expect(first.data?["next_cursor"] == "eyJkaXJlY3Rpb24iOiJuZXh0IiwibGFzdF9pZCI6NjMyOTEwMzkyfQ")
        #expect(
            first.data?["products"]?.serialized()
                == #"[{"id":632910392,"title":"IPod Nano - 8GB","status":"active","vendor":"Apple","product_type":"Cult Products","tags":"Emotive, Flash Memory, MP3","handle":"ipod-nano","updated_at":"2026-11-20T10:00:00-05:00","total_inventory":30,"variants":[{"id":808950810,"title":"Pink","sku":"IPOD2008PINK","price":"199.00","inventory_quantity":10},{"id":49148385,"title":"Red","sku":"IPOD2008RED","price":"199.00","inventory_quantity":20}]}]"#
        )
        #expect(!first.content.contains(Self.token))

        let second = try await tool.call(
            ["limit": 1, "status": "active", "cursor": "eyJkaXJlY3Rpb24iOiJuZXh0IiwibGFzdF9pZCI6NjMyOTEwMzkyfQ"],
            context: harness.context)
        #expect(
            harness.log.last?.path
                == "/admin/api/2024-10/products.json?limit=1&page_info=eyJkaXJlY3Rpb24iOiJuZXh0IiwibGFzdF9pZCI6NjMyOTEwMzkyfQ"
        )
        #expect(second.data == ["products": []], "only rel=previous: the last page")
    }

    @Test("get_product returns the product with variants and options; update_product PUTs {product:{id,...}}")
    func productReadWrite() async throws {
        let harness = try Self.harness { _ in .init(body: #"{"product":\#(Self.product)}"#) }
        defer { harness.stop() }
        let tools = ShopifyConnector.operations
        let product = try await harness.tool("shopify.get_product", in: tools).call(
            ["id": 632910392], context: harness.context)
        #expect(harness.log.last?.method == "GET")
        #expect(harness.log.last?.path == "/admin/api/2024-10/products/632910392.json")
        #expect(product.data?["body_html"] == "<p>It's the small iPod with one very big idea: Video.</p>")
        #expect(product.data?["options"] == [["name": "Color", "values": ["Pink", "Red"]]])
        #expect(product.data?["total_inventory"] == 30)

        _ = try await harness.tool("shopify.update_product", in: tools).call(
            ["id": 632910392, "title": "iPod Nano 8GB", "tags": "Sale, MP3", "status": "draft"],
            context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "PUT")
        #expect(request.path == "/admin/api/2024-10/products/632910392.json")
        #expect(request.headers["content-type"] == "application/json")
        #expect(
            try JSONParser.value(request.body) == [
                "product": ["id": 632910392, "title": "iPod Nano 8GB", "tags": "Sale, MP3", "status": "draft"]
            ])

        let before = harness.log.all.count
        await #expect(throws: ToolError("nothing to update: give at least one of title, body_html, tags, status")) {
            _ = try await harness.tool("shopify.update_product", in: tools).call(
                ["id": 632910392], context: harness.context)
        }
        #expect(harness.log.all.count == before)
    }

    @Test("list_orders: status=any by default with created_at_min; orders summarised; next page from Link")
    func listOrders() async throws {
        let harness = try Self.harness { _ in
            .init(
                headers: [
                    "Content-Type": "application/json; charset=utf-8",
                    "Link":
                        #"<https://acme.myshopify.com/admin/api/2024-10/orders.json?limit=50&page_info=eyJvcmRlcnMiOjF9>; rel="previous", <https://acme.myshopify.com/admin/api/2024-10/orders.json?limit=50&page_info=eyJvcmRlcnMiOjJ9>; rel="next""#,
                ], body: #"{"orders":[\#(Self.order)]}"#)
        }
        defer { harness.stop() }
        let result = try await harness.tool("shopify.list_orders", in: ShopifyConnector.operations).call(
            ["limit": 50, "created_at_min": "2026-11-01T00:00:00+01:00"], context: harness.context)
        #expect(
            harness.log.last?.path
                == "/admin/api/2024-10/orders.json?status=any&limit=50&created_at_min=2026-11-01T00:00:00%2B01:00")
        #expect(result.data?["next_cursor"] == "eyJvcmRlcnMiOjJ9")
        #expect(
            result.data?["orders"] == [
                [
                    "id": 450789469, "name": "#1001", "created_at": "2026-11-18T10:00:00-05:00",
                    "email": "bob.norman@mail.example.com", "customer": "Bob Norman",
                    "total_price": "409.94", "currency": "USD", "financial_status": "authorized",
                    "fulfillment_status": nil, "cancelled_at": nil,
                    "line_items": [
                        ["title": "IPod Nano - 8GB", "sku": "IPOD2008GREEN", "quantity": 1, "price": "199.00"]
                    ],
                ]
            ])
        _ = try await harness.tool("shopify.list_orders", in: ShopifyConnector.operations).call(
            ["status": "open", "cursor": "eyJvcmRlcnMiOjJ9"], context: harness.context)
        #expect(harness.log.last?.path == "/admin/api/2024-10/orders.json?limit=20&page_info=eyJvcmRlcnMiOjJ9")
    }

    @Test("Shopify error bodies (text and per-field) become readable tool errors without the token")
    func errors() async throws {
        let harness = try Self.harness { request in
            if request.path.contains("/products/1.json") { return .init(status: 404, body: #"{"errors":"Not Found"}"#) }
            if request.method == "PUT" {
                return .init(
                    status: 422,
                    body: #"{"errors":{"title":["can't be blank"],"status":["is not included in the list"]}}"#)
            }
            return .init(
                status: 401,
                body:
                    #"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password) \#(Self.token)"}"#
            )
        }
        defer { harness.stop() }
        let tools = ShopifyConnector.operations
        await #expect(throws: ToolError("shopify found nothing there (HTTP 404): Not Found")) {
            _ = try await harness.tool("shopify.get_product", in: tools).call(["id": 1], context: harness.context)
        }
        await #expect(
            throws: ToolError(
                "shopify rejected the request (HTTP 422): title can't be blank; status is not included in the list")
        ) {
            _ = try await harness.tool("shopify.update_product", in: tools).call(
                ["id": 2, "title": ""], context: harness.context)
        }
        let error = await #expect(throws: ToolError.self) {
            _ = try await harness.tool("shopify.list_orders", in: tools).call([:], context: harness.context)
        }
        #expect(
            error?.message
                == "shopify rejected the credentials (HTTP 401): [API] Invalid API key or access token (unrecognized login or wrong password) [REDACTED]"
        )
        #expect(error?.message.contains(Self.token) == false)
    }

    @Test("a 429 with a decimal Retry-After is waited out once; a bad shop_domain is refused before any request")
    func rateLimitAndSettings() async throws {
        let limited = RateLimitOnce()
        let harness = try Self.harness { _ in
            limited.respond(
                ["Content-Type": "application/json", "Retry-After": "1.0", "X-Shopify-Shop-Api-Call-Limit": "40/40"],
                body:
                    #"{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}"#
            ) {
                .init(body: #"{"products":[]}"#)
            }
        }
        defer { harness.stop() }
        let started = ContinuousClock.now
        let result = try await harness.tool("shopify.list_products", in: ShopifyConnector.operations).call(
            [:], context: harness.context)
        #expect(ContinuousClock.now - started >= .milliseconds(900), "waited for Retry-After")
        #expect(harness.log.all.count == 2)
        #expect(result.data == ["products": []])

        let broken = try ConnectorHarness(
            connector: "shopify", settings: ["shop_domain": "acme.myshopify.com/admin?x"],
            secrets: ["access_token": Self.token]
        ) { _ in .init(body: "{}") }
        defer { broken.stop() }
        await #expect(
            throws: ToolError(
                "shopify has an invalid shop_domain setting: expected the store's myshopify.com domain, e.g. acme.myshopify.com"
            )
        ) {
            _ = try await broken.tool("shopify.list_products", in: ShopifyConnector.operations).call(
                [:], context: broken.context)
        }
        #expect(broken.log.all.isEmpty)
    }

    @Test("a Shopify shop must be a myshopify.com store: other hosts are refused at call time and in the tenant file")
    func shopifyDomain() async throws {
        for shop in [
            "evil.example", "127.0.0.1", "acme.myshopify.com.evil.example", "acme.myshopify.com@evil.example",
            "myshopify.com", "-acme.myshopify.com", "a.b.myshopify.com",
        ] {
            #expect(ShopifyConnector.shopDomainProblem(shop) != nil, "\(shop)")
            let transport = ReplayTransport([])
            let client = ConnectorClient(
                transport: transport,
                settings: StaticConnectorSettings([
                    "acme": [
                        ConnectorSettings(
                            connector: "shopify", settings: ["shop_domain": shop],
                            secrets: ["access_token": "shopify/access_token"])
                    ]
                ]))
            let context = ToolContext(
                runID: "run", agent: "agent", principal: Principal(tenant: "acme", user: "u", roles: [.tenantAdmin]),
                secrets: InMemorySecretStore([.tenant("acme"): ["shopify/access_token": Self.token]]))
            await #expect(
                throws: ToolError(
                    "shopify has an invalid shop_domain setting: expected the store's myshopify.com domain, e.g. acme.myshopify.com"
                ), "\(shop)"
            ) {
                _ = try await ShopifyConnector.operations.tool("shopify.list_products", client).call(
                    [:], context: context)
            }
            #expect(transport.requests.isEmpty)
        }
        for shop in ["acme.myshopify.com", "https://ACME-outdoor.myshopify.com/"] {
            #expect(ShopifyConnector.shopDomainProblem(shop) == nil, "\(shop)")
        }

        let file = """
            {"id": "acme", "name": "Acme",
             "connectors": {"shopify": {"settings": {"shop_domain": "shop.evil.example"}, "secrets": {"access_token": "shopify/access_token"}},
                            "wordpress": {"settings": {"site_url": "blog.acme.example"}, "secrets": {}}}}
            """
        let (tenant, diagnostics) = TenantCatalog.decode(
            Array(file.utf8), displayPath: "tenants/acme.json", stem: "acme", knownTools: ToolRegistry.standardIDs,
            settingsCheck: Connectors.settingProblem)
        #expect(tenant == nil)
        #expect(
            diagnostics.map(\.formatted).sorted() == [
                "tenants/acme.json:2:57: error: shopify setting \"shop_domain\": expected the store's myshopify.com domain, e.g. acme.myshopify.com [/connectors/shopify/settings/shop_domain]",
                "tenants/acme.json:3:56: error: wordpress setting \"site_url\": must be an absolute http or https URL, like https://blog.example.com [/connectors/wordpress/settings/site_url]",
            ])
    }
}
