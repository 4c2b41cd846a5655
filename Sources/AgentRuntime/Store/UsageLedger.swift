import Foundation

/// One model call as booked: who made it (tenant, crew, agent, task, run), which model answered it (the fallback's
/// when a fallback answered), its tokens, cost and time.
public struct UsageRecord: Hashable, Sendable {
    /// The run.
    public var runID: RunID
    /// Whose run it is.
    public var tenant: TenantID
    /// The crew (`invoke:<agent>`, `chat:<agent>` for the playground).
    public var crew: String
    /// The agent that made the call.
    public var agent: String
    /// The task it worked on (`delegated` for a coworker's delegated work, `chat` for a chat turn).
    public var task: String
    /// The provider of the model that answered.
    public var provider: String
    /// The model that answered (without the provider prefix).
    public var model: String
    /// Tokens used.
    public var usage: TokenUsage
    /// Cost in USD, at the answering model's price.
    public var costUSD: Double
    /// When the call finished.
    public var time: Date

    /// Creates a record.
    public init(
        runID: RunID, tenant: TenantID, crew: String, agent: String, task: String, provider: String, model: String,
        usage: TokenUsage, costUSD: Double, time: Date
    ) {
        self.runID = runID
        self.tenant = tenant
        self.crew = crew
        self.agent = agent
        self.task = task
        self.provider = provider
        self.model = model
        self.usage = usage
        self.costUSD = costUSD
        self.time = time
    }

    /// `provider/model`.
    public var modelReference: String { "\(provider)/\(model)" }
}

/// What usage is summed by (besides the tenant, which every group carries).
public enum UsageGrouping: String, Hashable, Sendable, CaseIterable {
    /// By agent id.
    case agent
    /// By crew id.
    case crew
    /// By `provider/model` of the model that answered.
    case model
    /// By UTC day (`yyyy-MM-dd`).
    case day

    /// The SQL expression of the group's key (the same in SQLite and PostgreSQL; a fixed string, never input).
    public var sqlKey: String {
        switch self {
        case .agent: return "agent"
        case .crew: return "crew"
        case .model: return "provider || '/' || model"
        case .day: return "day"
        }
    }
}

/// Which usage to sum: calls finished in `[from, to)`, of one tenant or all, grouped.
public struct UsageQuery: Hashable, Sendable {
    /// The first instant counted.
    public var from: Date
    /// The first instant no longer counted.
    public var to: Date
    /// One tenant's usage, or every tenant's (nil, for platform roles).
    public var tenant: TenantID?
    /// What the sums are grouped by (within each tenant).
    public var groupBy: UsageGrouping

    /// Creates a query.
    public init(from: Date, to: Date, tenant: TenantID?, groupBy: UsageGrouping) {
        self.from = from
        self.to = to
        self.tenant = tenant
        self.groupBy = groupBy
    }
}

extension UsageQuery {
    /// Parses a bound of a usage period: an ISO 8601 instant (`2026-12-07T10:00:00Z`) or a UTC day (`2026-12-07`),
    /// which stands for the day's start, or with `endOfDay` for the next day's start (so `to=2026-12-07` counts the
    /// 7th). Nil when `text` is neither.
    public static func instant(_ text: String, endOfDay: Bool = false) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        guard text.count == 10,
            let day = try? Date(text + "T00:00:00Z", strategy: .iso8601),
            SpendDay(day).description == text
        else { return nil }
        return endOfDay ? day.addingTimeInterval(86_400) : day
    }

    /// The expected forms of a bound, for error messages.
    public static let instantForms = "an ISO 8601 time (2026-12-07T10:00:00Z) or a UTC day (2026-12-07)"
}

/// The sums of one group of a ``UsageQuery``: a tenant and a key (an agent, a crew, a model or a day).
public struct UsageGroup: Hashable, Sendable {
    /// The tenant.
    public var tenant: TenantID
    /// The agent, crew, `provider/model` or day.
    public var key: String
    /// Tokens, cost and calls.
    public var totals: UsageTotals

    /// Creates a group.
    public init(tenant: TenantID, key: String, totals: UsageTotals) {
        self.tenant = tenant
        self.key = key
        self.totals = totals
    }

    /// The group as JSON (`tenant`, the grouping's name with the key, tokens, cost and calls).
    public func json(groupedBy grouping: UsageGrouping) -> JSONValue {
        [
            "tenant": .string(tenant.rawValue), grouping.rawValue: .string(key), "calls": .int(totals.calls),
            "usage": RunJSON.usage(totals.usage), "cost_usd": .double(totals.costUSD),
        ]
    }
}

extension Array where Element == UsageGroup {
    /// The groups' tokens, cost and calls summed.
    public var total: UsageTotals {
        var total = UsageTotals()
        for group in self {
            total.usage = total.usage + group.totals.usage
            total.costUSD += group.totals.costUSD
            total.calls += group.totals.calls
        }
        return total
    }
}

/// A run's usage summed by agent and by `provider/model` (of the model that answered).
public struct RunUsageTotals: Hashable, Sendable {
    /// Totals by agent id.
    public var byAgent: [String: UsageTotals]
    /// Totals by `provider/model`.
    public var byModel: [String: UsageTotals]

    /// Creates totals.
    public init(byAgent: [String: UsageTotals] = [:], byModel: [String: UsageTotals] = [:]) {
        self.byAgent = byAgent
        self.byModel = byModel
    }

    /// Sums `records`.
    public init(_ records: [UsageRecord]) {
        self.init()
        for record in records {
            byAgent[record.agent, default: UsageTotals()].add(record.usage, cost: record.costUSD)
            byModel[record.modelReference, default: UsageTotals()].add(record.usage, cost: record.costUSD)
        }
    }

    /// `{"by_agent": {...}, "by_model": {...}}`, as a run's result has them.
    public var json: JSONObject { ["by_agent": RunJSON.totals(byAgent), "by_model": RunJSON.totals(byModel)] }
}

extension UsageTotals {
    /// Adds one call.
    public mutating func add(_ callUsage: TokenUsage, cost: Double) {
        usage = usage + callUsage
        costUSD += cost
        calls += 1
    }
}

/// The port to the record of every model call's usage, per tenant: what `GET /v1/usage` and `agentctl usage` sum,
/// and what a stored run's totals by agent and model come from.
public protocol UsageLedger: Sendable {
    /// Books one call.
    func appendUsage(_ record: UsageRecord) async throws
    /// Sums the calls `query` selects, per tenant and group, ordered by tenant and key.
    func usage(_ query: UsageQuery) async throws -> [UsageGroup]
    /// One run's calls, in the order they were booked.
    func usageRecords(of run: RunID) async throws -> [UsageRecord]
}
