import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

/// Mailchimp Marketing API wire format: Basic `anystring:<key>`, data centre from the key, count/offset paging, problem+json errors.
@Suite("Connector: Mailchimp")
struct MailchimpConnectorTests {
    static let key = "0123456789abcdef0123456789abcdef-us21"
    static let basic = "Basic " + Data("anystring:\(key)".utf8).base64EncodedString()
    static let problem: HTTPHeaders = ["Content-Type": "application/problem+json; charset=utf-8"]

    @Test("list_audiences: Basic auth, count/offset and fields; next_offset while total_items remain")
    func listAudiences() async throws {
        let harness = try ConnectorHarness(connector: "mailchimp", secrets: ["api_key": Self.key]) { _ in
            .init(
                body:
                    #"{"lists":[{"id":"a1b2c3d4e5","name":"Newsletter","date_created":"2024-03-01T10:00:00+00:00","stats":{"member_count":1520,"unsubscribe_count":31,"open_rate":41.2,"click_rate":3.5}},{"id":"f6g7h8i9j0","name":"Customers","date_created":"2024-05-01T10:00:00+00:00","stats":{"member_count":310,"unsubscribe_count":2,"open_rate":52,"click_rate":7.25}}],"total_items":5}"#
            )
        }
        defer { harness.stop() }
        let result = try await harness.tool("mailchimp.list_audiences", in: MailchimpConnector.operations).call(
            ["limit": 2, "offset": 2], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "GET")
        #expect(
            request.path
                == "/3.0/lists?count=2&offset=2&fields=lists.id,lists.name,lists.date_created,lists.stats.member_count,lists.stats.unsubscribe_count,lists.stats.open_rate,lists.stats.click_rate,total_items"
        )
        #expect(request.headers["authorization"] == Self.basic)
        #expect(result.data?["total"] == 5)
        #expect(result.data?["next_offset"] == 4)
        #expect(
            result.data?["audiences"] == [
                [
                    "id": "a1b2c3d4e5", "name": "Newsletter", "member_count": 1520, "unsubscribe_count": 31,
                    "open_rate": 41.2, "click_rate": 3.5, "date_created": "2024-03-01T10:00:00+00:00",
                ],
                [
                    "id": "f6g7h8i9j0", "name": "Customers", "member_count": 310, "unsubscribe_count": 2,
                    "open_rate": 52, "click_rate": 7.25, "date_created": "2024-05-01T10:00:00+00:00",
                ],
            ])
        #expect(!result.content.contains(Self.key))
    }

    @Test(
        "list_campaigns filters by status, newest first; the last page has no next_offset and unsent campaigns no send_time"
    )
    func listCampaigns() async throws {
        let harness = try ConnectorHarness(connector: "mailchimp", secrets: ["api_key": Self.key]) { _ in
            .init(
                body:
                    #"{"campaigns":[{"id":"42694e9e57","status":"sent","emails_sent":1490,"send_time":"2026-10-01T09:00:00+00:00","create_time":"2026-09-30T16:00:00+00:00","settings":{"subject_line":"October news","title":"Oct newsletter"},"recipients":{"list_id":"a1b2c3d4e5"},"report_summary":{"opens":812,"unique_opens":640,"open_rate":0.4295,"clicks":120,"subscriber_clicks":96,"click_rate":0.0644,"ecommerce":{"total_orders":3,"total_spent":210,"total_revenue":210}}},{"id":"b03bfc2c45","status":"save","emails_sent":0,"send_time":"","create_time":"2026-10-20T08:00:00+00:00","settings":{"subject_line":"Black Friday","title":"BF draft"},"recipients":{"list_id":"a1b2c3d4e5"}}],"total_items":2}"#
            )
        }
        defer { harness.stop() }
        let result = try await harness.tool("mailchimp.list_campaigns", in: MailchimpConnector.operations).call(
            ["status": "sent"], context: harness.context)
        #expect(
            harness.log.last?.path
                == "/3.0/campaigns?count=20&offset=0&status=sent&sort_field=create_time&sort_dir=DESC&fields=campaigns.id,campaigns.status,campaigns.emails_sent,campaigns.send_time,campaigns.create_time,campaigns.settings.subject_line,campaigns.settings.title,campaigns.recipients.list_id,campaigns.report_summary,total_items"
        )
        #expect(harness.log.last?.headers["authorization"] == Self.basic)
        #expect(result.data?["next_offset"] == nil)
        #expect(result.data?["total"] == 2)
        #expect(
            result.data?["campaigns"] == [
                [
                    "id": "42694e9e57", "status": "sent", "title": "Oct newsletter", "subject_line": "October news",
                    "audience_id": "a1b2c3d4e5", "emails_sent": 1490,
                    "send_time": "2026-10-01T09:00:00+00:00",
                    "report_summary": [
                        "opens": 812, "unique_opens": 640, "open_rate": 0.4295, "clicks": 120, "subscriber_clicks": 96,
                        "click_rate": 0.0644,
                    ],
                ],
                [
                    "id": "b03bfc2c45", "status": "save", "title": "BF draft", "subject_line": "Black Friday",
                    "audience_id": "a1b2c3d4e5", "emails_sent": 0, "send_time": nil, "report_summary": nil,
                ],
            ])
    }

    @Test("add_member posts email_address, status (subscribed by default) and merge_fields FNAME/LNAME")
    func addMember() async throws {
        let harness = try ConnectorHarness(connector: "mailchimp", secrets: ["api_key": Self.key]) { _ in
            .init(
                body:
                    #"{"id":"852aaa9532cb36adfb5e9fef7a4206a9","email_address":"jane@acme.test","unique_email_id":"fab20fa03d","status":"subscribed","merge_fields":{"FNAME":"Jane","LNAME":"Roe"},"list_id":"a1b2c3d4e5","_links":[]}"#
            )
        }
        defer { harness.stop() }
        let tools = MailchimpConnector.operations
        let result = try await harness.tool("mailchimp.add_member", in: tools).call(
            ["audience_id": "a1b2c3d4e5", "email": "jane@acme.test", "first_name": "Jane", "last_name": "Roe"],
            context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "POST")
        #expect(request.path == "/3.0/lists/a1b2c3d4e5/members")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["authorization"] == Self.basic)
        #expect(
            try JSONParser.value(request.body) == [
                "email_address": "jane@acme.test", "status": "subscribed",
                "merge_fields": ["FNAME": "Jane", "LNAME": "Roe"],
            ])
        #expect(
            result.data == [
                "id": "852aaa9532cb36adfb5e9fef7a4206a9", "email_address": "jane@acme.test", "status": "subscribed",
                "audience_id": "a1b2c3d4e5", "merge_fields": ["FNAME": "Jane", "LNAME": "Roe"],
            ])

        _ = try await harness.tool("mailchimp.add_member", in: tools).call(
            ["audience_id": "a1b2c3d4e5", "email": "joe@acme.test", "status": "pending"], context: harness.context)
        #expect(
            try JSONParser.value(harness.log.last!.body) == ["email_address": "joe@acme.test", "status": "pending"])

        await #expect(throws: ToolError("\"audience_id\" is not a valid mailchimp id")) {
            _ = try await harness.tool("mailchimp.add_member", in: tools).call(
                ["audience_id": "../campaigns", "email": "joe@acme.test"], context: harness.context)
        }
        #expect(harness.log.all.count == 2)
    }

    @Test("list_members: GET /3.0/lists/{id}/members with count/offset, status and fields; members and total")
    func listMembers() async throws {
        let harness = try ConnectorHarness(connector: "mailchimp", secrets: ["api_key": Self.key]) { _ in
            .init(
                body:
                    #"{"members":[{"id":"852aaa9532cb36adfb5e9fef7a4206a9","email_address":"jane@acme.test","status":"subscribed","full_name":"Jane Roe","merge_fields":{"FNAME":"Jane","LNAME":"Roe","ADDRESS":"","PHONE":""},"last_changed":"2026-10-02T08:00:00+00:00"},{"id":"a2b4c6d8e0f1a2b4c6d8e0f1a2b4c6d8","email_address":"joe@acme.test","status":"subscribed","full_name":"","merge_fields":{"FNAME":"","LNAME":""},"last_changed":"2026-10-03T09:30:00+00:00"}],"list_id":"a1b2c3d4e5","total_items":7,"_links":[]}"#
            )
        }
        defer { harness.stop() }
        let tools = MailchimpConnector.operations
        let result = try await harness.tool("mailchimp.list_members", in: tools).call(
            ["audience_id": "a1b2c3d4e5", "status": "subscribed", "limit": 2, "offset": 4], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "GET")
        #expect(
            request.path
                == "/3.0/lists/a1b2c3d4e5/members?count=2&offset=4&status=subscribed&fields=members.id,members.email_address,members.status,members.full_name,members.merge_fields,members.last_changed,total_items"
        )
        #expect(request.headers["authorization"] == Self.basic)
        #expect(
            result.data == [
                "members": [
                    [
                        "id": "852aaa9532cb36adfb5e9fef7a4206a9", "email_address": "jane@acme.test",
                        "status": "subscribed", "full_name": "Jane Roe",
                        "merge_fields": ["FNAME": "Jane", "LNAME": "Roe", "ADDRESS": "", "PHONE": ""],
                        "last_changed": "2026-10-02T08:00:00+00:00",
                    ],
                    [
                        "id": "a2b4c6d8e0f1a2b4c6d8e0f1a2b4c6d8", "email_address": "joe@acme.test",
                        "status": "subscribed", "full_name": "", "merge_fields": ["FNAME": "", "LNAME": ""],
                        "last_changed": "2026-10-03T09:30:00+00:00",
                    ],
                ],
                "total": 7, "next_offset": 6,
            ])

        _ = try await harness.tool("mailchimp.list_members", in: tools).call(
            ["audience_id": "a1b2c3d4e5"], context: harness.context)
        #expect(
            harness.log.last?.path.hasPrefix("/3.0/lists/a1b2c3d4e5/members?count=20&offset=0&fields=members.id,")
                == true, "no status filter by default")
        await #expect(throws: ToolError("\"audience_id\" is not a valid mailchimp id")) {
            _ = try await harness.tool("mailchimp.list_members", in: tools).call(
                ["audience_id": "../campaigns"], context: harness.context)
        }
        #expect(harness.log.all.count == 2)
    }

    @Test("problem+json errors become readable tool errors without the key; 429 is retried once")
    func errors() async throws {
        let limited = RateLimitOnce()
        let harness = try ConnectorHarness(connector: "mailchimp", secrets: ["api_key": Self.key]) { request in
            if request.path.hasPrefix("/3.0/lists/a1b2c3d4e5/members") {
                return .init(
                    status: 400, headers: Self.problem,
                    body:
                        #"{"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":"Member Exists","status":400,"detail":"jane@acme.test is already a list member. Use PUT to insert or update list members.","instance":"2e3a2b6b-6c4f-4f0e-9d4f-3b8f5a2b1c0d"}"#
                )
            }
            if request.path.hasPrefix("/3.0/lists/z9/members") {
                return .init(
                    status: 400, headers: Self.problem,
                    body:
                        #"{"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":"Invalid Resource","status":400,"detail":"The resource submitted could not be validated. For field-specific details, see the 'errors' array.","instance":"0c1d","errors":[{"field":"email_address","message":"This value should be a valid email."}]}"#
                )
            }
            if request.path.hasPrefix("/3.0/campaigns") {
                return .init(
                    status: 401, headers: Self.problem,
                    body:
                        #"{"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":"API Key Invalid","status":401,"detail":"Your API key may be invalid, or you've attempted to access the wrong datacenter. Key: \#(Self.key)","instance":"9f8e"}"#
                )
            }
            return limited.respond(
                ["Retry-After": "1", "Content-Type": "application/problem+json"],
                body:
                    #"{"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":"Too Many Requests","status":429,"detail":"You have exceeded the limit of 10 simultaneous connections.","instance":"77aa"}"#
            ) {
                .init(body: #"{"lists":[],"total_items":0}"#)
            }
        }
        defer { harness.stop() }
        let tools = MailchimpConnector.operations
        await #expect(
            throws: ToolError(
                "mailchimp rejected the request (HTTP 400): Member Exists: jane@acme.test is already a list member. Use PUT to insert or update list members."
            )
        ) {
            _ = try await harness.tool("mailchimp.add_member", in: tools).call(
                ["audience_id": "a1b2c3d4e5", "email": "jane@acme.test"], context: harness.context)
        }
        await #expect(
            throws: ToolError(
                "mailchimp rejected the request (HTTP 400): Invalid Resource: The resource submitted could not be validated. For field-specific details, see the 'errors' array. (email_address: This value should be a valid email.)"
            )
        ) {
            _ = try await harness.tool("mailchimp.add_member", in: tools).call(
                ["audience_id": "z9", "email": "jane@"], context: harness.context)
        }
        await #expect(
            throws: ToolError(
                "mailchimp rejected the credentials (HTTP 401): API Key Invalid: Your API key may be invalid, or you've attempted to access the wrong datacenter. Key: [REDACTED]"
            )
        ) {
            _ = try await harness.tool("mailchimp.list_campaigns", in: tools).call([:], context: harness.context)
        }
        let started = ContinuousClock.now
        let listed = try await harness.tool("mailchimp.list_audiences", in: tools).call([:], context: harness.context)
        #expect(ContinuousClock.now - started >= .milliseconds(900), "waited for Retry-After")
        #expect(listed.data == ["audiences": [], "total": 0])
    }

    @Test("without a base_url the host is the key's data centre; a key without one is refused before any request")
    func dataCentre() async throws {
        let transport = ReplayTransport([.init(body: #"{"lists":[],"total_items":0}"#)])
        let store = InMemorySecretStore([
            .tenant("acme"): ["mailchimp/api_key": Self.key, "mailchimp/bad_key": "0123456789abcdef"]
        ])
        let context = ToolContext(
            runID: "run", agent: "agent", principal: Principal(tenant: "acme", user: "u", roles: [.tenantAdmin]),
            secrets: store)
        func client(_ path: String) -> ConnectorClient {
            ConnectorClient(
                transport: transport,
                settings: StaticConnectorSettings([
                    "acme": [ConnectorSettings(connector: "mailchimp", secrets: ["api_key": path])]
                ]))
        }
        _ = try await MailchimpConnector.operations.tool("mailchimp.list_audiences", client("mailchimp/api_key")).call(
            ["limit": 1], context: context)
        #expect(
            transport.requests.first?.url.absoluteString.hasPrefix(
                "https://us21.api.mailchimp.com/3.0/lists?count=1&offset=0") == true)
        await #expect(
            throws: ToolError(
                "the mailchimp API key has no data-centre suffix (it should end like \"-us21\"); ask an administrator to check it"
            )
        ) {
            _ = try await MailchimpConnector.operations.tool("mailchimp.list_audiences", client("mailchimp/bad_key"))
                .call([:], context: context)
        }
        #expect(transport.requests.count == 1)
    }
}
