import CSQLite
import Foundation

extension SQLiteRunStore: UsageLedger {
    /// Books one model call (table `model_usage`). The row is committed with the next batch of events, like them
    /// without waiting; every read of the store commits queued rows first.
    public nonisolated func appendUsage(_ record: UsageRecord) {
        enqueue(
            .usage([
                .text(record.runID.rawValue), .text(record.tenant.rawValue), .text(record.crew), .text(record.agent),
                .text(record.task), .text(record.provider), .text(record.model), .integer(record.usage.inputTokens),
                .integer(record.usage.outputTokens), .integer(record.usage.cachedInputTokens), .real(record.costUSD),
                .real(record.time.timeIntervalSince1970), .text(SpendDay(record.time).description),
            ]))
    }

    static let appendUsageSQL = "INSERT INTO model_usage VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"

    /// Sums the calls `query` selects per tenant and group.
    public func usage(_ query: UsageQuery) throws -> [UsageGroup] {
        try select(
            """
            SELECT tenant, \(query.groupBy.sqlKey), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens),
                SUM(cost_usd), COUNT(*)
            FROM model_usage WHERE time >= ? AND time < ? AND (?3 IS NULL OR tenant = ?3)
            GROUP BY 1, 2 ORDER BY 1, 2
            """,
            [
                .real(query.from.timeIntervalSince1970), .real(query.to.timeIntervalSince1970),
                .text(query.tenant?.rawValue),
            ]
        ) { row in
            var totals = UsageTotals()
            totals.usage = TokenUsage(
                inputTokens: Int(sqlite3_column_int64(row, 2)), outputTokens: Int(sqlite3_column_int64(row, 3)),
                cachedInputTokens: Int(sqlite3_column_int64(row, 4)))
            totals.costUSD = sqlite3_column_double(row, 5)
            totals.calls = Int(sqlite3_column_int64(row, 6))
            return UsageGroup(
                tenant: TenantID(Self.usageText(row, 0)), key: Self.usageText(row, 1), totals: totals)
        }
    }

    /// One run's calls in booking order.
    public func usageRecords(of run: RunID) throws -> [UsageRecord] {
        try select(
            """
            SELECT run_id, tenant, crew, agent, task, provider, model, input_tokens, output_tokens,
                cached_input_tokens, cost_usd, time
            FROM model_usage WHERE run_id = ? ORDER BY rowid
            """, [.text(run.rawValue)]
        ) { row in
            UsageRecord(
                runID: RunID(Self.usageText(row, 0)), tenant: TenantID(Self.usageText(row, 1)),
                crew: Self.usageText(row, 2), agent: Self.usageText(row, 3), task: Self.usageText(row, 4),
                provider: Self.usageText(row, 5), model: Self.usageText(row, 6),
                usage: TokenUsage(
                    inputTokens: Int(sqlite3_column_int64(row, 7)), outputTokens: Int(sqlite3_column_int64(row, 8)),
                    cachedInputTokens: Int(sqlite3_column_int64(row, 9))),
                costUSD: sqlite3_column_double(row, 10),
                time: Date(timeIntervalSince1970: sqlite3_column_double(row, 11)))
        }
    }

    private static func usageText(_ row: OpaquePointer, _ column: Int32) -> String {
        sqlite3_column_text(row, column).map { String(cString: $0) } ?? ""
    }
}
