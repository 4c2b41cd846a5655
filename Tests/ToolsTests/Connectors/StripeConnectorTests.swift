import AgentRuntime
import Foundation
import Testing
import Tools

/// Stripe API wire format: /v1 lists with limit/starting_after/has_more, form-encoded writes, Bearer secret key.
@Suite("Connector: Stripe")
struct StripeConnectorTests {
    static let key = "sk_test_51NzAcmeSecretKey000111"
    static let customer =
        #"{"id":"cus_PQ1","object":"customer","email":"jane@acme.test","name":"Jane Roe","description":"VIP","created":1732000000,"currency":"usd","balance":0,"delinquent":false,"livemode":false,"metadata":{}}"#
    static let invoice =
        #"{"id":"in_1A","object":"invoice","number":"ACME-0001","customer":"cus_PQ1","customer_email":"jane@acme.test","status":"open","currency":"eur","total":12000,"amount_due":12000,"amount_paid":0,"amount_remaining":12000,"created":1732000000,"due_date":1734592000,"hosted_invoice_url":"https://invoice.stripe.com/i/acct_1/test_X","lines":{"object":"list","data":[]}}"#

    @Test("list_customers: Bearer key, email filter, next_cursor is the last id while has_more")
    func listCustomers() async throws {
        let harness = try ConnectorHarness(connector: "stripe", secrets: ["secret_key": Self.key]) { request in
            let more = !request.path.contains("starting_after")
            return .init(
                body: #"{"object":"list","url":"/v1/customers","has_more":\#(more),"data":[\#(Self.customer)]}"#)
        }
        defer { harness.stop() }
        let tool = harness.tool("stripe.list_customers", in: StripeConnector.operations)
        let first = try await tool.call(["email": "jane@acme.test", "limit": 5], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "GET")
        #expect(request.path == "/v1/customers?limit=5&email=jane@acme.test")
        #expect(request.headers["authorization"] == "Bearer \(Self.key)")
        #expect(first.data?["next_cursor"] == "cus_PQ1")
        #expect(
            first.data?["customers"]?.serialized()
                == #"[{"id":"cus_PQ1","email":"jane@acme.test","name":"Jane Roe","description":"VIP","created":1732000000,"currency":"usd","balance":0,"delinquent":false}]"#
        )
        #expect(!first.content.contains(Self.key))

        let second = try await tool.call(["cursor": "cus_PQ1"], context: harness.context)
        #expect(harness.log.last?.path == "/v1/customers?limit=20&starting_after=cus_PQ1")
        #expect(second.data?["next_cursor"] == nil)

        _ = try await tool.call(["email": "jane+vip@acme.test"], context: harness.context)
        #expect(
            harness.log.last?.path == "/v1/customers?limit=20&email=jane%2Bvip@acme.test",
            "a literal + is encoded, not read as a space")
    }

    @Test("list_invoices filters by customer and status and summarises amounts, status and due date")
    func listInvoices() async throws {
        let harness = try ConnectorHarness(connector: "stripe", secrets: ["secret_key": Self.key]) { _ in
            .init(body: #"{"object":"list","url":"/v1/invoices","has_more":false,"data":[\#(Self.invoice)]}"#)
        }
        defer { harness.stop() }
        let result = try await harness.tool("stripe.list_invoices", in: StripeConnector.operations).call(
            ["customer": "cus_PQ1", "status": "open", "limit": 10], context: harness.context)
        #expect(harness.log.last?.path == "/v1/invoices?limit=10&customer=cus_PQ1&status=open")
        #expect(result.data?["next_cursor"] == nil)
        let invoice = try #require(
            result.data?["invoices"].flatMap { if case .array(let items) = $0 { items.first } else { nil } })
        #expect(
            invoice == [
                "id": "in_1A", "number": "ACME-0001", "customer": "cus_PQ1", "customer_email": "jane@acme.test",
                "status": "open", "currency": "eur", "total": 12000, "amount_due": 12000, "amount_paid": 0,
                "amount_remaining": 12000, "created": 1732000000, "due_date": 1734592000,
                "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_X",
            ])
        await #expect(throws: ToolError("\"cursor\" must be the next_cursor of a previous stripe page")) {
            _ = try await harness.tool("stripe.list_invoices", in: StripeConnector.operations).call(
                ["cursor": "in_1&limit=100"], context: harness.context)
        }
    }

    @Test("create_customer posts a form-encoded body with an Idempotency-Key, reused when a 429 is retried")
    func createCustomer() async throws {
        let limited = RateLimitOnce()
        let harness = try ConnectorHarness(connector: "stripe", secrets: ["secret_key": Self.key]) { _ in
            limited.respond(
                ["Content-Type": "application/json"],
                body:
                    #"{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Request rate limit exceeded."}}"#
            ) {
                .init(body: Self.customer)
            }
        }
        defer { harness.stop() }
        let started = ContinuousClock.now
        let created = try await harness.tool("stripe.create_customer", in: StripeConnector.operations).call(
            ["email": "jane@acme.test", "name": "Jane Roe", "description": "VIP & friend"], context: harness.context)
        #expect(ContinuousClock.now - started >= .milliseconds(900), "waited before retrying the 429")
        #expect(created.data?["id"] == "cus_PQ1")
        let requests = harness.log.all
        #expect(requests.count == 2)
        let request = try #require(requests.last)
        #expect(request.method == "POST")
        #expect(request.path == "/v1/customers")
        #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(request.text == "email=jane%40acme.test&name=Jane%20Roe&description=VIP%20%26%20friend")
        let key = try #require(request.headers["idempotency-key"])
        #expect(!key.isEmpty)
        #expect(requests.first?.headers["idempotency-key"] == key)

        // Inside a journaled run the key is the run's, the same in every attempt of the same call.
        var context = harness.context
        context.idempotencyKey = "run-7-call-2"
        _ = try await harness.tool("stripe.create_customer", in: StripeConnector.operations).call(
            ["email": "jane@acme.test"], context: context)
        #expect(harness.log.all.last?.headers["idempotency-key"] == "run-7-call-2")
    }

    @Test("Stripe error bodies become readable tool errors without the secret key")
    func errors() async throws {
        let harness = try ConnectorHarness(connector: "stripe", secrets: ["secret_key": Self.key]) { request in
            if request.path.hasPrefix("/v1/invoices") {
                return .init(
                    status: 401,
                    body:
                        #"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: \#(Self.key)"}}"#
                )
            }
            return .init(
                status: 400,
                body:
                    #"{"error":{"type":"invalid_request_error","code":"email_invalid","message":"Invalid email address: jane@","param":"email","doc_url":"https://stripe.com/docs/error-codes/email-invalid"}}"#
            )
        }
        defer { harness.stop() }
        let tools = StripeConnector.operations
        await #expect(
            throws: ToolError(
                "stripe rejected the request (HTTP 400): Invalid email address: jane@ (email_invalid, param: email)")
        ) {
            _ = try await harness.tool("stripe.create_customer", in: tools).call(
                ["email": "jane@"], context: harness.context)
        }
        await #expect(
            throws: ToolError(
                "stripe rejected the credentials (HTTP 401): Invalid API Key provided: [REDACTED] (invalid_request_error)"
            )
        ) {
            _ = try await harness.tool("stripe.list_invoices", in: tools).call([:], context: harness.context)
        }
    }
}
