import Foundation

/// The port to what each tenant spends on model calls, per calendar day (UTC), across all its runs and every
/// process sharing the store: the ledger tenants' spend caps are checked against.
public protocol SpendLedger: Sendable {
    /// Adds `costUSD` to `tenant`'s spend on `day`.
    func addSpend(_ costUSD: Double, tenant: TenantID, day: SpendDay) async throws
    /// What `tenant` spent on `day`, and in `day`'s month up to and including `day`.
    func spend(tenant: TenantID, day: SpendDay) async throws -> TenantSpend
}

/// A calendar day in UTC, written `yyyy-MM-dd` (so that days sort and a month is a range of them).
public struct SpendDay: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// `yyyy-MM-dd`.
    public let description: String

    /// The UTC day `date` falls on.
    public init(_ date: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        description = String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }

    /// The first day of this day's month (`yyyy-MM-01`).
    public var monthStart: String { String(description.prefix(8)) + "01" }

    /// Orders days.
    public static func < (lhs: SpendDay, rhs: SpendDay) -> Bool { lhs.description < rhs.description }
}

/// A tenant's spend on one day and in that day's month so far, in US dollars.
public struct TenantSpend: Hashable, Sendable {
    /// Spent on the day.
    public var day: Double
    /// Spent in the month, up to and including the day.
    public var month: Double

    /// Creates a spend.
    public init(day: Double, month: Double) {
        self.day = day
        self.month = month
    }

    /// The first of `caps` this spend has reached, described for people; nil when there is room left.
    public func exhausted(_ caps: SpendCaps) -> String? {
        if let cap = caps.perDayUSD, day >= cap {
            return String(format: "the tenant's daily spend cap of $%.2f is reached ($%.4f spent today, UTC)", cap, day)
        }
        if let cap = caps.perMonthUSD, month >= cap {
            return String(
                format: "the tenant's monthly spend cap of $%.2f is reached ($%.4f spent this month, UTC)", cap, month)
        }
        return nil
    }
}
