import AgentRuntime
import AgentRuntimeTesting
import Foundation
import PostgresStore
import Testing

/// The spend ledger's contract on every adapter: spend adds up per tenant and UTC day, a month is the days of it up
/// to the one asked for, and concurrent bookings (several stores on one PostgreSQL database, as replicas are) all
/// count.
@Suite("Spend ledger: the contract, on every adapter")
struct SpendLedgerContractTests {
    static func day(_ text: String) -> SpendDay {
        SpendDay(ISO8601DateFormatter().date(from: text + "T23:59:59Z")!)
    }

    @Test(
        "spend adds up per tenant and day; a month counts its days up to the one asked for",
        arguments: StoreAdapter.allCases)
    func addsUp(adapter: StoreAdapter) async throws {
        try await adapter.withStore { store in
            #expect(try await store.spend(tenant: "acme", day: Self.day("2026-12-07")) == TenantSpend(day: 0, month: 0))
            try await store.addSpend(0.25, tenant: "acme", day: Self.day("2026-11-30"))
            try await store.addSpend(0.5, tenant: "acme", day: Self.day("2026-12-01"))
            try await store.addSpend(0.25, tenant: "acme", day: Self.day("2026-12-07"))
            try await store.addSpend(0.5, tenant: "acme", day: Self.day("2026-12-07"))
            try await store.addSpend(8, tenant: "acme", day: Self.day("2026-12-08"))
            try await store.addSpend(4, tenant: "acme-eu", day: Self.day("2026-12-07"))
            try await store.addSpend(0, tenant: "acme", day: Self.day("2026-12-07"))
            #expect(
                try await store.spend(tenant: "acme", day: Self.day("2026-12-07"))
                    == TenantSpend(day: 0.75, month: 1.25))
            #expect(
                try await store.spend(tenant: "acme", day: Self.day("2026-12-01")) == TenantSpend(day: 0.5, month: 0.5))
            #expect(
                try await store.spend(tenant: "acme", day: Self.day("2026-11-30"))
                    == TenantSpend(day: 0.25, month: 0.25))
            #expect(
                try await store.spend(tenant: "acme-eu", day: Self.day("2026-12-31")) == TenantSpend(day: 0, month: 4))
        }
    }

    @Test("concurrent bookings from several stores on one database all count", arguments: StoreAdapter.allCases)
    func concurrent(adapter: StoreAdapter) async throws {
        try await adapter.withStores(3) { stores in
            let day = Self.day("2026-12-07")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, store) in stores.enumerated() {
                    group.addTask {
                        for _ in 0..<20 {
                            try await store.addSpend(0.125 * Double(index + 1), tenant: "acme", day: day)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await stores[0].spend(tenant: "acme", day: day) == TenantSpend(day: 15, month: 15))
        }
    }

    @Test("a UTC day is yyyy-MM-dd whatever the local time zone; its month starts on the 1st")
    func days() {
        let day = SpendDay(Date(timeIntervalSince1970: 1_798_761_599))  // 2026-12-31T23:59:59Z
        #expect(day.description == "2026-12-31" && day.monthStart == "2026-12-01")
        #expect(SpendDay(Date(timeIntervalSince1970: 1_798_761_600)).description == "2027-01-01")
    }
}
