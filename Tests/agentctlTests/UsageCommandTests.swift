import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// `agentctl usage` and `runs show` end to end: a primary model server that is overloaded, a fallback that answers,
/// runs of two tenants in one SQLite store.
@Suite("agentctl usage end to end")
struct UsageCommandTests {
    @Test(
        "usage reports tokens and cost per tenant, booked under the fallback model that answered; runs show has totals by agent and model"
    )
    func usageByTenant() async throws {
        let overloaded = try LoopbackHTTPServer { _ in
            .init(status: 503, body: #"{"error":{"message":"overloaded","type":"server_error"}}"#)
        }
        defer { overloaded.stop() }
        let backup = try FakeModelServer.start()
        defer { backup.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write(
            "agentruntime.json",
            JSONValue.object([
                "default_model": "primary/big",
                "providers": [
                    "primary": [
                        "kind": "openai",
                        "base_url": .string(overloaded.baseURL.appendingPathComponent("v1").absoluteString),
                        "max_retries": 0,
                    ],
                    "backup": [
                        "kind": "openai",
                        "base_url": .string(backup.baseURL.appendingPathComponent("v1").absoluteString),
                        "max_retries": 0,
                    ],
                ],
                "prices": ["primary/big": ["input": 100, "output": 100], "backup/small": ["input": 1, "output": 2]],
                "fallbacks": ["primary/big": ["backup/small"]],
            ]).serialized())
        let store = directory.url.appendingPathComponent("runs.sqlite").path
        let common = ["--config", config.path, "--store", store, "--model", "primary/big"]
        let environment = ["OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GROQ_API_KEY": ""]
        func agentctl(_ arguments: [String]) async throws -> AgentCtl.Result {
            try await AgentCtl.run(arguments, environment: environment)
        }

        let acme = try await agentctl(
            ["invoke", "keyword-researcher", "Find keywords for tents", "--tenant", "acme", "--json"] + common)
        #expect(acme.status == 0, "\(acme.stderr)")
        let runID = try #require(try JSONParser.value(acme.stdout)["run_id"]?.stringValue)
        let globex = try await agentctl(
            ["invoke", "keyword-researcher", "Find keywords for invoices", "--tenant", "local"] + common)
        #expect(globex.status == 0, "\(globex.stderr)")
        #expect(overloaded.requestCount >= 2, "the primary was asked first")

        let report = try await agentctl(
            ["usage", "--group-by", "model", "--tenant", "acme", "--json", "--store", store, "--config", config.path])
        #expect(report.status == 0, "\(report.stderr)")
        let groups = try #require(try JSONParser.value(report.stdout).arrayValue)
        #expect(groups.map { $0["model"] } == ["backup/small"])
        #expect(groups.map { $0["tenant"] } == ["acme"])
        let input = groups.first?["usage"]?["input_tokens"]?.intValue ?? 0
        let output = groups.first?["usage"]?["output_tokens"]?.intValue ?? 0
        #expect(input > 0)
        let cost = groups.first?["cost_usd"]?.doubleValue ?? 0
        #expect(abs(cost - (Double(input) * 1 + Double(output) * 2) / 1_000_000) < 1e-12, "priced as the fallback")

        let all = try await agentctl(
            [
                "usage", "--group-by", "crew", "--all-tenants", "--role", "platform_admin", "--store", store,
                "--config",
                config.path,
            ])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("acme") && all.stdout.contains("local"))
        #expect(all.stdout.contains("invoke:keyword-researcher"))
        let denied = try await agentctl(["usage", "--all-tenants", "--store", store, "--config", config.path])
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("--all-tenants needs platform_admin"))
        let invalid = try await agentctl(["usage", "--group-by", "team", "--store", store, "--config", config.path])
        #expect(invalid.status != 0)
        #expect(invalid.stderr.contains("--group-by must be one of agent, crew, model, day"))
        let early = try await agentctl(
            [
                "usage", "--from", "2020-01-01", "--to", "2020-01-31", "--tenant", "acme", "--json", "--store", store,
                "--config", config.path,
            ])
        #expect(try JSONParser.value(early.stdout).arrayValue?.isEmpty == true)

        let shown = try await agentctl(
            ["runs", "show", runID, "--json", "--tenant", "acme", "--store", store, "--config", config.path])
        let run = try JSONParser.value(shown.stdout)
        #expect(run["by_model"]?["backup/small"]?["calls"] == 1)
        #expect(run["by_model"]?["primary/big"] == nil)
        #expect(run["by_agent"]?["keyword-researcher"]?["calls"] == 1)
        let text = try await agentctl(
            ["runs", "show", runID, "--tenant", "acme", "--store", store, "--config", config.path])
        #expect(text.stdout.contains("by model backup/small: 1 call(s)"))
    }
}
