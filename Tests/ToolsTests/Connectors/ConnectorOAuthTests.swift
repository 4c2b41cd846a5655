import AgentRuntime
import AgentRuntimeTesting
import Clocks
import Foundation
import NIOTransport
import Testing
import Tools

/// OAuth 2 connectors that stay connected: a loopback token endpoint speaking the providers' documented formats
/// (`grant_type=refresh_token` form POSTs; `{"access_token","expires_in"}`; `{"error":"invalid_grant",...}`; Zoho's
/// HTTP 200 `{"error":"invalid_code"}`) and a loopback API that refuses any token but a fresh one.
@Suite("Connector OAuth refresh")
struct ConnectorOAuthTests {
    static let refreshToken = "1//0gRefresh-test-token-abcdefghij"
    static let clientID = "123456789-test.apps.googleusercontent.com"
    static let clientSecret = "GOCSPX-test-client-secret-xyz0123"
    static let staleToken = "ya29.stale-access-token-0123456789"
    static let oauthSecrets = [
        "refresh_token": refreshToken, "client_id": clientID, "client_secret": clientSecret,
    ]
    static let report =
        #"{"dimensionHeaders":[],"metricHeaders":[{"name":"sessions","type":"TYPE_INTEGER"}],"rows":[{"dimensionValues":[],"metricValues":[{"value":"42"}]}],"rowCount":1}"#
    static let reportArguments: JSONValue = ["metrics": ["sessions"], "start_date": "7daysAgo", "end_date": "today"]

    /// Google's answer to a refresh: a new access token (`ya29.fresh-<n>` for the n-th hit), valid for an hour.
    @Sendable static func googleToken(_ request: LoopbackHTTPServer.Request, hit: Int) -> LoopbackHTTPServer.Response {
        .init(
            body:
                #"{"access_token":"ya29.fresh-\#(hit)-access-token","expires_in":3599,"scope":"https://www.googleapis.com/auth/analytics.readonly","token_type":"Bearer"}"#
        )
    }

    /// The Data API: a report for a fresh token, Google's 401 for any other.
    @Sendable static func analytics(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        guard request.headers["authorization"]?.hasPrefix("Bearer ya29.fresh-") == true else {
            return .init(
                status: 401,
                body:
                    #"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"#
            )
        }
        return .init(body: report)
    }

    static func runReport(_ harness: OAuthHarness) async throws -> ToolResult {
        try await harness.tool("google_analytics.run_report", in: GoogleAnalyticsConnector.operations)
            .call(reportArguments, context: harness.context)
    }

    @Test(
        "the first call refreshes with a grant_type=refresh_token form POST; the token is reused until it nears expiry")
    func refreshOnExpiry() async throws {
        let harness = try OAuthHarness(
            connector: "google_analytics", settings: ["property_id": "123456789"], secrets: Self.oauthSecrets,
            token: Self.googleToken, api: Self.analytics)
        defer { harness.stop() }
        let result = try await Self.runReport(harness)
        #expect(result.data?["rows"] == [["sessions": 42]])
        let refresh = try #require(harness.tokenLog.last)
        #expect(refresh.method == "POST")
        #expect(refresh.path == "/token")
        #expect(refresh.headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(
            Self.form(refresh.text) == [
                "grant_type": "refresh_token", "refresh_token": Self.refreshToken, "client_id": Self.clientID,
                "client_secret": Self.clientSecret,
            ])
        #expect(harness.apiLog.last?.headers["authorization"] == "Bearer ya29.fresh-1-access-token")

        // 50 minutes later the token (valid for 3599 s) still has more than the 5-minute margin: no refresh.
        await harness.clock.advance(by: .seconds(50 * 60))
        _ = try await Self.runReport(harness)
        #expect(harness.tokenLog.all.count == 1)
        // Eight minutes later it has less: refreshed before the call.
        await harness.clock.advance(by: .seconds(8 * 60))
        _ = try await Self.runReport(harness)
        #expect(harness.tokenLog.all.count == 2)
        #expect(harness.apiLog.last?.headers["authorization"] == "Bearer ya29.fresh-2-access-token")
        #expect(harness.apiLog.all.count == 3, "no call was refused")
    }

    @Test("a 401 on the stored token refreshes it once and the call is retried with the new token")
    func refreshOnUnauthorized() async throws {
        var secrets = Self.oauthSecrets
        secrets["access_token"] = Self.staleToken
        let harness = try OAuthHarness(
            connector: "google_analytics", settings: ["property_id": "123456789"], secrets: secrets,
            token: Self.googleToken, api: Self.analytics)
        defer { harness.stop() }
        let result = try await Self.runReport(harness)
        #expect(result.data?["row_count"] == 1)
        #expect(
            harness.apiLog.all.map { $0.headers["authorization"] } == [
                "Bearer \(Self.staleToken)", "Bearer ya29.fresh-1-access-token",
            ])
        #expect(harness.tokenLog.all.count == 1)
    }

    @Test("two concurrent calls with an expired token cause exactly one refresh, and both use its token")
    func singleFlight() async throws {
        var secrets = Self.oauthSecrets
        secrets["access_token"] = Self.staleToken
        // Stored by an earlier refresh, expired before the test clock's epoch.
        secrets["access_token_expires_at"] = "1700000000"
        let harness = try OAuthHarness(
            connector: "google_analytics", settings: ["property_id": "123456789"], secrets: secrets,
            token: { request, hit in
                // The endpoint is slow enough for the second call to arrive while the first one's refresh runs.
                Thread.sleep(forTimeInterval: 0.3)
                return Self.googleToken(request, hit: hit)
            }, api: Self.analytics)
        defer { harness.stop() }
        async let first = Self.runReport(harness)
        async let second = Self.runReport(harness)
        let results = try await [first, second]
        #expect(results.allSatisfy { $0.data?["row_count"] == 1 })
        #expect(harness.tokenLog.all.count == 1, "one refresh for both calls")
        #expect(
            harness.apiLog.all.map { $0.headers["authorization"] }
                == Array(
                    repeating: "Bearer ya29.fresh-1-access-token", count: 2), "the expired token was never sent")
    }

    @Test(
        "a refused refresh (invalid_grant, Zoho's HTTP 200 invalid_code, HubSpot's BAD_REFRESH_TOKEN) asks to reconnect, naming connector, tenant and the provider's error, never a secret",
        arguments: [
            (
                "google_analytics", 400,
                #"{"error":"invalid_grant","error_description":"Token has been expired or revoked. (refresh_token=\#(ConnectorOAuthTests.refreshToken))"}"#,
                "invalid_grant: Token has been expired or revoked."
            ),
            ("zoho_crm", 200, #"{"error":"invalid_code"}"#, "invalid_code"),
            (
                "hubspot", 400,
                #"{"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token","correlationId":"c0ffee"}"#,
                "BAD_REFRESH_TOKEN: missing or unknown refresh token"
            ),
        ])
    func refused(connector: String, status: Int, body: String, reason: String) async throws {
        var secrets = Self.oauthSecrets
        secrets["access_token"] = Self.staleToken
        let harness = try OAuthHarness(
            connector: connector, settings: ["property_id": "123456789"], secrets: secrets,
            token: { _, _ in .init(status: status, body: body) },
            api: { _ in .init(status: 401, body: #"{"message":"expired","code":"INVALID_TOKEN","status":"error"}"#) })
        defer { harness.stop() }
        let tool: any Tool =
            switch connector {
            case "zoho_crm": harness.tool("zoho_crm.list_leads", in: ZohoCRMConnector.operations)
            case "hubspot": harness.tool("hubspot.list_deals", in: HubSpotConnector.operations)
            default: harness.tool("google_analytics.run_report", in: GoogleAnalyticsConnector.operations)
            }
        let thrown = await #expect(throws: ToolError.self) {
            _ = try await tool.call(Self.reportArguments, context: harness.context)
        }
        let error = try #require(thrown)
        #expect(error.code == ConnectorClient.reconnectRequired)
        #expect(!error.isTransient)
        #expect(
            error.description.hasPrefix(
                "[connector_reconnect_required] \(connector) must be reconnected for tenant acme"))
        #expect(error.message.contains(reason))
        for secret in [Self.refreshToken, Self.clientSecret, Self.staleToken] {
            #expect(!error.description.contains(secret))
        }
        #expect(harness.apiLog.all.count == 1, "the call was not retried without a token")
    }

    @Test(
        "a rotated refresh token is stored and used for the next refresh; the access token and its expiry are written back"
    )
    func rotationAndWriteBack() async throws {
        let harness = try OAuthHarness(
            connector: "google_analytics", settings: ["property_id": "123456789"], secrets: Self.oauthSecrets,
            token: { request, hit in
                .init(
                    body:
                        #"{"access_token":"ya29.fresh-\#(hit)-access-token","expires_in":"3600","refresh_token":"1//rotated-refresh-\#(hit)","token_type":"Bearer"}"#
                )
            }, api: Self.analytics)
        defer { harness.stop() }
        _ = try await Self.runReport(harness)
        let scope = SecretScope.tenant("acme")
        #expect(
            try await harness.store.secret("google_analytics/refresh_token", scope: scope) == "1//rotated-refresh-1")
        #expect(
            try await harness.store.secret("google_analytics/access_token", scope: scope)
                == "ya29.fresh-1-access-token")
        #expect(
            try await harness.store.secret("google_analytics/access_token_expires_at", scope: scope)
                == String(1_800_000_000 + 3600))

        await harness.clock.advance(by: .seconds(3600))
        _ = try await Self.runReport(harness)
        #expect(Self.form(try #require(harness.tokenLog.last).text)["refresh_token"] == "1//rotated-refresh-1")

        // Another process (a new cache) on the same store finds the stored token and does not refresh.
        let replica = try harness.sharing()
        _ = try await Self.runReport(replica)
        #expect(harness.tokenLog.all.count == 2)
        #expect(harness.apiLog.last?.headers["authorization"] == "Bearer ya29.fresh-2-access-token")
    }

    @Test(
        "with a read-only store the refreshed and rotated tokens live in memory and nothing is written; both are registered with the run, which masks them"
    )
    func readOnlyStore() async throws {
        let harness = try OAuthHarness(
            connector: "google_analytics", settings: ["property_id": "123456789"], secrets: Self.oauthSecrets,
            readOnly: true,
            token: { _, hit in
                .init(
                    body:
                        #"{"access_token":"ya29.fresh-\#(hit)-token","expires_in":3600,"refresh_token":"1//rotated-\#(hit)"}"#
                )
            }, api: Self.analytics)
        defer { harness.stop() }
        let registered = Registered()
        var context = harness.context
        context.registerSecret = { registered.append($0) }
        _ = try await harness.tool("google_analytics.run_report", in: GoogleAnalyticsConnector.operations)
            .call(Self.reportArguments, context: context)
        #expect(registered.values == ["ya29.fresh-1-token", "1//rotated-1"])
        await harness.clock.advance(by: .seconds(3600))
        _ = try await Self.runReport(harness)
        #expect(Self.form(try #require(harness.tokenLog.last).text)["refresh_token"] == "1//rotated-1")
        #expect(await harness.store.writes == 0)
    }

    @Test(
        "the token endpoint follows the provider and Zoho's data centre; the API domain does too",
        arguments: [
            ("zoho_crm", "com", "https://accounts.zoho.com/oauth/v2/token", "www.zohoapis.com"),
            ("zoho_crm", "eu", "https://accounts.zoho.eu/oauth/v2/token", "www.zohoapis.eu"),
            ("zoho_crm", "in", "https://accounts.zoho.in/oauth/v2/token", "www.zohoapis.in"),
            ("zoho_crm", "com.au", "https://accounts.zoho.com.au/oauth/v2/token", "www.zohoapis.com.au"),
            ("zoho_crm", "jp", "https://accounts.zoho.jp/oauth/v2/token", "www.zohoapis.jp"),
            ("zoho_crm", "ca", "https://accounts.zohocloud.ca/oauth/v2/token", "www.zohoapis.ca"),
            ("google_analytics", "", "https://oauth2.googleapis.com/token", "analyticsdata.googleapis.com"),
            ("hubspot", "", "https://api.hubapi.com/oauth/v1/token", "api.hubapi.com"),
        ])
    func endpoints(connector: String, dataCenter: String, tokenURL: String, apiHost: String) async throws {
        let transport = ReplayTransport([
            .init(
                body:
                    #"{"access_token":"1000.fresh-access-token-abc","api_domain":"https://www.zohoapis.com","token_type":"Bearer","expires_in":3600}"#
            ),
            .init(body: connector == "google_analytics" ? Self.report : #"{"data":[],"results":[]}"#),
        ])
        var settings = ["property_id": "123456789"]
        if !dataCenter.isEmpty { settings["data_center"] = dataCenter }
        let configuration = ConnectorSettings(
            connector: connector, settings: settings,
            secrets: Dictionary(uniqueKeysWithValues: Self.oauthSecrets.keys.map { ($0, "\(connector)/\($0)") }))
        let client = ConnectorClient(
            transport: transport, settings: StaticConnectorSettings(["acme": [configuration]]))
        let context = OAuthHarness.context(
            InMemorySecretStore([
                .tenant("acme"): Dictionary(
                    uniqueKeysWithValues: Self.oauthSecrets.map { ("\(connector)/\($0.key)", $0.value) })
            ]))
        let operations = ZohoCRMConnector.operations + GoogleAnalyticsConnector.operations + HubSpotConnector.operations
        let id: ToolID =
            switch connector {
            case "zoho_crm": "zoho_crm.list_leads"
            case "hubspot": "hubspot.list_deals"
            default: "google_analytics.run_report"
            }
        _ = try await operations.tool(id, client).call(Self.reportArguments, context: context)
        #expect(transport.requests.map(\.url.absoluteString).first == tokenURL)
        #expect(transport.requests.last?.url.host == apiHost)
        #expect(transport.requests.last?.headers["Authorization"]?.hasSuffix(" 1000.fresh-access-token-abc") == true)
        #expect(ZohoCRMConnector.tokenURL(dataCenter: "mars") == nil)
    }

    @Test("Zoho CRM sends the refreshed token as Zoho-oauthtoken and retries a 401 once")
    func zoho() async throws {
        var secrets = Self.oauthSecrets
        secrets["access_token"] = "1000.stale-zoho-token-0123"
        let harness = try OAuthHarness(
            connector: "zoho_crm", settings: ["data_center": "eu"], secrets: secrets,
            token: { _, hit in
                .init(
                    body:
                        #"{"access_token":"1000.fresh-\#(hit)-zoho","api_domain":"https://www.zohoapis.eu","token_type":"Bearer","expires_in":3600}"#
                )
            },
            api: { request in
                guard request.headers["authorization"] == "Zoho-oauthtoken 1000.fresh-1-zoho" else {
                    return .init(
                        status: 401,
                        body: #"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#
                    )
                }
                return .init(
                    body:
                        #"{"data":[{"id":"1","Last_Name":"Lovelace","Company":"Analytical"}],"info":{"more_records":false}}"#
                )
            })
        defer { harness.stop() }
        let result = try await harness.tool("zoho_crm.list_leads", in: ZohoCRMConnector.operations)
            .call([:], context: harness.context)
        #expect(result.data?["leads"]?[0]?["last_name"] == "Lovelace")
        #expect(harness.apiLog.all.count == 2)
        #expect(harness.tokenLog.all.count == 1)
    }

    @Test("HubSpot: an OAuth app's token is refreshed through the token endpoint; a private app's token is sent as is")
    func hubSpot() async throws {
        let api: @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response = { request in
            guard
                ["Bearer hubspot-fresh-1-token", "Bearer pat-na1-private-app-token"].contains(
                    request.headers["authorization"])
            else {
                return .init(
                    status: 401,
                    body:
                        #"{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}"#
                )
            }
            return .init(body: #"{"results":[{"id":"9","properties":{"dealname":"Renewal"}}]}"#)
        }
        let token: @Sendable (LoopbackHTTPServer.Request, Int) -> LoopbackHTTPServer.Response = { _, hit in
            .init(
                body:
                    #"{"token_type":"bearer","refresh_token":"\#(Self.refreshToken)","access_token":"hubspot-fresh-\#(hit)-token","expires_in":1800}"#
            )
        }
        let oauthApp = try OAuthHarness(
            connector: "hubspot", secrets: Self.oauthSecrets, token: token, api: api)
        defer { oauthApp.stop() }
        let deals = try await oauthApp.tool("hubspot.list_deals", in: HubSpotConnector.operations)
            .call([:], context: oauthApp.context)
        #expect(deals.data?["deals"]?[0]?["dealname"] == "Renewal")
        #expect(oauthApp.tokenLog.all.count == 1)
        #expect(Self.form(try #require(oauthApp.tokenLog.last).text)["grant_type"] == "refresh_token")

        let privateApp = try OAuthHarness(
            connector: "hubspot", secrets: ["access_token": "pat-na1-private-app-token"], token: token, api: api)
        defer { privateApp.stop() }
        _ = try await privateApp.tool("hubspot.list_deals", in: HubSpotConnector.operations)
            .call([:], context: privateApp.context)
        #expect(privateApp.apiLog.last?.headers["authorization"] == "Bearer pat-na1-private-app-token")
        #expect(privateApp.tokenLog.all.isEmpty)

        // A private-app token that is refused is reported, not refreshed.
        let revoked = try OAuthHarness(
            connector: "hubspot", secrets: ["access_token": "pat-na1-revoked-token"], token: token, api: api)
        defer { revoked.stop() }
        let thrown = await #expect(throws: ToolError.self) {
            _ = try await revoked.tool("hubspot.list_deals", in: HubSpotConnector.operations)
                .call([:], context: revoked.context)
        }
        let error = try #require(thrown)
        #expect(error.message.contains("HTTP 401"))
        #expect(error.code == nil)
        #expect(revoked.apiLog.all.count == 1)
        #expect(revoked.tokenLog.all.isEmpty)
    }

    /// A form body as a dictionary.
    static func form(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).removingPercentEncoding ?? String($0)
            }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }
}

/// An OAuth connector under test: a loopback token endpoint and a loopback API, tenant `acme`'s settings pointing at
/// both (`token_url`, `base_url`), its secrets in an in-memory store, and a test clock for expiry.
struct OAuthHarness {
    let tokenServer: LoopbackHTTPServer
    let api: LoopbackHTTPServer
    let tokenLog: RecordedRequests
    let apiLog: RecordedRequests
    let store: InMemorySecretStore
    let clock: TestClock<Duration>
    let client: ConnectorClient
    let context: ToolContext
    private let configuration: ConnectorSettings

    /// `secrets` (name → value) are stored at `<connector>/<name>`; `token` answers the n-th refresh; `readOnly`
    /// hides the store's writes from the connector.
    init(
        connector: String, settings: [String: String] = [:], secrets: [String: String], readOnly: Bool = false,
        token: @escaping @Sendable (LoopbackHTTPServer.Request, Int) -> LoopbackHTTPServer.Response,
        api respond: @escaping @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response
    ) throws {
        let tokenLog = RecordedRequests()
        let apiLog = RecordedRequests()
        tokenServer = try LoopbackHTTPServer { request in
            tokenLog.append(request)
            return token(request, tokenLog.all.count)
        }
        api = try LoopbackHTTPServer { request in
            apiLog.append(request)
            return respond(request)
        }
        var all = settings
        all["base_url"] = api.baseURL.absoluteString
        all["token_url"] = tokenServer.baseURL.appendingPathComponent("token").absoluteString
        configuration = ConnectorSettings(
            connector: connector, settings: all,
            secrets: Dictionary(
                uniqueKeysWithValues: secrets.keys.filter { $0 != "access_token_expires_at" }.map {
                    ($0, "\(connector)/\($0)")
                }))
        store = InMemorySecretStore([
            .tenant("acme"): Dictionary(uniqueKeysWithValues: secrets.map { ("\(connector)/\($0.key)", $0.value) })
        ])
        clock = TestClock()
        client = try Self.client(configuration, clock: clock)
        context = Self.context(readOnly ? ReadOnlySecretStore(base: store) : store)
        self.tokenLog = tokenLog
        self.apiLog = apiLog
    }

    private init(sharing other: OAuthHarness) throws {
        tokenServer = other.tokenServer
        api = other.api
        tokenLog = other.tokenLog
        apiLog = other.apiLog
        store = other.store
        clock = other.clock
        configuration = other.configuration
        client = try Self.client(configuration, clock: clock)
        context = other.context
    }

    /// Another process on the same servers, store and clock, with a cache of its own.
    func sharing() throws -> OAuthHarness { try OAuthHarness(sharing: self) }

    private static func client(_ configuration: ConnectorSettings, clock: TestClock<Duration>) throws -> ConnectorClient
    {
        ConnectorClient(
            transport: RedirectingTransport.guarded(
                try AsyncHTTPClientTransport(environment: [:]), egress: ConnectorHarness.loopback),
            settings: StaticConnectorSettings(["acme": [configuration]]), time: TimeSource(clock))
    }

    /// Tenant `acme`'s context over `store`.
    static func context(_ store: any SecretStore) -> ToolContext {
        ToolContext(
            runID: "run", agent: "agent", principal: Principal(tenant: "acme", user: "u", roles: [.tenantAdmin]),
            secrets: store)
    }

    /// The operation with `id` from `operations`, calling through this harness's client.
    func tool(_ id: ToolID, in operations: [ConnectorOperation]) -> any Tool { operations.tool(id, client) }

    func stop() {
        tokenServer.stop()
        api.stop()
    }
}

/// Secrets a tool registered with its run.
final class Registered: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    var values: [String] { lock.withLock { items } }
    func append(_ value: String) { lock.withLock { items.append(value) } }
}

/// A store that can only be read.
struct ReadOnlySecretStore: SecretStore {
    let base: any SecretStore

    func secret(_ path: String, scope: SecretScope) async throws -> String? {
        try await base.secret(path, scope: scope)
    }
}
