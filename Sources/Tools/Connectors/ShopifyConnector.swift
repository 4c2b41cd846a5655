import AgentRuntime
import Foundation

/// Shopify Admin API (`https://<shop>/admin/api/2024-10/...`): REST for most
/// operations, GraphQL (`graphql.json`) for product search and creation; both
/// authenticated with an Admin API access token (`X-Shopify-Access-Token`). Setting:
/// `shop_domain` (e.g. `acme.myshopify.com`); secret: `access_token`. REST lists page
/// with cursor-based `page_info` taken from the `Link` header's `rel="next"`,
/// GraphQL ones with `pageInfo.endCursor`.
public enum ShopifyConnector {
    /// The Admin API version called.
    public static let apiVersion = "2024-10"

    /// The connector's operations: each one's spec and how it is performed.
    public static let operations: [ConnectorOperation] = [
        ConnectorOperation(
            ToolSpec(
                id: "shopify.list_products",
                description: "List products in the tenant's Shopify store with price, inventory and status.",
                parameters: .object(
                    [
                        "status": Schema.string("Product status", enum: ["active", "draft", "archived"]),
                        "limit": Schema.limit, "cursor": Schema.cursor,
                    ]),
                access: .read)
        ) { client, arguments, context in
            try await listPage("products", client, arguments, context, summary: productSummary) { limit in
                [("limit", limit), ("status", arguments["status"]?.stringValue)]
            }
        },
        ConnectorOperation(
            ToolSpec(
                id: "shopify.get_product",
                description: "Get one Shopify product with its variants.",
                parameters: .object(["id": Schema.integer("Product id", minimum: 1)], required: ["id"]),
                access: .read)
        ) { client, arguments, context in
            let id = try productID(arguments)
            let connection = try await connect(client, context)
            let response = try await client.send(
                connection.request("GET", connection.url("products/\(id).json")), connector: "shopify",
                secrets: [connection.token], describeError: describeError)
            guard let product = response.json["product"] else {
                throw ToolError("shopify returned an unexpected response")
            }
            return .json(productDetail(product))
        },
        ConnectorOperation(
            ToolSpec(
                id: "shopify.update_product",
                description: "Update a Shopify product's title, description, tags or status.",
                parameters: .object(
                    [
                        "id": Schema.integer("Product id", minimum: 1), "title": Schema.string("New title"),
                        "body_html": Schema.string("New description as HTML"),
                        "tags": Schema.string("Comma-separated tags"),
                        "status": Schema.string("New status", enum: ["active", "draft", "archived"]),
                    ], required: ["id"]),
                access: .write, requiresApproval: true)
        ) { client, arguments, context in
            let id = try productID(arguments)
            var product: JSONObject = ["id": .int(id)]
            for key in ["title", "body_html", "tags", "status"] {
                if let value = arguments[key]?.stringValue { product[key] = .string(value) }
            }
            guard product.members.count > 1 else {
                throw ToolError("nothing to update: give at least one of title, body_html, tags, status")
            }
            let connection = try await connect(client, context)
            let response = try await client.send(
                connection.request("PUT", connection.url("products/\(id).json"), body: ["product": .object(product)]),
                connector: "shopify", secrets: [connection.token], describeError: describeError)
            guard let updated = response.json["product"] else {
                throw ToolError("shopify returned an unexpected response")
            }
            return .json(productDetail(updated))
        },
        ConnectorOperation(
            ToolSpec(
                id: "shopify.list_orders",
                description: "List Shopify orders with totals, financial and fulfillment status.",
                parameters: .object(
                    [
                        "status": Schema.string("Order status", enum: ["open", "closed", "cancelled", "any"]),
                        "created_at_min": Schema.string(
                            "Only orders created at or after this time", format: "date-time"),
                        "limit": Schema.limit, "cursor": Schema.cursor,
                    ]),
                access: .read)
        ) { client, arguments, context in
            try await listPage("orders", client, arguments, context, summary: orderSummary) { limit in
                [
                    ("status", arguments["status"]?.stringValue ?? "any"), ("limit", limit),
                    ("created_at_min", arguments["created_at_min"]?.stringValue),
                ]
            }
        },
        searchProducts, createProduct,
    ]

    /// One page of `resource` (`products`, `orders`) as `{"<resource>": [summaries], "next_cursor": ...}`: the page
    /// the `cursor` argument names, else the first page with the query `firstPage` builds from the limit.
    static func listPage(
        _ resource: String, _ client: ConnectorClient, _ arguments: JSONValue, _ context: ToolContext,
        summary: (JSONValue) -> JSONValue,
        firstPage: (String) -> [(String, String?)]
    ) async throws -> ToolResult {
        let connection = try await connect(client, context)
        let limit = String(ConnectorClient.limit(arguments, default: 20))
        // With page_info, Shopify accepts only limit (and fields): the filters are part of the cursor.
        let query: [(String, String?)] =
            cursor(arguments).map { [("limit", limit), ("page_info", $0)] } ?? firstPage(limit)
        let response = try await client.send(
            connection.request("GET", connection.url("\(resource).json", query: query)), connector: "shopify",
            secrets: [connection.token], describeError: describeError)
        guard case .array(let items)? = response.json[resource] else {
            throw ToolError("shopify returned an unexpected response")
        }
        var data: JSONObject = [resource: .array(items.map(summary))]
        if let next = nextPageInfo(response.headers) { data["next_cursor"] = .string(next) }
        return .json(.object(data))
    }

    struct Connection {
        var base: URL
        var token: String

        func url(_ resource: String, query: [(String, String?)] = []) -> URL {
            ConnectorClient.url(base, path: resource, query: query)
        }

        func request(_ method: String, _ url: URL, body: JSONValue? = nil) -> HTTPRequest {
            ConnectorClient.jsonRequest(method, url, authentication: ("X-Shopify-Access-Token", token), body: body)
        }
    }

    static func connect(_ client: ConnectorClient, _ context: ToolContext) async throws -> Connection {
        let configuration = try await client.configuration("shopify", context: context)
        let shop = try normalizedShop(try client.setting("shop_domain", of: configuration))
        let token = try await client.secret("access_token", of: configuration, context: context)
        return Connection(
            base: try client.baseURL(configuration, standard: "https://\(shop)", apiPath: "/admin/api/\(apiVersion)"),
            token: token)
    }

    /// `acme.myshopify.com` from `acme.myshopify.com`, `https://acme.myshopify.com/` or `ACME.myshopify.com`.
    static func normalizedShop(_ text: String) throws -> String {
        if let problem = shopDomainProblem(text) {
            throw ToolError("shopify has an invalid shop_domain setting: \(problem)")
        }
        return normalize(text)
    }

    /// What is wrong with a `shop_domain` setting, or nil: it must be a store's own `<name>.myshopify.com` domain
    /// (a scheme, upper case and a trailing `/` are tolerated), never another host. A `base_url` setting may still
    /// point elsewhere, under the egress rules.
    public static func shopDomainProblem(_ text: String) -> String? {
        let shop = normalize(text)
        let suffix = ".myshopify.com"
        let name = shop.hasSuffix(suffix) ? shop.dropLast(suffix.count) : ""
        guard let first = name.first, first != "-",
            name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") })
        else {
            return "expected the store's myshopify.com domain, e.g. acme.myshopify.com"
        }
        return nil
    }

    private static func normalize(_ text: String) -> String {
        var shop = text.trimmingCharacters(in: .whitespaces).lowercased()
        for scheme in ["https://", "http://"] where shop.hasPrefix(scheme) { shop.removeFirst(scheme.count) }
        while shop.hasSuffix("/") { shop.removeLast() }
        return shop
    }

    static func cursor(_ arguments: JSONValue) -> String? {
        guard let cursor = arguments["cursor"]?.stringValue, !cursor.isEmpty else { return nil }
        return cursor
    }

    static func productID(_ arguments: JSONValue) throws -> Int {
        guard let id = arguments["id"]?.doubleValue ?? arguments["id"]?.stringValue.flatMap(Double.init), id >= 1,
            id == id.rounded()
        else {
            throw ToolError("\"id\" must be a Shopify product id (a positive integer)")
        }
        return Int(id)
    }

    /// The `page_info` of the `Link` header's `rel="next"` URL, if any.
    static func nextPageInfo(_ headers: HTTPHeaders) -> String? {
        guard let link = headers["link"] else { return nil }
        for part in link.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = pieces.first, target.hasPrefix("<"), target.hasSuffix(">"),
                pieces.dropFirst().contains(where: {
                    $0.replacingOccurrences(of: " ", with: "") == "rel=\"next\"" || $0 == "rel=next"
                })
            else { continue }
            let url = String(target.dropFirst().dropLast())
            if let value = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "page_info" })?.value,
                !value.isEmpty
            {
                return value
            }
        }
        return nil
    }

    /// Shopify's error body: `{"errors": "text"}`, `{"errors": {"field": ["message", ...]}}` or `{"errors": ["message"]}`.
    static func describeError(_ json: JSONValue) -> String? {
        switch json["errors"] {
        case .string(let message)?:
            return message
        case .object(let fields)?:
            return fields.map { field, value in
                let messages: [String]
                if case .array(let items) = value {
                    messages = items.map { $0.stringValue ?? $0.serialized() }
                } else {
                    messages = [value.stringValue ?? value.serialized()]
                }
                return field == "base"
                    ? messages.joined(separator: ", ") : "\(field) \(messages.joined(separator: ", "))"
            }.joined(separator: "; ")
        case .array(let items)?:
            return items.map { $0.stringValue ?? $0["message"]?.stringValue ?? $0.serialized() }.joined(separator: "; ")
        default:
            return ConnectorClient.defaultErrorMessage(json)
        }
    }

    /// The fields an agent needs from a variant.
    static func variantSummary(_ variant: JSONValue) -> JSONValue {
        [
            "id": variant["id"] ?? .null, "title": variant["title"] ?? .null, "sku": variant["sku"] ?? .null,
            "price": variant["price"] ?? .null,
            "inventory_quantity": variant["inventory_quantity"] ?? .null,
        ]
    }

    /// The fields an agent needs from a product in a list.
    static func productSummary(_ product: JSONValue) -> JSONValue {
        var variants: [JSONValue] = []
        if case .array(let items)? = product["variants"] { variants = items }
        let quantities = variants.compactMap { $0["inventory_quantity"]?.doubleValue }
        return [
            "id": product["id"] ?? .null, "title": product["title"] ?? .null, "status": product["status"] ?? .null,
            "vendor": product["vendor"] ?? .null,
            "product_type": product["product_type"] ?? .null, "tags": product["tags"] ?? .null,
            "handle": product["handle"] ?? .null,
            "updated_at": product["updated_at"] ?? .null,
            "total_inventory": quantities.isEmpty ? .null : .int(Int(quantities.reduce(0, +))),
            "variants": .array(variants.map(variantSummary)),
        ]
    }

    /// A product with its description and options.
    static func productDetail(_ product: JSONValue) -> JSONValue {
        guard case .object(var detail) = productSummary(product) else { return .null }
        detail["body_html"] = product["body_html"] ?? .null
        detail["created_at"] = product["created_at"] ?? .null
        detail["published_at"] = product["published_at"] ?? .null
        if case .array(let options)? = product["options"] {
            detail["options"] = .array(
                options.map { ["name": $0["name"] ?? .null, "values": $0["values"] ?? .array([])] })
        }
        return .object(detail)
    }

    /// The fields an agent needs from an order.
    static func orderSummary(_ order: JSONValue) -> JSONValue {
        var items: [JSONValue] = []
        if case .array(let lines)? = order["line_items"] {
            items = lines.map {
                [
                    "title": $0["title"] ?? .null, "sku": $0["sku"] ?? .null, "quantity": $0["quantity"] ?? .null,
                    "price": $0["price"] ?? .null,
                ]
            }
        }
        let customer = order["customer"]
        let name = [customer?["first_name"]?.stringValue, customer?["last_name"]?.stringValue].compactMap { $0 }.joined(
            separator: " ")
        return [
            "id": order["id"] ?? .null, "name": order["name"] ?? .null, "created_at": order["created_at"] ?? .null,
            "email": order["email"] ?? order["contact_email"] ?? .null,
            "customer": name.isEmpty ? .null : .string(name),
            "total_price": order["total_price"] ?? .null, "currency": order["currency"] ?? .null,
            "financial_status": order["financial_status"] ?? .null,
            "fulfillment_status": order["fulfillment_status"] ?? .null,
            "cancelled_at": order["cancelled_at"] ?? .null, "line_items": .array(items),
        ]
    }
}
