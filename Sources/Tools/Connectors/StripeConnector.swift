import AgentRuntime
import Foundation

/// Stripe API (`https://api.stripe.com/v1`), authenticated with the account's
/// secret key as a Bearer token. Secret: `secret_key`. Lists page with
/// `limit`/`starting_after` and `has_more`; writes are form-encoded and carry an
/// `Idempotency-Key` so a retried request never creates a second object.
public enum StripeConnector {
    /// The connector's operations: each one's spec and how it is performed.
    public static let operations: [ConnectorOperation] = [
        ConnectorOperation(
            ToolSpec(
                id: "stripe.list_customers",
                description: "List Stripe customers, optionally filtered by email.",
                parameters: .object(
                    ["email": Schema.string("Exact email address"), "limit": Schema.limit, "cursor": Schema.cursor]),
                access: .read)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            let url = Self.url(
                connection.base, path: "customers",
                query: [
                    ("limit", String(ConnectorClient.limit(arguments, default: 20))),
                    ("email", arguments["email"]?.stringValue),
                    ("starting_after", try cursor(arguments)),
                ])
            let response = try await client.send(
                connection.request("GET", url), connector: "stripe", secrets: [connection.key],
                describeError: describeError)
            return try .json(.object(page(response.json, key: "customers", summary: customer)))
        },
        ConnectorOperation(
            ToolSpec(
                id: "stripe.list_invoices",
                description: "List Stripe invoices with amount, status and due date, optionally for one customer.",
                parameters: .object(
                    [
                        "customer": Schema.string("Customer id"),
                        "status": Schema.string(
                            "Invoice status", enum: ["draft", "open", "paid", "uncollectible", "void"]),
                        "limit": Schema.limit, "cursor": Schema.cursor,
                    ]),
                access: .read)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            let url = Self.url(
                connection.base, path: "invoices",
                query: [
                    ("limit", String(ConnectorClient.limit(arguments, default: 20))),
                    ("customer", arguments["customer"]?.stringValue),
                    ("status", arguments["status"]?.stringValue), ("starting_after", try cursor(arguments)),
                ])
            let response = try await client.send(
                connection.request("GET", url), connector: "stripe", secrets: [connection.key],
                describeError: describeError)
            var data = try page(response.json, key: "invoices", summary: invoice)
            data["amounts"] = "in the currency's smallest unit (e.g. cents; yen have none)"
            return .json(.object(data))
        },
        ConnectorOperation(
            ToolSpec(
                id: "stripe.create_customer",
                description: "Create a Stripe customer.",
                parameters: .object(
                    [
                        "email": Schema.string("Email address", format: "email"), "name": Schema.string("Full name"),
                        "description": Schema.string("Internal note"),
                    ], required: ["email"]),
                access: .write, requiresApproval: true)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            guard let email = arguments["email"]?.stringValue, !email.isEmpty else {
                throw ToolError("\"email\" is required")
            }
            var form = [("email", email)]
            for key in ["name", "description"] {
                if let value = arguments[key]?.stringValue, !value.isEmpty { form.append((key, value)) }
            }
            var request = connection.request(
                "POST", ConnectorClient.url(connection.base, path: "customers"), form: form)
            // The run's key for this call: a call repeated after a crash creates no second customer.
            request.headers.set("Idempotency-Key", context.idempotencyKey ?? UUID().uuidString)
            let response = try await client.send(
                request, connector: "stripe", secrets: [connection.key], describeError: describeError)
            return .json(customer(response.json))
        },
    ]

    struct Connection {
        var base: URL
        var key: String

        func request(_ method: String, _ url: URL, form: [(String, String)]? = nil) -> HTTPRequest {
            var headers: HTTPHeaders = ["Authorization": "Bearer \(key)", "Accept": "application/json"]
            if form != nil { headers.set("Content-Type", "application/x-www-form-urlencoded") }
            return HTTPRequest(method: method, url: url, headers: headers, body: form.map(ConnectorClient.formBody))
        }
    }

    /// ``ConnectorClient/url(_:path:query:)`` (which sends `+` as `%2B`; Stripe reads a bare `+` as a space).
    static func url(_ base: URL, path: String, query: [(String, String?)] = []) -> URL {
        ConnectorClient.url(base, path: path, query: query)
    }

    static func connect(_ client: ConnectorClient, _ context: ToolContext) async throws -> Connection {
        let configuration = try await client.configuration("stripe", context: context)
        let key = try await client.secret("secret_key", of: configuration, context: context)
        return Connection(
            base: try client.baseURL(configuration, standard: "https://api.stripe.com", apiPath: "/v1"), key: key)
    }

    /// The `cursor` argument: the id of the last object of the previous page.
    static func cursor(_ arguments: JSONValue) throws -> String? {
        guard let cursor = arguments["cursor"]?.stringValue, !cursor.isEmpty else { return nil }
        guard cursor.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw ToolError("\"cursor\" must be the next_cursor of a previous stripe page")
        }
        return cursor
    }

    /// `{"<key>": [...], "next_cursor": last id}` from a Stripe list object.
    static func page(_ list: JSONValue, key: String, summary: (JSONValue) -> JSONValue) throws -> JSONObject {
        guard case .array(let objects)? = list["data"] else {
            throw ToolError("stripe returned an unexpected response")
        }
        var data: JSONObject = [key: .array(objects.map(summary))]
        if list["has_more"] == true, let last = objects.last?["id"]?.stringValue { data["next_cursor"] = .string(last) }
        return data
    }

    /// The fields an agent needs from a customer.
    static func customer(_ customer: JSONValue) -> JSONValue {
        [
            "id": customer["id"] ?? .null, "email": customer["email"] ?? .null, "name": customer["name"] ?? .null,
            "description": customer["description"] ?? .null, "created": customer["created"] ?? .null,
            "currency": customer["currency"] ?? .null, "balance": customer["balance"] ?? .null,
            "delinquent": customer["delinquent"] ?? .null,
        ]
    }

    /// The fields an agent needs from an invoice.
    static func invoice(_ invoice: JSONValue) -> JSONValue {
        [
            "id": invoice["id"] ?? .null, "number": invoice["number"] ?? .null,
            "customer": invoice["customer"] ?? .null,
            "customer_email": invoice["customer_email"] ?? .null, "status": invoice["status"] ?? .null,
            "currency": invoice["currency"] ?? .null, "total": invoice["total"] ?? .null,
            "amount_due": invoice["amount_due"] ?? .null,
            "amount_paid": invoice["amount_paid"] ?? .null, "amount_remaining": invoice["amount_remaining"] ?? .null,
            "created": invoice["created"] ?? .null, "due_date": invoice["due_date"] ?? .null,
            "hosted_invoice_url": invoice["hosted_invoice_url"] ?? .null,
        ]
    }

    /// Stripe's `{"error":{"type","code","message","param"}}`: the message with its code and parameter.
    static func describeError(_ json: JSONValue) -> String? {
        guard let error = json["error"], let message = error["message"]?.stringValue else {
            return ConnectorClient.defaultErrorMessage(json)
        }
        let details = [
            error["code"]?.stringValue ?? error["type"]?.stringValue,
            error["param"]?.stringValue.map { "param: \($0)" },
        ].compactMap { $0 }
        return details.isEmpty ? message : "\(message) (\(details.joined(separator: ", ")))"
    }
}
