import AgentRuntime
import AgentRuntimeTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AgentGateway

/// `GET /v1/usage` and a stored run's totals: model calls booked per tenant under the model that answered.
@Suite("Usage per tenant")
struct UsageRoutesTests {
    typealias F = GatewayFixture
    static let primary = ModelReference(provider: "openai", model: "gpt-4o")
    static let fallback = ModelReference(provider: "anthropic", model: "claude-sonnet-4-5")

    /// Every agent's model is a fallback chain whose primary is overloaded: the fallback answers every call.
    struct OverloadedPrimary: ModelResolver {
        let answers: ScriptedChatModel
        func resolve(_ reference: ModelReference?, principal: Principal) async throws -> ResolvedModel {
            let overloaded = ScriptedChatModel { _ in
                throw ProviderError(status: 503, code: .overloaded, message: "overloaded", provider: "openai")
            }
            return ResolvedModel(
                reference: UsageRoutesTests.primary,
                model: FallbackChatModel([
                    .init(model: overloaded, reference: UsageRoutesTests.primary),
                    .init(model: answers, reference: UsageRoutesTests.fallback),
                ]),
                // The primary is dear, the fallback cheap: a call priced as the primary's would show.
                price: ModelPrice(input: 1000, output: 1000),
                fallbackPrices: [UsageRoutesTests.fallback: ModelPrice(input: 3, output: 15)])
        }
    }

    @Test(
        "usage is booked per tenant under the fallback model that answered; a tenant sees only its own, platform roles all or one"
    )
    func usageByTenant() async throws {
        let answers = ScriptedChatModel(F.answer)
        let fixture = try F(models: OverloadedPrimary(answers: answers))
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            func get(
                _ uri: String, _ headers: HTTPFields = F.headers()
            ) async throws -> (HTTPResponse.Status, JSONValue) {
                let response = try await client.executeRequest(uri: uri, method: .get, headers: headers, body: nil)
                return (response.status, try F.json(response))
            }
            let started = try await client.executeRequest(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: F.body(F.contentApproval))
            #expect(started.status == .ok)
            let acmeRun = try F.json(started)["data"]?["run_id"]?.stringValue ?? ""
            let globex = try await client.executeRequest(
                uri: "/v1/agents/seo-specialist/invoke", method: .post, headers: F.headers(tenant: "globex"),
                body: F.body(["prompt": "Audit example.com"]))
            #expect(globex.status == .ok)
            let calls = answers.requests.count
            let acmeCalls = calls - 1
            #expect(acmeCalls >= 4)
            // 10 tokens in, 5 out per call at the fallback's $3 / $15 per million.
            let perCall = (10 * 3.0 + 5 * 15.0) / 1_000_000

            let (status, acme) = try await get("/v1/usage?group_by=model")
            #expect(status == .ok)
            let groups = acme["data"]?["groups"]
            #expect(groups?.arrayValue?.count == 1)
            #expect(groups?[0]?["tenant"] == "acme")
            #expect(groups?[0]?["model"] == "anthropic/claude-sonnet-4-5")
            #expect(groups?[0]?["calls"] == .int(acmeCalls))
            #expect(groups?[0]?["usage"]?["input_tokens"] == .int(10 * acmeCalls))
            let cost = groups?[0]?["cost_usd"]?.doubleValue ?? 0
            #expect(abs(cost - perCall * Double(acmeCalls)) < 1e-12)
            #expect(acme["data"]?["tenant"] == "acme")

            let (_, byAgent) = try await get("/v1/usage?group_by=agent&from=2020-01-01")
            let agents = byAgent["data"]?["groups"]?.arrayValue?.compactMap { $0["agent"]?.stringValue } ?? []
            #expect(Set(agents) == ["blog-writer", "copy-editor", "content-compliance-checker", "on-page-optimizer"])
            let (_, byCrew) = try await get("/v1/usage?group_by=crew")
            #expect(byCrew["data"]?["groups"]?[0]?["crew"] == "content-approval")
            let (_, byDay) = try await get("/v1/usage?group_by=day")
            #expect(byDay["data"]?["groups"]?[0]?["day"] == .string(SpendDay(Date()).description))

            // The other tenant sees only its own call.
            let (_, other) = try await get("/v1/usage?group_by=crew", F.headers(tenant: "globex"))
            #expect(other["data"]?["groups"]?.arrayValue?.count == 1)
            #expect(other["data"]?["groups"]?[0]?["crew"] == "invoke:seo-specialist")
            #expect(other["data"]?["total"]?["calls"] == 1)
            let (forbidden, _) = try await get("/v1/usage?tenant=globex")
            #expect(forbidden == .forbidden)

            // Platform roles: every tenant, or the one named.
            let platform = F.headers(roles: "platform_admin")
            let (_, all) = try await get("/v1/usage?group_by=model", platform)
            let tenants = all["data"]?["groups"]?.arrayValue?.compactMap { $0["tenant"]?.stringValue } ?? []
            #expect(tenants == ["acme", "globex"])
            #expect(all["data"]?["total"]?["calls"] == .int(calls))
            let (_, named) = try await get("/v1/usage?group_by=model&tenant=globex", platform)
            #expect(named["data"]?["groups"]?.arrayValue?.map { $0["tenant"] } == ["globex"])

            // A period before the calls has none; bad parameters are 400s naming the parameter.
            let (_, empty) = try await get("/v1/usage?from=2020-01-01&to=2020-01-31")
            #expect(empty["data"]?["groups"]?.arrayValue?.isEmpty == true)
            for (query, field) in [
                ("group_by=team", "group_by"), ("from=yesterday", "from"), ("to=2026-13-01", "to"),
                ("from=2026-12-07&to=2026-12-01", "from"),
            ] {
                let (status, body) = try await get("/v1/usage?\(query)")
                #expect(status == .badRequest, "\(query)")
                #expect(body["error"]?["details"]?[0]?["field"] == .string(field), "\(query)")
            }
            let (userStatus, _) = try await get("/v1/usage", F.headers(roles: "tenant_user"))
            #expect(userStatus == .forbidden)

            // The stored run has totals by agent and by the model that answered.
            let (_, run) = try await get("/v1/runs/\(acmeRun)")
            let byModel = run["data"]?["by_model"]
            #expect(byModel?["anthropic/claude-sonnet-4-5"]?["calls"] == .int(acmeCalls))
            #expect(byModel?["openai/gpt-4o"] == nil)
            #expect(run["data"]?["by_agent"]?["blog-writer"]?["calls"] == 1)
            let runCost = run["data"]?["cost_usd"]?.doubleValue ?? 0
            #expect(abs(runCost - perCall * Double(acmeCalls)) < 1e-12)
        }
    }
}
