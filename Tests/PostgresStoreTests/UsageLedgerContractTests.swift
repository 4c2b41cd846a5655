import AgentRuntime
import AgentRuntimeTesting
import Foundation
import PostgresStore
import Testing

/// The usage ledger's contract on every adapter: calls are summed per tenant and group within a period, one tenant's
/// query never sees another's, and a run's calls come back in booking order.
@Suite("Usage ledger: the contract, on every adapter")
struct UsageLedgerContractTests {
    static func time(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    static func call(
        _ run: String, tenant: String, crew: String = "launch", agent: String, model: String, input: Int, output: Int,
        cost: Double, at time: String
    ) -> UsageRecord {
        let reference = ModelReference(parsing: model)!
        return UsageRecord(
            runID: RunID(run), tenant: TenantID(tenant), crew: crew, agent: agent, task: "draft",
            provider: reference.provider, model: reference.model,
            usage: TokenUsage(inputTokens: input, outputTokens: output), costUSD: cost, time: Self.time(time))
    }

    static let calls = [
        call(
            "r1", tenant: "acme", agent: "writer", model: "openai/gpt-4o", input: 100, output: 10, cost: 0.5,
            at: "2026-12-06T23:59:00Z"),
        call(
            "r1", tenant: "acme", agent: "writer", model: "anthropic/claude-sonnet-4-5", input: 50, output: 5,
            cost: 0.25, at: "2026-12-07T00:01:00Z"),
        call(
            "r1", tenant: "acme", agent: "editor", model: "anthropic/claude-sonnet-4-5", input: 20, output: 2,
            cost: 0.125, at: "2026-12-07T10:00:00Z"),
        call(
            "r2", tenant: "globex", crew: "audit", agent: "writer", model: "openai/gpt-4o", input: 7, output: 1,
            cost: 1, at: "2026-12-07T11:00:00Z"),
    ]

    @Test("usage sums per tenant and agent, crew, model or day within [from, to)", arguments: StoreAdapter.allCases)
    func sums(adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            for call in Self.calls { try await store.appendUsage(call) }
            let all = UsageQuery(
                from: Self.time("2026-12-01T00:00:00Z"), to: Self.time("2026-12-08T00:00:00Z"), tenant: "acme",
                groupBy: .model)
            let byModel = try await store.usage(all)
            #expect(byModel.map(\.key) == ["anthropic/claude-sonnet-4-5", "openai/gpt-4o"])
            #expect(byModel.allSatisfy { $0.tenant == "acme" })
            #expect(byModel[0].totals.calls == 2)
            #expect(byModel[0].totals.usage == TokenUsage(inputTokens: 70, outputTokens: 7))
            #expect(abs(byModel[0].totals.costUSD - 0.375) < 1e-12)

            var query = all
            query.groupBy = .agent
            #expect(try await store.usage(query).map(\.key) == ["editor", "writer"])
            query.groupBy = .day
            #expect(try await store.usage(query).map(\.key) == ["2026-12-06", "2026-12-07"])
            query.groupBy = .crew
            #expect(try await store.usage(query).map { $0.totals.calls } == [3])

            // Every tenant, grouped within each.
            query.tenant = nil
            let tenants = try await store.usage(query)
            #expect(tenants.map(\.tenant) == ["acme", "globex"])
            #expect(tenants.map(\.key) == ["launch", "audit"])

            // `to` is exclusive; `from` inclusive.
            query.from = Self.time("2026-12-07T00:01:00Z")
            query.to = Self.time("2026-12-07T10:00:00Z")
            query.tenant = "acme"
            #expect(try await store.usage(query).map { $0.totals.calls } == [1])
            query.tenant = "initech"
            #expect(try await store.usage(query).isEmpty)
        }
    }

    @Test("a run's calls come back in booking order, with every field", arguments: StoreAdapter.allCases)
    func runRecords(adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            for call in Self.calls { try await store.appendUsage(call) }
            let records = try await store.usageRecords(of: "r1")
            #expect(records == Array(Self.calls.prefix(3)))
            let totals = RunUsageTotals(records)
            #expect(totals.byAgent["writer"]?.calls == 2)
            #expect(
                totals.byModel["anthropic/claude-sonnet-4-5"]?.usage == TokenUsage(inputTokens: 70, outputTokens: 7))
            #expect(try await store.usageRecords(of: "nope").isEmpty)
        }
    }
}
