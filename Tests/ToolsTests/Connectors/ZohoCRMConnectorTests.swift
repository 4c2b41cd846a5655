import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

/// Zoho CRM v6 wire format: /crm/v6/Leads, `Zoho-oauthtoken` auth, page/per_page with info.more_records.
@Suite("Connector: Zoho CRM")
struct ZohoCRMConnectorTests {
    static let token = "1000.8cb99dxxxxxxxxxxxxx9be93.9b8xxxxxxxxxxxxxxxf"
    static let lead =
        #"{"Owner":{"name":"Patricia Boyle","id":"5725767000000411001","email":"p.boyle@zylker.test"},"Company":"Zylker","Email":"kris@zylker.test","First_Name":"Kris","Last_Name":"Marrier","Phone":"555-555-5555","Lead_Source":"Web Download","Lead_Status":"Contacted","Created_Time":"2026-11-01T09:00:00+05:30","Modified_Time":"2026-11-20T10:15:00+05:30","id":"5725767000000649013"}"#

    static func harness(
        settings: [String: String] = ["data_center": "eu"],
        _ respond: @escaping @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response
    ) throws -> ConnectorHarness {
        try ConnectorHarness(
            connector: "zoho_crm", settings: settings, secrets: ["access_token": token], respond: respond)
    }

    @Test(
        "list_leads: fields, per_page, page and newest-modified sort; Zoho-oauthtoken auth; next_page from info.more_records"
    )
    func listLeads() async throws {
        let harness = try Self.harness { request in
            let more = request.path.contains("&page=1&") ? "true" : "false"
            return .init(
                body:
                    #"{"data":[\#(Self.lead)],"info":{"per_page":1,"next_page_token":null,"count":1,"sort_by":"Modified_Time","page":1,"sort_order":"desc","more_records":\#(more)}}"#
            )
        }
        defer { harness.stop() }
        let tool = harness.tool("zoho_crm.list_leads", in: ZohoCRMConnector.operations)
        let first = try await tool.call(["limit": 1], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "GET")
        #expect(
            request.path
                == "/crm/v6/Leads?fields=First_Name,Last_Name,Company,Email,Phone,Lead_Source,Lead_Status,Owner,Created_Time,Modified_Time&per_page=1&page=1&sort_by=Modified_Time&sort_order=desc"
        )
        #expect(request.headers["authorization"] == "Zoho-oauthtoken \(Self.token)")
        #expect(first.data?["next_page"] == 2)
        #expect(
            first.data?["leads"]?.serialized()
                == #"[{"id":"5725767000000649013","first_name":"Kris","last_name":"Marrier","company":"Zylker","email":"kris@zylker.test","phone":"555-555-5555","lead_source":"Web Download","lead_status":"Contacted","owner":"Patricia Boyle","modified_time":"2026-11-20T10:15:00+05:30"}]"#
        )
        let second = try await tool.call(["limit": 1, "page": 2], context: harness.context)
        #expect(harness.log.last?.path.contains("&per_page=1&page=2&") == true)
        #expect(second.data?["next_page"] == nil, "more_records false: the last page")
        #expect(!first.content.contains(Self.token))
    }

    @Test("list_leads: 204 No Content is an empty list")
    func noContent() async throws {
        let harness = try Self.harness { _ in .init(status: 204, headers: [:], body: "") }
        defer { harness.stop() }
        let result = try await harness.tool("zoho_crm.list_leads", in: ZohoCRMConnector.operations).call(
            [:], context: harness.context)
        #expect(result.data == ["leads": []])
        #expect(harness.log.last?.path.contains("per_page=20&page=1") == true)
    }

    @Test("create_lead POSTs {data:[record]} with Zoho field names and returns the new id")
    func createLead() async throws {
        let harness = try Self.harness { _ in
            .init(
                status: 201,
                body:
                    #"{"data":[{"code":"SUCCESS","details":{"Modified_Time":"2026-11-20T10:15:00+05:30","Modified_By":{"name":"Patricia Boyle","id":"5725767000000411001"},"Created_Time":"2026-11-20T10:15:00+05:30","id":"5725767000000652001","Created_By":{"name":"Patricia Boyle","id":"5725767000000411001"}},"message":"record added","status":"success"}]}"#
            )
        }
        defer { harness.stop() }
        let result = try await harness.tool("zoho_crm.create_lead", in: ZohoCRMConnector.operations).call(
            [
                "last_name": "Marrier", "first_name": "Kris", "company": "Zylker", "email": "kris@zylker.test",
                "lead_source": "Web Download",
            ], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "POST")
        #expect(request.path == "/crm/v6/Leads")
        #expect(request.headers["content-type"] == "application/json")
        #expect(
            try JSONParser.value(request.body) == [
                "data": [
                    [
                        "Last_Name": "Marrier", "First_Name": "Kris", "Company": "Zylker", "Email": "kris@zylker.test",
                        "Lead_Source": "Web Download",
                    ]
                ]
            ])
        #expect(
            result.data == [
                "id": "5725767000000652001", "code": "SUCCESS", "created_time": "2026-11-20T10:15:00+05:30",
            ])
    }

    @Test("Zoho error bodies (top-level and per record) become readable tool errors without the token")
    func errors() async throws {
        let harness = try Self.harness { request in
            if request.method == "GET" {
                return .init(
                    status: 401,
                    body:
                        #"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token \#(Self.token)","status":"error"}"#
                )
            }
            if request.text.contains("dup@") {
                return .init(
                    status: 202,
                    body:
                        #"{"data":[{"code":"DUPLICATE_DATA","details":{"api_name":"Email","json_path":"$.data[0].Email","duplicate_record":{"module":{"api_name":"Leads","id":"5725767000000002175"},"id":"5725767000000649013","Owner":{"name":"Patricia Boyle","id":"5725767000000411001","zuid":"808221795"}}},"message":"duplicate data","status":"error"}]}"#
                )
            }
            return .init(
                status: 400,
                body:
                    #"{"data":[{"code":"INVALID_DATA","details":{"expected_data_type":"email","api_name":"Email","json_path":"$.data[0].Email"},"message":"invalid data","status":"error"}]}"#
            )
        }
        defer { harness.stop() }
        let tools = ZohoCRMConnector.operations
        let error = await #expect(throws: ToolError.self) {
            _ = try await harness.tool("zoho_crm.list_leads", in: tools).call([:], context: harness.context)
        }
        #expect(
            error?.message
                == "zoho_crm rejected the credentials (HTTP 401): invalid oauth token [REDACTED] (INVALID_TOKEN)")
        #expect(error?.message.contains(Self.token) == false)
        await #expect(
            throws: ToolError("zoho_crm rejected the request (HTTP 400): invalid data (INVALID_DATA, field Email)")
        ) {
            _ = try await harness.tool("zoho_crm.create_lead", in: tools).call(
                ["last_name": "X", "company": "Y", "email": "not-an-email"], context: harness.context)
        }
        await #expect(
            throws: ToolError(
                "zoho_crm did not create the lead: duplicate data (DUPLICATE_DATA, field Email, existing record 5725767000000649013)"
            )
        ) {
            _ = try await harness.tool("zoho_crm.create_lead", in: tools).call(
                ["last_name": "X", "company": "Y", "email": "dup@zylker.test"], context: harness.context)
        }
    }

    @Test("a persistent 429 TOO_MANY_REQUESTS is retried once, then reported as a transient rate-limit error")
    func rateLimit() async throws {
        let harness = try Self.harness { _ in
            .init(
                status: 429,
                body:
                    #"{"code":"TOO_MANY_REQUESTS","details":{},"message":"Number of API requests per minute has exceeded the limit","status":"error"}"#
            )
        }
        defer { harness.stop() }
        let error = await #expect(throws: ToolError.self) {
            _ = try await harness.tool("zoho_crm.list_leads", in: ZohoCRMConnector.operations).call(
                [:], context: harness.context)
        }
        #expect(
            error
                == ToolError(
                    "zoho_crm rate limit reached; try again in 1 s (Number of API requests per minute has exceeded the limit (TOO_MANY_REQUESTS))",
                    isTransient: true))
        #expect(harness.log.all.count == 2)
    }

    @Test("data_center picks the zohoapis domain; an unknown one is refused before any request")
    func dataCenters() async throws {
        #expect(ZohoCRMConnector.apiDomain(dataCenter: "com") == "https://www.zohoapis.com")
        #expect(ZohoCRMConnector.apiDomain(dataCenter: "com.au") == "https://www.zohoapis.com.au")
        #expect(ZohoCRMConnector.apiDomain(dataCenter: "EU") == "https://www.zohoapis.eu")
        #expect(ZohoCRMConnector.apiDomain(dataCenter: "xx") == nil)
        let harness = try Self.harness(settings: ["data_center": "moon"]) { _ in .init(body: "{}") }
        defer { harness.stop() }
        await #expect(
            throws: ToolError(
                "zoho_crm has an unknown data_center \"moon\"; use one of com, eu, in, com.au, jp, ca, sa, com.cn")
        ) {
            _ = try await harness.tool("zoho_crm.list_leads", in: ZohoCRMConnector.operations).call(
                [:], context: harness.context)
        }
        await #expect(throws: ToolError("\"company\" is required")) {
            _ = try await harness.tool("zoho_crm.create_lead", in: ZohoCRMConnector.operations).call(
                ["last_name": "X"], context: harness.context)
        }
        #expect(harness.log.all.isEmpty)
    }
}
