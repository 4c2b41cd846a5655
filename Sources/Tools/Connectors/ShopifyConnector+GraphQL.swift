import AgentRuntime
import Foundation

/// Products through Shopify's GraphQL Admin API (`POST /admin/api/2024-10/graphql.json`, the same version and
/// `X-Shopify-Access-Token` as the REST operations): `products(first:, after:, query:)` and
/// `productCreate(product: ProductCreateInput!)` (the 2024-10 form; `input: ProductInput!` is deprecated).
/// GraphQL reports failures in an HTTP 200 too: a top-level `errors` array (syntax, access, `THROTTLED`) or a
/// mutation's `userErrors` (`field` path and `message`); both become tool errors naming the messages and fields.
extension ShopifyConnector {
    /// The fields read of every product: the same for a search and a creation.
    public static let productFields = """
        fragment ProductFields on Product { id title handle status vendor productType tags totalInventory updatedAt \
        variants(first: 20) { nodes { id title sku price inventoryQuantity } } }
        """

    /// The query of `shopify.search_products`.
    public static let productsQuery = """
        query SearchProducts($first: Int!, $after: String, $query: String) { \
        products(first: $first, after: $after, query: $query) { nodes { ...ProductFields } \
        pageInfo { hasNextPage endCursor } } }
        """ + "\n" + productFields

    /// The mutation of `shopify.create_product`.
    public static let productCreateMutation = """
        mutation CreateProduct($product: ProductCreateInput!) { productCreate(product: $product) { \
        product { ...ProductFields } userErrors { field message } } }
        """ + "\n" + productFields

    /// `shopify.search_products`: `products(first:, after:, query:)`.
    static let searchProducts = ConnectorOperation(
        ToolSpec(
            id: "shopify.search_products",
            description:
                "Search the products of the tenant's Shopify store (GraphQL Admin API) by Shopify's search syntax, e.g. \"title:*shirt* status:active\", \"sku:ABC-1\", \"vendor:Acme\"; returns id, title, handle, status and the variants' price and SKU.",
            parameters: .object(
                [
                    "query": Schema.string("Shopify product search query; omit to list every product"),
                    "limit": Schema.limit, "cursor": Schema.cursor,
                ]),
            access: .read)
    ) { client, arguments, context in
        var variables: JSONObject = ["first": .int(ConnectorClient.limit(arguments, default: 20))]
        if let query = arguments["query"]?.stringValue, !query.isEmpty { variables["query"] = .string(query) }
        if let after = cursor(arguments) { variables["after"] = .string(after) }
        let connection = try await connect(client, context)
        let data = try await connection.graphQL(client, query: productsQuery, variables: .object(variables))
        guard case .array(let products)? = data["products"]?["nodes"] else {
            throw ToolError("shopify returned an unexpected response")
        }
        var result: JSONObject = ["products": .array(products.map(graphQLProduct))]
        if data["products"]?["pageInfo"]?["hasNextPage"] == true,
            let next = data["products"]?["pageInfo"]?["endCursor"]?.stringValue
        {
            result["next_cursor"] = .string(next)
        }
        return .json(.object(result))
    }

    /// `shopify.create_product`: `productCreate(product:)`.
    static let createProduct = ConnectorOperation(
        ToolSpec(
            id: "shopify.create_product",
            description:
                "Create a product in the tenant's Shopify store (GraphQL Admin API productCreate). It is created as a draft unless a status is given, with one default variant.",
            parameters: .object(
                [
                    "title": Schema.string("Product title"),
                    "description_html": Schema.string("Description as HTML"),
                    "vendor": Schema.string("Vendor"), "product_type": Schema.string("Product type"),
                    "tags": Schema.array("Tags", items: Schema.string("Tag")),
                    "handle": Schema.string("URL handle; Shopify derives one from the title when omitted"),
                    "status": Schema.string("Status (default draft)", enum: ["active", "draft", "archived"]),
                ], required: ["title"]),
            access: .write, requiresApproval: true)
    ) { client, arguments, context in
        let product = try productCreateInput(arguments)
        let connection = try await connect(client, context)
        let data = try await connection.graphQL(
            client, query: productCreateMutation, variables: ["product": .object(product)])
        let payload = data["productCreate"]
        if let problems = userErrors(payload?["userErrors"]) {
            throw ToolError("shopify did not create the product: \(problems)")
        }
        guard let created = payload?["product"], created != .null else {
            throw ToolError("shopify returned an unexpected response")
        }
        return .json(graphQLProduct(created))
    }

    /// The `ProductCreateInput` from `create_product`'s arguments.
    static func productCreateInput(_ arguments: JSONValue) throws -> JSONObject {
        guard let title = arguments["title"]?.stringValue?.trimmingCharacters(in: .whitespaces), !title.isEmpty else {
            throw ToolError("\"title\" is required")
        }
        var product: JSONObject = ["title": .string(title)]
        for (argument, field) in [
            ("description_html", "descriptionHtml"), ("vendor", "vendor"), ("product_type", "productType"),
            ("handle", "handle"),
        ] {
            if let value = arguments[argument]?.stringValue, !value.isEmpty { product[field] = .string(value) }
        }
        switch arguments["tags"] {
        case .array(let tags)?: product["tags"] = .array(tags.filter { $0.stringValue?.isEmpty == false })
        case .string(let tags)?:
            let names = tags.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            product["tags"] = .array(names.filter { !$0.isEmpty }.map { JSONValue.string($0) })
        default: break
        }
        let status = arguments["status"]?.stringValue ?? "draft"
        guard ["active", "draft", "archived"].contains(status.lowercased()) else {
            throw ToolError("\"status\" must be one of active, draft, archived")
        }
        product["status"] = .string(status.uppercased())
        return product
    }

    /// `field.path: message` for each of a mutation's `userErrors` (the message alone without a field), or nil when
    /// there are none.
    static func userErrors(_ value: JSONValue?) -> String? {
        guard case .array(let errors)? = value, !errors.isEmpty else { return nil }
        return errors.map { error in
            let message = error["message"]?.stringValue ?? error.serialized()
            guard case .array(let path)? = error["field"], !path.isEmpty else { return message }
            let field = path.map { $0.stringValue ?? $0.serialized() }.joined(separator: ".")
            return "\(field): \(message)"
        }.joined(separator: "; ")
    }

    /// A GraphQL response's top-level `errors`: each message with its `path`, and whether Shopify throttled the call.
    static func graphQLErrors(_ value: JSONValue?) -> (message: String, throttled: Bool)? {
        guard case .array(let errors)? = value, !errors.isEmpty else { return nil }
        let message = errors.map { error in
            let text = error["message"]?.stringValue ?? error.serialized()
            guard case .array(let path)? = error["path"], !path.isEmpty else { return text }
            return "\(text) (at \(path.map { $0.stringValue ?? $0.serialized() }.joined(separator: ".")))"
        }.joined(separator: "; ")
        return (message, errors.contains { $0["extensions"]?["code"] == "THROTTLED" })
    }

    /// The fields an agent needs from a GraphQL `Product` (`ProductFields`).
    static func graphQLProduct(_ product: JSONValue) -> JSONValue {
        var variants: [JSONValue] = []
        if case .array(let nodes)? = product["variants"]?["nodes"] { variants = nodes }
        return [
            "id": product["id"] ?? .null, "title": product["title"] ?? .null, "handle": product["handle"] ?? .null,
            "status": product["status"] ?? .null, "vendor": product["vendor"] ?? .null,
            "product_type": product["productType"] ?? .null, "tags": product["tags"] ?? .null,
            "total_inventory": product["totalInventory"] ?? .null, "updated_at": product["updatedAt"] ?? .null,
            "variants": .array(
                variants.map {
                    [
                        "id": $0["id"] ?? .null, "title": $0["title"] ?? .null, "sku": $0["sku"] ?? .null,
                        "price": $0["price"] ?? .null, "inventory_quantity": $0["inventoryQuantity"] ?? .null,
                    ]
                }),
        ]
    }
}

extension ShopifyConnector.Connection {
    /// Posts `query` with `variables` to `graphql.json` and returns the response's `data`; a top-level `errors` array
    /// (in an HTTP 200) becomes a tool error with its messages and paths, transient when Shopify throttled the call.
    func graphQL(_ client: ConnectorClient, query: String, variables: JSONValue) async throws -> JSONValue {
        let response = try await client.send(
            request("POST", url("graphql.json"), body: ["query": .string(query), "variables": variables]),
            connector: "shopify", secrets: [token], describeError: ShopifyConnector.describeError)
        if let errors = ShopifyConnector.graphQLErrors(response.json["errors"]) {
            throw ToolError(
                errors.throttled
                    ? "shopify rate limit reached (GraphQL cost); try again shortly: \(errors.message)"
                    : "shopify rejected the GraphQL request: \(errors.message)",
                isTransient: errors.throttled)
        }
        guard let data = response.json["data"], data != .null else {
            throw ToolError("shopify returned an unexpected response")
        }
        return data
    }
}
