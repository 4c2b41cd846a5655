import AgentRuntime
import Foundation
import PostgresNIO

extension PostgresRunStore: UsageLedger {
    /// Books one model call: one row of `model_usage`.
    public func appendUsage(_ record: UsageRecord) async throws {
        try await execute(
            """
            INSERT INTO model_usage (run_id, tenant, crew, agent, task, provider, model, input_tokens, output_tokens,
                cached_input_tokens, cost_usd, time, day)
            VALUES (\(record.runID.rawValue), \(record.tenant.rawValue), \(record.crew), \(record.agent),
                \(record.task), \(record.provider), \(record.model), \(record.usage.inputTokens),
                \(record.usage.outputTokens), \(record.usage.cachedInputTokens), \(record.costUSD),
                \(Self.seconds(record.time)), \(SpendDay(record.time).description))
            """)
    }

    /// Sums the calls `query` selects per tenant and group.
    public func usage(_ query: UsageQuery) async throws -> [UsageGroup] {
        try await rows(
            """
            SELECT tenant, \(unescaped: query.groupBy.sqlKey), SUM(input_tokens)::bigint, SUM(output_tokens)::bigint,
                SUM(cached_input_tokens)::bigint, SUM(cost_usd)::float8, COUNT(*)::bigint
            FROM model_usage
            WHERE time >= \(Self.seconds(query.from)) AND time < \(Self.seconds(query.to))
                AND (\(query.tenant?.rawValue)::text IS NULL OR tenant = \(query.tenant?.rawValue))
            GROUP BY 1, 2 ORDER BY 1, 2
            """
        ) { row in
            let (tenant, key, input, output, cached, cost, calls) = try row.decode(
                (String, String, Int, Int, Int, Double, Int).self)
            var totals = UsageTotals()
            totals.usage = TokenUsage(inputTokens: input, outputTokens: output, cachedInputTokens: cached)
            totals.costUSD = cost
            totals.calls = calls
            return UsageGroup(tenant: TenantID(tenant), key: key, totals: totals)
        }
    }

    /// One run's calls in booking order.
    public func usageRecords(of run: RunID) async throws -> [UsageRecord] {
        try await rows(
            """
            SELECT run_id, tenant, crew, agent, task, provider, model, input_tokens, output_tokens,
                cached_input_tokens, cost_usd, time
            FROM model_usage WHERE run_id = \(run.rawValue) ORDER BY id
            """
        ) { row in
            let (runID, tenant, crew, agent, task, provider, model, input, output, cached, cost, time) =
                try row.decode(
                    (String, String, String, String, String, String, String, Int, Int, Int, Double, Double).self)
            return UsageRecord(
                runID: RunID(runID), tenant: TenantID(tenant), crew: crew, agent: agent, task: task,
                provider: provider, model: model,
                usage: TokenUsage(inputTokens: input, outputTokens: output, cachedInputTokens: cached), costUSD: cost,
                time: Self.date(time))
        }
    }
}
