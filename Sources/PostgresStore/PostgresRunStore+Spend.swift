import AgentRuntime
import Foundation
import PostgresNIO

extension PostgresRunStore: SpendLedger {
    /// Adds `costUSD` to `tenant`'s spend on `day`: one statement, so concurrent replicas add up.
    public func addSpend(_ costUSD: Double, tenant: TenantID, day: SpendDay) async throws {
        guard costUSD > 0 else { return }
        try await execute(
            """
            INSERT INTO tenant_spend AS s (tenant, day, cost_usd) VALUES (\(tenant.rawValue), \(day.description),
                \(costUSD))
            ON CONFLICT (tenant, day) DO UPDATE SET cost_usd = s.cost_usd + EXCLUDED.cost_usd
            """)
    }

    /// What `tenant` spent on `day` and in its month up to it.
    public func spend(tenant: TenantID, day: SpendDay) async throws -> TenantSpend {
        try await rows(
            """
            SELECT COALESCE(SUM(cost_usd) FILTER (WHERE day = \(day.description)), 0)::float8,
                COALESCE(SUM(cost_usd), 0)::float8
            FROM tenant_spend WHERE tenant = \(tenant.rawValue) AND day BETWEEN \(day.monthStart) AND \(day.description)
            """
        ) { row in
            let (day, month) = try row.decode((Double, Double).self)
            return TenantSpend(day: day, month: month)
        }.first ?? TenantSpend(day: 0, month: 0)
    }
}
