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
}
