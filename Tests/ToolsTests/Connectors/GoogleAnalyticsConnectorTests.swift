import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

/// GA4 Data API v1beta wire format: POST /v1beta/properties/{id}:runReport, Bearer token, Google error bodies.
@Suite("Connector: Google Analytics")
struct GoogleAnalyticsConnectorTests {
    static let token = "ya29.a0AfB_byC-test-access-token-0123456789"
    static let report =
        #"{"dimensionHeaders":[{"name":"date"},{"name":"sessionSource"}],"metricHeaders":[{"name":"sessions","type":"TYPE_INTEGER"},{"name":"bounceRate","type":"TYPE_FLOAT"}],"rows":[{"dimensionValues":[{"value":"20261119"},{"value":"google"}],"metricValues":[{"value":"1234"},{"value":"0.4521"}]},{"dimensionValues":[{"value":"20261119"},{"value":"(direct)"}],"metricValues":[{"value":"567"},{"value":"0.38"}]}],"rowCount":14,"metadata":{"currencyCode":"USD","timeZone":"America/New_York"},"kind":"analyticsData#runReport"}"#

    static func harness(
        property: String = "properties/123456789",
        _ respond: @escaping @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response
    ) throws -> ConnectorHarness {
        try ConnectorHarness(
            connector: "google_analytics", settings: ["property_id": property], secrets: ["access_token": token],
            respond: respond)
    }

    @Test(
        "run_report POSTs dateRanges, dimensions, metrics and limit with Bearer auth; rows become named objects with numbers"
    )
    func runReport() async throws {
        let harness = try Self.harness { _ in .init(body: Self.report) }
        defer { harness.stop() }
        let result = try await harness.tool("google_analytics.run_report", in: GoogleAnalyticsConnector.operations)
            .call(
                [
                    "metrics": ["sessions", "bounceRate"], "dimensions": ["date", "sessionSource"],
                    "start_date": "7daysAgo", "end_date": "yesterday", "limit": 2,
                ], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "POST")
        #expect(request.path == "/v1beta/properties/123456789:runReport")
        #expect(request.headers["authorization"] == "Bearer \(Self.token)")
        #expect(request.headers["content-type"] == "application/json")
        #expect(
            try JSONParser.value(request.body) == [
                "dateRanges": [["startDate": "7daysAgo", "endDate": "yesterday"]],
                "dimensions": [["name": "date"], ["name": "sessionSource"]],
                "metrics": [["name": "sessions"], ["name": "bounceRate"]],
                "limit": 2,
            ])
        #expect(
            result.data?["rows"] == [
                ["date": "20261119", "sessionSource": "google", "sessions": 1234, "bounceRate": 0.4521],
                ["date": "20261119", "sessionSource": "(direct)", "sessions": 567, "bounceRate": 0.38],
            ])
        #expect(result.data?["dimensions"] == ["date", "sessionSource"])
        #expect(
            result.data?["metrics"] == [
                ["name": "sessions", "type": "TYPE_INTEGER"], ["name": "bounceRate", "type": "TYPE_FLOAT"],
            ])
        #expect(result.data?["row_count"] == 14)
        #expect(result.data?["truncated"] == true, "14 rows matched, 2 returned")
        #expect(result.data?["time_zone"] == "America/New_York")
        #expect(!result.content.contains(Self.token))
    }

    @Test("an empty report (no rows, no rowCount) is zero rows; no dimensions are sent when none are asked for")
    func emptyReport() async throws {
        let harness = try Self.harness(property: "987654321") { _ in
            .init(
                body:
                    #"{"metricHeaders":[{"name":"conversions","type":"TYPE_INTEGER"}],"metadata":{"currencyCode":"EUR","timeZone":"Europe/Berlin"},"kind":"analyticsData#runReport"}"#
            )
        }
        defer { harness.stop() }
        let result = try await harness.tool("google_analytics.run_report", in: GoogleAnalyticsConnector.operations)
            .call(
                ["metrics": ["conversions"], "start_date": "2026-11-01", "end_date": "2026-11-30"],
                context: harness.context)
        #expect(harness.log.last?.path == "/v1beta/properties/987654321:runReport")
        #expect(
            try JSONParser.value(harness.log.last!.body) == [
                "dateRanges": [["startDate": "2026-11-01", "endDate": "2026-11-30"]],
                "metrics": [["name": "conversions"]], "limit": 100,
            ])
        #expect(result.data?["rows"] == [])
        #expect(result.data?["row_count"] == 0)
        #expect(result.data?["truncated"] == nil)
    }

    @Test(
        "Google error bodies become readable tool errors with their status, without the token; bad arguments and settings never reach Google"
    )
    func errors() async throws {
        let harness = try Self.harness { request in
            if request.text.contains("sessionz") {
                return .init(
                    status: 400,
                    body:
                        #"{"error":{"code":400,"message":"Field sessionz is not a valid metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema ","status":"INVALID_ARGUMENT"}}"#
                )
            }
            return .init(
                status: 401,
                body:
                    #"{"error":{"code":401,"message":"Request had invalid authentication credentials (\#(Self.token)). Expected OAuth 2 access token, login cookie or other valid authentication credential.","status":"UNAUTHENTICATED"}}"#
            )
        }
        defer { harness.stop() }
        let tools = GoogleAnalyticsConnector.operations
        await #expect(
            throws: ToolError(
                "google_analytics rejected the request (HTTP 400): INVALID_ARGUMENT: Field sessionz is not a valid metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema "
            )
        ) {
            _ = try await harness.tool("google_analytics.run_report", in: tools).call(
                ["metrics": ["sessionz"], "start_date": "7daysAgo", "end_date": "today"], context: harness.context)
        }
        let error = await #expect(throws: ToolError.self) {
            _ = try await harness.tool("google_analytics.run_report", in: tools).call(
                ["metrics": ["sessions"], "start_date": "7daysAgo", "end_date": "today"], context: harness.context)
        }
        #expect(
            error?.message
                == "google_analytics rejected the credentials (HTTP 401): UNAUTHENTICATED: Request had invalid authentication credentials ([REDACTED]). Expected OAuth 2 access token, login cookie or other valid authentication credential."
        )
        #expect(error?.message.contains(Self.token) == false)

        let count = harness.log.all.count
        await #expect(throws: ToolError("\"metrics\" needs at least one metric name, e.g. sessions")) {
            _ = try await harness.tool("google_analytics.run_report", in: tools).call(
                ["metrics": [], "start_date": "7daysAgo", "end_date": "today"], context: harness.context)
        }
        #expect(harness.log.all.count == count)
        let misconfigured = try Self.harness(property: "UA-12345-1") { _ in .init(body: "{}") }
        defer { misconfigured.stop() }
        await #expect(
            throws: ToolError(
                "google_analytics has an invalid property_id setting; expected the GA4 property's numeric id, e.g. 123456789"
            )
        ) {
            _ = try await misconfigured.tool("google_analytics.run_report", in: GoogleAnalyticsConnector.operations)
                .call(
                    ["metrics": ["sessions"], "start_date": "7daysAgo", "end_date": "today"],
                    context: misconfigured.context)
        }
        #expect(misconfigured.log.all.isEmpty)
    }

    @Test("429 RESOURCE_EXHAUSTED: retried once, then a transient rate-limit error naming Google's quota message")
    func quotaExhausted() async throws {
        let harness = try Self.harness { _ in
            .init(
                status: 429,
                body:
                    #"{"error":{"code":429,"message":"Exhausted property tokens per hour quota. This property has used 40000 tokens in the last hour.","status":"RESOURCE_EXHAUSTED"}}"#
            )
        }
        defer { harness.stop() }
        let error = await #expect(throws: ToolError.self) {
            _ = try await harness.tool("google_analytics.run_report", in: GoogleAnalyticsConnector.operations).call(
                ["metrics": ["sessions"], "start_date": "7daysAgo", "end_date": "today"], context: harness.context)
        }
        #expect(
            error
                == ToolError(
                    "google_analytics rate limit reached; try again in 1 s (RESOURCE_EXHAUSTED: Exhausted property tokens per hour quota. This property has used 40000 tokens in the last hour.)",
                    isTransient: true))
        #expect(harness.log.all.count == 2)
    }
}
