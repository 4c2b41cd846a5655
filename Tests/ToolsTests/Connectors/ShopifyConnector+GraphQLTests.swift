import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

/// Shopify GraphQL Admin API wire format: `POST /admin/api/2024-10/graphql.json` with `{query, variables}` and
/// `X-Shopify-Access-Token`; `products(first:, after:, query:)`; `productCreate(product: ProductCreateInput!)`;
/// errors as a top-level `errors` array in an HTTP 200, or as the mutation's `userErrors`.
@Suite("Connector: Shopify GraphQL")
struct ShopifyConnectorGraphQLTests {
    static let token = ShopifyConnectorTests.token
    static let fields =
        "fragment ProductFields on Product { id title handle status vendor productType tags totalInventory updatedAt variants(first: 20) { nodes { id title sku price inventoryQuantity } } }"
    static let search =
        "query SearchProducts($first: Int!, $after: String, $query: String) { products(first: $first, after: $after, query: $query) { nodes { ...ProductFields } pageInfo { hasNextPage endCursor } } }\n"
        + fields
    static let create =
        "mutation CreateProduct($product: ProductCreateInput!) { productCreate(product: $product) { product { ...ProductFields } userErrors { field message } } }\n"
        + fields
    /// A product as the `ProductFields` fragment reads it.
    static let product =
        #"{"id":"gid://shopify/Product/108828309","title":"Trail Runner 2","handle":"trail-runner-2","status":"ACTIVE","vendor":"Acme","productType":"Shoes","tags":["running","trail"],"totalInventory":30,"updatedAt":"2026-11-20T15:00:00Z","variants":{"nodes":[{"id":"gid://shopify/ProductVariant/43729076","title":"Default Title","sku":"TR2-42","price":"129.00","inventoryQuantity":30}]}}"#
    static let cost =
        #""extensions":{"cost":{"requestedQueryCost":24,"actualQueryCost":6,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1994,"restoreRate":100.0}}}"#
    static let summary: JSONValue = [
        "id": "gid://shopify/Product/108828309", "title": "Trail Runner 2", "handle": "trail-runner-2",
        "status": "ACTIVE", "vendor": "Acme", "product_type": "Shoes", "tags": ["running", "trail"],
        "total_inventory": 30, "updated_at": "2026-11-20T15:00:00Z",
        "variants": [
            [
                "id": "gid://shopify/ProductVariant/43729076", "title": "Default Title", "sku": "TR2-42",
                "price": "129.00", "inventory_quantity": 30,
            ]
        ],
    ]

    @Test("search_products POSTs {query, variables} to graphql.json; nodes summarised; next_cursor from pageInfo")
    func searchProducts() async throws {
        let harness = try ShopifyConnectorTests.harness { request in
            request.text.contains(#""after""#)
                ? .init(
                    body:
                        #"{"data":{"products":{"nodes":[],"pageInfo":{"hasNextPage":false,"endCursor":null}}},\#(Self.cost)}"#
                )
                : .init(
                    body:
                        #"{"data":{"products":{"nodes":[\#(Self.product)],"pageInfo":{"hasNextPage":true,"endCursor":"eyJsYXN0X2lkIjoxMDg4MjgzMDl9"}}},\#(Self.cost)}"#
                )
        }
        defer { harness.stop() }
        let tool = harness.tool("shopify.search_products", in: ShopifyConnector.operations)
        let first = try await tool.call(
            ["query": "title:*runner* status:active", "limit": 5], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "POST")
        #expect(request.path == "/admin/api/2024-10/graphql.json")
        #expect(request.headers["x-shopify-access-token"] == Self.token)
        #expect(request.headers["content-type"] == "application/json")
        #expect(
            try JSONParser.value(request.body) == [
                "query": .string(Self.search),
                "variables": ["first": 5, "query": "title:*runner* status:active"],
            ])
        #expect(ShopifyConnector.productsQuery == Self.search)
        #expect(first.data == ["products": [Self.summary], "next_cursor": "eyJsYXN0X2lkIjoxMDg4MjgzMDl9"])
        #expect(!first.content.contains(Self.token))

        let second = try await tool.call(["cursor": "eyJsYXN0X2lkIjoxMDg4MjgzMDl9"], context: harness.context)
        #expect(
            try JSONParser.value(harness.log.last!.body)["variables"] == [
                "first": 20, "after": "eyJsYXN0X2lkIjoxMDg4MjgzMDl9",
            ])
        #expect(second.data == ["products": []])
    }

    @Test(
        "create_product sends productCreate(product:) with a ProductCreateInput, a draft unless told; returns the product"
    )
    func createProduct() async throws {
        let harness = try ShopifyConnectorTests.harness { _ in
            .init(
                body:
                    #"{"data":{"productCreate":{"product":\#(Self.product),"userErrors":[]}},\#(Self.cost)}"#)
        }
        defer { harness.stop() }
        let tool = harness.tool("shopify.create_product", in: ShopifyConnector.operations)
        #expect(tool.spec.access == .write)
        #expect(tool.spec.requiresApproval)
        let created = try await tool.call(
            [
                "title": "Trail Runner 2", "description_html": "<p>Light and grippy.</p>", "vendor": "Acme",
                "product_type": "Shoes", "tags": ["running", "trail"],
            ], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "POST")
        #expect(request.path == "/admin/api/2024-10/graphql.json")
        #expect(request.headers["x-shopify-access-token"] == Self.token)
        #expect(
            try JSONParser.value(request.body) == [
                "query": .string(Self.create),
                "variables": [
                    "product": [
                        "title": "Trail Runner 2", "descriptionHtml": "<p>Light and grippy.</p>", "vendor": "Acme",
                        "productType": "Shoes", "tags": ["running", "trail"], "status": "DRAFT",
                    ]
                ],
            ])
        #expect(created.data == Self.summary)

        _ = try await tool.call(
            ["title": "Gift card", "status": "active", "tags": "gift, card", "handle": "gift-card"],
            context: harness.context)
        #expect(
            try JSONParser.value(harness.log.last!.body)["variables"] == [
                "product": ["title": "Gift card", "handle": "gift-card", "tags": ["gift", "card"], "status": "ACTIVE"]
            ])

        let before = harness.log.all.count
        await #expect(throws: ToolError("\"title\" is required")) {
            _ = try await tool.call(["title": "  "], context: harness.context)
        }
        #expect(harness.log.all.count == before)
    }

    @Test("userErrors, top-level errors in an HTTP 200 (THROTTLED transient) and HTTP errors become tool errors")
    func errors() async throws {
        let harness = try ShopifyConnectorTests.harness { request in
            if request.text.contains("Bad input") {
                return .init(
                    body:
                        #"{"data":{"productCreate":{"product":null,"userErrors":[{"field":["title"],"message":"Title can't be blank"},{"field":["productOptions","0","values"],"message":"Option values can't be empty"},{"field":null,"message":"Product limit reached"}]}},\#(Self.cost)}"#
                )
            }
            if request.text.contains("No scope") {
                return .init(
                    body:
                        #"{"errors":[{"message":"Access denied for productCreate field. Required access: `write_products` access scope.","locations":[{"line":1,"column":70}],"path":["productCreate"],"extensions":{"code":"ACCESS_DENIED","documentation":"https://shopify.dev/api/usage/access-scopes"}}],"data":{"productCreate":null},\#(Self.cost)}"#
                )
            }
            if request.text.contains("busy") {
                return .init(
                    body:
                        #"{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],"extensions":{"cost":{"requestedQueryCost":202,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":45,"restoreRate":100.0}}}}"#
                )
            }
            if request.text.contains("revoked") {
                return .init(
                    status: 401,
                    body: #"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#)
            }
            return .init(
                body:
                    #"{"errors":[{"message":"Field 'bogus' doesn't exist on type 'Product'","locations":[{"line":1,"column":120}],"path":["query SearchProducts","products","nodes","bogus"],"extensions":{"code":"undefinedField","typeName":"Product","fieldName":"bogus"}}]}"#
            )
        }
        defer { harness.stop() }
        let expected: [(tool: ToolID, arguments: JSONValue, error: ToolError)] = [
            (
                "shopify.create_product", ["title": "Bad input"],
                ToolError(
                    "shopify did not create the product: title: Title can't be blank; productOptions.0.values: Option values can't be empty; Product limit reached"
                )
            ),
            (
                "shopify.create_product", ["title": "No scope"],
                ToolError(
                    "shopify rejected the GraphQL request: Access denied for productCreate field. Required access: `write_products` access scope. (at productCreate)"
                )
            ),
            (
                "shopify.search_products", ["query": "busy"],
                ToolError(
                    "shopify rate limit reached (GraphQL cost); try again shortly: Throttled", isTransient: true)
            ),
            (
                "shopify.search_products", ["query": "revoked"],
                ToolError(
                    "shopify rejected the credentials (HTTP 401): [API] Invalid API key or access token (unrecognized login or wrong password)"
                )
            ),
            (
                "shopify.search_products", [:],
                ToolError(
                    "shopify rejected the GraphQL request: Field 'bogus' doesn't exist on type 'Product' (at query SearchProducts.products.nodes.bogus)"
                )
            ),
        ]
        for (tool, arguments, error) in expected {
            await #expect(throws: error) {
                _ = try await harness.tool(tool, in: ShopifyConnector.operations).call(
                    arguments, context: harness.context)
            }
        }
    }
}
