import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

/// HubSpot CRM v3 wire format: /crm/v3/objects/..., Bearer access token, `after` paging.
@Suite("Connector: HubSpot")
struct HubSpotConnectorTests {
    static let token = "pat-na1-11111111-2222-3333-4444-555555555555"
    static let contact =
        #"{"id":"501","properties":{"company":"Acme","createdate":"2026-11-02T09:12:44.123Z","email":"jane@acme.test","firstname":"Jane","hs_object_id":"501","lastmodifieddate":"2026-11-20T10:00:00.000Z","lastname":"Doe","lifecyclestage":"lead","phone":null},"createdAt":"2026-11-02T09:12:44.123Z","updatedAt":"2026-11-20T10:00:00.000Z","archived":false}"#

    static func harness(
        _ respond: @escaping @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response
    ) throws -> ConnectorHarness {
        try ConnectorHarness(connector: "hubspot", secrets: ["access_token": token], respond: respond)
    }

    @Test("search_contacts: POSTs a search body with Bearer auth, summarises results, pages with paging.next.after")
    func searchContacts() async throws {
        let harness = try Self.harness { _ in
            .init(
                body: #"{"total":12,"results":[\#(Self.contact)],"paging":{"next":{"after":"15","link":"?after=15"}}}"#)
        }
        defer { harness.stop() }
        let result = try await harness.tool("hubspot.search_contacts", in: HubSpotConnector.operations).call(
            ["query": "acme", "limit": 5, "cursor": "10"], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "POST")
        #expect(request.path == "/crm/v3/objects/contacts/search")
        #expect(request.headers["authorization"] == "Bearer \(Self.token)")
        #expect(request.headers["content-type"] == "application/json")
        #expect(
            try JSONParser.value(request.body) == [
                "query": "acme", "limit": 5,
                "properties": ["email", "firstname", "lastname", "company", "phone", "lifecyclestage"], "after": "10",
            ])
        #expect(result.data?["next_cursor"] == "15")
        #expect(result.data?["total"] == 12)
        #expect(
            result.data?["contacts"]?.serialized()
                == #"[{"id":"501","email":"jane@acme.test","firstname":"Jane","lastname":"Doe","company":"Acme","phone":null,"lifecyclestage":"lead","updated_at":"2026-11-20T10:00:00.000Z"}]"#
        )
        #expect(!result.content.contains(Self.token))
    }

    @Test("list_deals: GET with limit, after and the deal properties; the last page has no next_cursor")
    func listDeals() async throws {
        let harness = try Self.harness { request in
            if request.path.contains("after=") {
                return .init(
                    body:
                        #"{"results":[{"id":"9001","properties":{"amount":"1500.00","closedate":"2026-12-15T00:00:00Z","createdate":"2026-11-01T08:00:00Z","dealname":"Acme renewal","dealstage":"contractsent","hs_lastmodifieddate":"2026-11-19T12:00:00Z","hs_object_id":"9001"},"createdAt":"2026-11-01T08:00:00Z","updatedAt":"2026-11-19T12:00:00Z","archived":false}]}"#
                )
            }
            return .init(
                body:
                    #"{"results":[],"paging":{"next":{"after":"9000","link":"https://api.hubapi.com/crm/v3/objects/deals?limit=2&after=9000"}}}"#
            )
        }
        defer { harness.stop() }
        let tool = harness.tool("hubspot.list_deals", in: HubSpotConnector.operations)
        let first = try await tool.call(["limit": 2], context: harness.context)
        #expect(
            harness.log.last?.path == "/crm/v3/objects/deals?limit=2&properties=dealname,amount,dealstage,closedate")
        #expect(harness.log.last?.method == "GET")
        #expect(harness.log.last?.headers["authorization"] == "Bearer \(Self.token)")
        #expect(first.data?["next_cursor"] == "9000")
        let second = try await tool.call(["limit": 2, "cursor": "9000"], context: harness.context)
        #expect(
            harness.log.last?.path
                == "/crm/v3/objects/deals?limit=2&after=9000&properties=dealname,amount,dealstage,closedate")
        #expect(
            second.data == [
                "deals": [
                    [
                        "id": "9001", "dealname": "Acme renewal", "amount": "1500.00", "dealstage": "contractsent",
                        "closedate": "2026-12-15T00:00:00Z",
                    ]
                ]
            ])
    }

    @Test("create_contact POSTs {properties}; update_contact PATCHes by id or by email with idProperty=email")
    func writes() async throws {
        let harness = try Self.harness { request in
            .init(status: request.method == "POST" ? 201 : 200, body: Self.contact)
        }
        defer { harness.stop() }
        let tools = HubSpotConnector.operations
        let created = try await harness.tool("hubspot.create_contact", in: tools).call(
            ["email": "jane@acme.test", "firstname": "Jane", "lastname": "Doe", "company": "Acme"],
            context: harness.context)
        #expect(harness.log.last?.method == "POST")
        #expect(harness.log.last?.path == "/crm/v3/objects/contacts")
        #expect(
            try JSONParser.value(harness.log.last!.body) == [
                "properties": ["email": "jane@acme.test", "firstname": "Jane", "lastname": "Doe", "company": "Acme"]
            ])
        #expect(created.data?["id"] == "501")
        #expect(created.data?["lifecyclestage"] == "lead")

        _ = try await harness.tool("hubspot.update_contact", in: tools).call(
            ["id": "501", "properties": ["lifecyclestage": "customer", "phone": "+1 555 0100"]],
            context: harness.context)
        #expect(harness.log.last?.method == "PATCH")
        #expect(harness.log.last?.path == "/crm/v3/objects/contacts/501")
        #expect(
            try JSONParser.value(harness.log.last!.body) == [
                "properties": ["lifecyclestage": "customer", "phone": "+1 555 0100"]
            ])

        _ = try await harness.tool("hubspot.update_contact", in: tools).call(
            ["id": "jane@acme.test", "properties": ["company": "Acme Corp"]], context: harness.context)
        #expect(harness.log.last?.path == "/crm/v3/objects/contacts/jane%40acme.test?idProperty=email")

        let before = harness.log.all.count
        await #expect(throws: ToolError("nothing to update: give at least one property in \"properties\"")) {
            _ = try await harness.tool("hubspot.update_contact", in: tools).call(
                ["id": "501", "properties": [:]], context: harness.context)
        }
        await #expect(throws: ToolError("\"id\" must be a HubSpot contact id (digits) or the contact's email address"))
        {
            _ = try await harness.tool("hubspot.update_contact", in: tools).call(
                ["id": "../deals/1", "properties": ["company": "x"]], context: harness.context)
        }
        #expect(harness.log.all.count == before)
    }

    @Test("HubSpot error bodies become readable tool errors with their category, without the token")
    func errors() async throws {
        let harness = try Self.harness { request in
            if request.method == "POST" {
                return .init(
                    status: 409,
                    body:
                        #"{"status":"error","message":"Contact already exists. Existing ID: 501","correlationId":"aeb5f871-7f07-4993-9211-075dc63e7cbf","category":"CONFLICT"}"#
                )
            }
            return .init(
                status: 401,
                body:
                    #"{"status":"error","message":"Authentication credentials not found. The token \#(Self.token) is expired.","correlationId":"4f0c5f2b-0e5a-4a0e-9d1f-2c8a1b7e6d53","category":"INVALID_AUTHENTICATION"}"#
            )
        }
        defer { harness.stop() }
        let tools = HubSpotConnector.operations
        await #expect(
            throws: ToolError(
                "hubspot rejected the request (HTTP 409): Contact already exists. Existing ID: 501 (CONFLICT)")
        ) {
            _ = try await harness.tool("hubspot.create_contact", in: tools).call(
                ["email": "jane@acme.test"], context: harness.context)
        }
        let error = await #expect(throws: ToolError.self) {
            _ = try await harness.tool("hubspot.list_deals", in: tools).call([:], context: harness.context)
        }
        #expect(
            error?.message
                == "hubspot rejected the credentials (HTTP 401): Authentication credentials not found. The token [REDACTED] is expired. (INVALID_AUTHENTICATION)"
        )
        #expect(error?.message.contains(Self.token) == false)
    }

    @Test("a 429 with HubSpot's RATE_LIMIT body is waited out once, then the call succeeds")
    func rateLimit() async throws {
        let limited = RateLimitOnce()
        let harness = try Self.harness { _ in
            limited.respond(
                [
                    "Content-Type": "application/json;charset=utf-8", "Retry-After": "1",
                    "X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Remaining": "0",
                ],
                body:
                    #"{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c033cdaa-2c40-4a64-ae48-b4cec88dad24","policyName":"TEN_SECONDLY_ROLLING"}"#
            ) {
                .init(body: #"{"total":0,"results":[]}"#)
            }
        }
        defer { harness.stop() }
        let started = ContinuousClock.now
        let result = try await harness.tool("hubspot.search_contacts", in: HubSpotConnector.operations).call(
            ["query": "nobody"], context: harness.context)
        #expect(ContinuousClock.now - started >= .milliseconds(900), "waited for Retry-After")
        #expect(harness.log.all.count == 2)
        #expect(result.data == ["contacts": [], "total": 0])
    }
}
