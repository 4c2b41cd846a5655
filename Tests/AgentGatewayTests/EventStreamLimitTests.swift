import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Agents
import Clocks
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Tools

/// Caps on open event streams (per tenant and per replica) and their longest lifetime. Each test has a time limit: a
/// stream that is not refused or ended as it should be would otherwise stay open for good.
@Suite("Gateway: event stream caps and lifetime", .timeLimit(.minutes(1)))
struct EventStreamLimitTests {
    typealias F = GatewayFixture

    /// A fixture whose streams are capped at `perTenant` and `total`, with runs that never end on their own
    /// (`running`, carried out by nobody): `acme-1`…`acme-3` and `globex-1`…`globex-2`.
    static func fixture(
        perTenant: Int = 2, total: Int = 3, lifetime: Duration = .seconds(3600), time: TimeSource = .system
    ) async throws -> F {
        var configuration = GatewayConfiguration(
            serviceToken: F.token, heartbeatInterval: .milliseconds(50), eventPollInterval: .milliseconds(20))
        configuration.maxStreamsPerTenant = perTenant
        configuration.maxStreams = total
        configuration.maxStreamLifetime = lifetime
        configuration.time = time
        let fixture = try F(configuration: configuration)
        for (tenant, count) in [("acme", 3), ("globex", 2)] {
            for number in 1...count {
                try await fixture.services.store.insert(
                    RunRecord(
                        id: RunID("\(tenant)-\(number)"), tenant: TenantID(tenant), user: "ada", crew: "seo-audit",
                        status: .running, inputs: [:]))
            }
        }
        return fixture
    }

    /// Waits (briefly, polling) until `condition` holds.
    static func eventually(_ condition: () async -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return await condition()
    }

    @Test(
        "past the per-tenant or the replica's cap a stream is refused with 429 RATE_LIMITED and Retry-After; streams a client drops give their place back"
    )
    func caps() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.directory.remove() }
        let streams = fixture.services.streams
        try await fixture.app.test(.router) { client in
            func open(_ tenant: String, _ run: String) -> Task<Void, any Error> {
                Task {
                    _ = try await client.execute(
                        uri: "/v1/runs/\(run)/events", method: .get, headers: F.headers(tenant: tenant)
                    ) { $0.status }
                }
            }
            let held = [open("acme", "acme-1"), open("acme", "acme-2")]
            #expect(try await Self.eventually { await streams.openStreams(tenant: "acme") == 2 })
            try await client.execute(uri: "/v1/runs/acme-3/events", method: .get, headers: F.headers()) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "10")
                let error = try F.json(response)["error"]
                #expect(error?["code"] == "RATE_LIMITED")
                #expect(error?["message"]?.stringValue?.hasPrefix("tenant acme has 2 event streams open") == true)
            }
            let other = open("globex", "globex-1")
            #expect(try await Self.eventually { await streams.openStreams == 3 })
            try await client.execute(
                uri: "/v1/runs/globex-2/events", method: .get, headers: F.headers(tenant: "globex")
            ) { response in
                #expect(response.status == .tooManyRequests)
                try #expect(
                    F.json(response)["error"]?["message"]?.stringValue?.hasPrefix(
                        "the service has 3 event streams open") == true)
            }
            // Clients going away (their requests cancelled) give the places back.
            for task in held + [other] { task.cancel() }
            #expect(try await Self.eventually { await streams.openStreams == 0 })
            let again = open("acme", "acme-3")
            #expect(try await Self.eventually { await streams.openStreams(tenant: "acme") == 1 })
            again.cancel()
            #expect(try await Self.eventually { await streams.openStreams == 0 })
        }
    }

    @Test("a stream of a run that ends gives its place back when it closes")
    func runEnd() async throws {
        let fixture = try await Self.fixture(perTenant: 1, total: 1)
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            for _ in 0..<3 {
                let id = try await client.execute(
                    uri: "/v1/agents/seo-specialist/invoke", method: .post, headers: F.headers(),
                    body: F.body(["prompt": "Audit the homepage"])
                ) { try F.json($0)["data"]?["run_id"]?.stringValue ?? "" }
                try await client.execute(uri: "/v1/runs/\(id)/events", method: .get, headers: F.headers()) {
                    response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("event: run_finished"))
                }
                #expect(await fixture.services.streams.openStreams == 0)
            }
        }
    }

    @Test(
        "a stream open for its longest lifetime ends with a reconnect event naming the last event id, and gives its place back"
    )
    func lifetime() async throws {
        let clock = TestClock()
        let fixture = try await Self.fixture(lifetime: .seconds(60), time: TimeSource(clock))
        defer { fixture.directory.remove() }
        try await fixture.services.store.append(
            RunEvent(
                runID: "acme-1", sequence: 1, timestamp: Date(), agentPath: [],
                kind: .runStarted(crew: "seo-audit", inputs: [:])))
        try await fixture.app.test(.router) { client in
            async let body = client.execute(uri: "/v1/runs/acme-1/events", method: .get, headers: F.headers()) {
                String(buffer: $0.body)
            }
            #expect(try await Self.eventually { await fixture.services.streams.openStreams == 1 })
            await clock.advance(by: .seconds(59))
            try await Task.sleep(for: .milliseconds(100))
            #expect(await fixture.services.streams.openStreams == 1, "still open before its lifetime")
            await clock.advance(by: .seconds(1))
            let text = try await body
            #expect(text.hasPrefix("id: 1\nevent: run_started\n"))
            #expect(
                text.hasSuffix(
                    "event: reconnect\ndata: {\"reason\":\"max_stream_lifetime\",\"last_event_id\":1}\n\n"), "\(text)")
            #expect(text.contains(": open for its longest lifetime (60 s); reconnect with Last-Event-ID: 1\n"))
            #expect(await fixture.services.streams.openStreams == 0)
        }
    }

    @Test("a client that hangs up in the middle of a stream gives its place back (the write to it fails)")
    func hangUp() async throws {
        let fixture = try await Self.fixture(perTenant: 1, total: 1)
        defer { fixture.directory.remove() }
        try await fixture.app.test(.live) { client in
            let port = try #require(client.port)
            let request =
                "GET /v1/runs/acme-1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + F.headers().map { "\($0.name): \($0.value)\r\n" }.joined() + "\r\n"
            let read = await LoopbackHangUp.read(port: port, request: request, until: ": heartbeat")
            #expect(read.hasPrefix("HTTP/1.1 200"), "\(read)")
            // The connection is closed: the next heartbeat fails to be written and the stream ends.
            #expect(try await Self.eventually { await fixture.services.streams.openStreams == 0 })
        }
    }
}
