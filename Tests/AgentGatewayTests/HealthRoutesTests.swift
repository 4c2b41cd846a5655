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

/// `HealthRoutes` (and the metrics a run leaves behind).
@Suite("Gateway: health")
struct HealthRoutesTests {
    typealias F = GatewayFixture

    @Test("health, readiness with each check, and Prometheus metrics")
    func health() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                let json = try F.json(response)
                #expect(json["data"]?["checks"]?["catalog"]?["ok"] == true)
                #expect(json["data"]?["checks"]?["store"]?["ok"] == true)
                #expect(json["data"]?["checks"]?["secret_store"]?["ok"] == true)
                #expect(json["data"]?["checks"]?["providers"]?["ok"] == true)
            }
            try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: F.body(F.contentApproval)
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"agentruntime_runs_total{crew="content-approval",status="succeeded"} 1"#))
                #expect(text.contains("agentruntime_llm_calls_total{provider=\"scripted\""))
                #expect(
                    text.contains(#"agentruntime_http_requests_total{route="/v1/crews/{crew_id}/runs",status="200"} 1"#)
                )
                #expect(text.contains("agentruntime_run_duration_seconds_count 1"))
                #expect(text.contains("agentruntime_runs_in_flight 0"))
            }
        }
    }

    @Test("readiness fails with 503 and names the failing check")
    func notReady() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        var services = fixture.services
        services.providersReady = { catalog in
            (false, "openai: env:OPENAI_API_KEY is not set (\(catalog.agents.count) agents)")
        }
        try await Application(router: Gateway.router(services)).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let checks = try F.json(response)["error"]?["details"]?["checks"]
                #expect(
                    checks?["providers"] == [
                        "ok": false, "detail": "openai: env:OPENAI_API_KEY is not set (105 agents)",
                    ])
                #expect(checks?["store"]?["ok"] == true)
            }
        }
    }
}
