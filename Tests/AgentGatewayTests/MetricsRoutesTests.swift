import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `MetricsRoutes`: requests counted by the template of the route they matched.
@Suite("Gateway: metrics")
struct MetricsRoutesTests {
    typealias F = GatewayFixture

    @Test(
        "HTTP requests are counted by the matched route's template, whatever the outcome; requests no route matches as unmatched"
    )
    func requestLabels() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/runs/abc", method: .get, headers: F.headers()) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/runs/def", method: .get, headers: F.headers(token: nil)) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/agents/seo-specialist", method: .get, headers: F.headers()) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/agents/content-creator", method: .get, headers: F.headers()) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/nowhere", method: .get, headers: F.headers()) {
                #expect($0.status == .notFound)
            }
            // A known path with a method it does not have.
            try await client.execute(uri: "/v1/agents", method: .delete, headers: F.headers()) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4")
                let text = String(buffer: response.body)
                #expect(text.contains(#"agentruntime_http_requests_total{route="/v1/runs/{run_id}",status="404"} 1"#))
                #expect(text.contains(#"agentruntime_http_requests_total{route="/v1/runs/{run_id}",status="401"} 1"#))
                #expect(
                    text.contains(#"agentruntime_http_requests_total{route="/v1/agents/{agent_id}",status="200"} 2"#))
                #expect(text.contains(#"agentruntime_http_requests_total{route="unmatched",status="404"} 2"#))
                #expect(text.contains(#"agentruntime_http_requests_total{route="/health",status="200"} 1"#))
                // Never the concrete path.
                #expect(!text.contains("abc") && !text.contains("seo-specialist") && !text.contains("nowhere"))
            }
        }
    }

    @Test(
        "per-tenant tokens and cost by provider and model, model latency by provider, tool outcomes by connector; a label past 200 values counts as other"
    )
    func tenantSeries() async throws {
        let metrics = GatewayMetrics()
        func event(_ kind: RunEvent.Kind) -> RunEvent {
            RunEvent(runID: "run-zz9", sequence: 1, timestamp: Date(), agentPath: ["a"], kind: kind)
        }
        let acme = metrics.forTenant("acme")
        await acme.emit(
            event(
                .llmResponse(
                    model: "openai/gpt-4o", usage: TokenUsage(inputTokens: 100, outputTokens: 20), costUSD: 0.5,
                    latencyMS: 1500, finishReason: "stop")))
        await acme.emit(
            event(
                .toolFinished(callID: "c1", tool: "slack.post_message", outcome: .success, durationMS: 3, result: "ok"))
        )
        await acme.emit(event(.toolDenied(callID: "c2", tool: "mcp.files.delete", reason: "no", arguments: "{}")))
        await acme.emit(event(.toolDenied(callID: "c3", tool: "made_up", reason: "unknown tool", arguments: "{}")))
        for index in 0..<205 {
            await metrics.forTenant(TenantID("t\(index)")).emit(
                event(
                    .llmResponse(
                        model: "openai/gpt-4o", usage: TokenUsage(inputTokens: 1, outputTokens: 1), costUSD: nil,
                        latencyMS: 10, finishReason: "stop")))
        }
        let text = await metrics.text()
        #expect(
            text.contains(
                #"agentruntime_tenant_tokens_total{tenant="acme",provider="openai",model="openai/gpt-4o",kind="input"} 100"#
            ))
        #expect(
            text.contains(
                #"agentruntime_tenant_cost_usd_total{tenant="acme",provider="openai",model="openai/gpt-4o"} 0.5"#))
        #expect(text.contains(#"agentruntime_llm_call_duration_seconds_bucket{provider="openai",le="2.0"} 206"#))
        #expect(text.contains(#"agentruntime_llm_call_duration_seconds_bucket{provider="openai",le="1.0"} 205"#))
        #expect(text.contains(#"agentruntime_llm_call_duration_seconds_count{provider="openai"} 206"#))
        #expect(text.contains(#"agentruntime_tool_outcomes_total{connector="slack",outcome="success"} 1"#))
        #expect(text.contains(#"agentruntime_tool_outcomes_total{connector="mcp.files",outcome="denied"} 1"#))
        #expect(text.contains(#"agentruntime_tool_outcomes_total{connector="unknown",outcome="denied"} 1"#))
        // acme and 199 more tenants keep their names; the other 6 share one series.
        #expect(
            text.contains(
                #"agentruntime_tenant_tokens_total{tenant="other",provider="openai",model="openai/gpt-4o",kind="input"} 6"#
            ))
        #expect(!text.contains(#"tenant="t204""#) && text.contains(#"tenant="t198""#))
        #expect(!text.contains("run-zz9"))
    }
}
