import CSQLite
import Foundation

extension SQLiteRunStore: SpendLedger {
    /// Adds `costUSD` to `tenant`'s spend on `day` (table `tenant_spend`). The row is committed with the next batch of
    /// events, like them without waiting; every read of the store commits queued rows first.
    public nonisolated func addSpend(_ costUSD: Double, tenant: TenantID, day: SpendDay) {
        guard costUSD > 0 else { return }
        enqueue(.spend([.text(tenant.rawValue), .text(day.description), .real(costUSD)]))
    }

    static let addSpendSQL = """
        INSERT INTO tenant_spend (tenant, day, cost_usd) VALUES (?, ?, ?)
        ON CONFLICT (tenant, day) DO UPDATE SET cost_usd = cost_usd + excluded.cost_usd
        """

    /// What `tenant` spent on `day` and in its month up to it.
    public func spend(tenant: TenantID, day: SpendDay) throws -> TenantSpend {
        try select(
            """
            SELECT COALESCE(SUM(CASE WHEN day = ? THEN cost_usd END), 0), COALESCE(SUM(cost_usd), 0)
            FROM tenant_spend WHERE tenant = ? AND day BETWEEN ? AND ?
            """,
            [.text(day.description), .text(tenant.rawValue), .text(day.monthStart), .text(day.description)]
        ) { TenantSpend(day: sqlite3_column_double($0, 0), month: sqlite3_column_double($0, 1)) }.first
            ?? TenantSpend(day: 0, month: 0)
    }
}
