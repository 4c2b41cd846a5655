import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Tools

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `Gateway.serviceGroup` over a live socket: graceful shutdown with and without runs that outlast the grace period.
@Suite("Gateway: serving")
struct GatewayTests {
    typealias F = GatewayFixture

    /// Serves `fixture` on a free loopback port, posts one run over a real socket, then shuts down gracefully.
    static func shutDownAfterOneRun(_ fixture: F) async throws -> (runID: String, shutdown: Duration) {
        let port = PortBox()
        let group = try await Gateway.serviceGroup(fixture.services, host: "127.0.0.1", port: 0) { port.set($0) }
        let serving = Task { try await group.run() }
        var request = URLRequest(
            url: URL(string: "http://127.0.0.1:\(try await port.wait())/v1/crews/content-approval/runs")!)
        request.httpMethod = "POST"
        for field in F.headers() { request.setValue(field.value, forHTTPHeaderField: field.name.rawName) }
        request.httpBody = Data(#"{"inputs": {"topic": "a", "target_keyword": "b"}}"#.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 202)
        let id = try JSONParser.value(Array(data))["data"]?["run_id"]?.stringValue ?? ""
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await serving.value
        return (id, ContinuousClock.now - started)
    }

    @Test(
        "graceful shutdown over a live socket: a run in flight finishes within the grace period, then the server stops")
    func gracefulShutdown() async throws {
        let configuration = GatewayConfiguration(
            serviceToken: F.token, eventPollInterval: .milliseconds(20), shutdownGracePeriod: .seconds(20))
        let fixture = try F(configuration: configuration) { request in
            try await Task.sleep(for: .milliseconds(150))
            return try await F.answer(request)
        }
        defer { fixture.directory.remove() }
        let (id, _) = try await Self.shutDownAfterOneRun(fixture)
        let status = try await fixture.services.store.run(RunID(id), tenant: nil)?.status
        #expect(status == .succeeded)
    }

    @Test("graceful shutdown: a run still going when the grace period ends is cancelled and recorded as interrupted")
    func shutdownDeadline() async throws {
        let configuration = GatewayConfiguration(
            serviceToken: F.token, eventPollInterval: .milliseconds(20), shutdownGracePeriod: .milliseconds(300))
        let fixture = try F(configuration: configuration) { _ in
            try await Task.sleep(for: .seconds(60))
            return ScriptedChatModel.text("late")
        }
        defer { fixture.directory.remove() }
        let (id, shutdown) = try await Self.shutDownAfterOneRun(fixture)
        // The model sleeps 60 s: well under that shows the shutdown did not wait it out (a loaded 2-core machine has
        // taken 17 s).
        #expect(shutdown < .seconds(30))
        #expect(try await fixture.services.store.run(RunID(id), tenant: nil)?.status == .interrupted)
    }

    @Test(
        "an internal listener serves readiness and metrics; the public one then serves neither (liveness stays on both)"
    )
    func internalListener() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let port = PortBox()
        let internalPort = PortBox()
        let group = try await Gateway.serviceGroup(
            fixture.services, host: "127.0.0.1", port: 0,
            internalListener: ListenAddress(host: "127.0.0.1", port: 0), onRunning: { port.set($0) },
            onInternalRunning: { internalPort.set($0) })
        let serving = Task { try await group.run() }
        func status(_ port: Int, _ path: String) async throws -> Int? {
            let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            return (response as? HTTPURLResponse)?.statusCode
        }
        let (outside, inside) = (try await port.wait(), try await internalPort.wait())
        #expect(outside != inside)
        #expect(try await status(outside, "/metrics") == 404)
        #expect(try await status(outside, "/health/ready") == 404)
        #expect(try await status(outside, "/health") == 200)
        #expect(try await status(inside, "/metrics") == 200)
        #expect(try await status(inside, "/health/ready") == 200)
        #expect(try await status(inside, "/health") == 200)
        #expect(try await status(inside, "/v1/crews") == 404)
        await group.triggerGracefulShutdown()
        try await serving.value
    }
}
