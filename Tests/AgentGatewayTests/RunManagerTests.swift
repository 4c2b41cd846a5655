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

/// `RunManager`: the concurrent-run limit, and draining.
@Suite("Gateway: run manager")
struct RunManagerTests {
    typealias F = GatewayFixture

    @Test("simultaneous starts cannot pass the concurrent-run limit together")
    func simultaneousStarts() async throws {
        let configuration = GatewayConfiguration(
            serviceToken: F.token, concurrentRunsPerTenant: 2, eventPollInterval: .milliseconds(20))
        let fixture = try F(configuration: configuration) { _ in
            try await Task.sleep(for: .seconds(30))
            return ScriptedChatModel.text("late")
        }
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        try await client.execute(
                            uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                            body: F.body(["inputs": ["topic": "a", "target_keyword": "b"]])
                        ) { $0.status }
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .accepted }.count == 2)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 10)
        }
        await fixture.services.runs.drain(grace: .zero)
    }

    @Test(
        "draining cancels runs still going after the grace period and records them as interrupted; a run without a definition is never claimed"
    )
    func drain() async throws {
        let fixture = try F { _ in
            try await Task.sleep(for: .seconds(120))
            return ScriptedChatModel.text("late")
        }
        defer { fixture.directory.remove() }
        let id = try await fixture.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: F.body(["inputs": ["topic": "a", "target_keyword": "b"]])
            ) {
                try F.json($0)["data"]?["run_id"]?.stringValue ?? ""
            }
        }
        let started = ContinuousClock.now
        await fixture.services.runs.drain(grace: .milliseconds(100))
        // The model sleeps 120 s: well under that shows the drain did not wait it out (a loaded 2-core machine has
        // taken 20 s during a full clean-clone run).
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(try await fixture.services.store.run(RunID(id), tenant: nil)?.status == .interrupted)
        try await fixture.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: F.body(["inputs": ["topic": "a", "target_keyword": "b"]])
            ) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
        let leftover = RunRecord(
            id: "crashed", tenant: "acme", user: "ada", crew: "seo-audit", status: .running, inputs: [:])
        try await fixture.services.store.insert(leftover)
        // Held by no worker, but with no definition nothing could carry it on (a playground session's record).
        let claimed = try await RunLifecycle(store: fixture.services.store).claim(limit: 10)
        #expect(!claimed.contains { $0.record.id == "crashed" })
        #expect(try await fixture.services.store.run("crashed", tenant: nil)?.status == .running)
    }
}
