import AgentRuntime
import ArgumentParser
import Foundation

/// `agentctl usage`: tokens and cost of model calls per tenant, grouped by agent, crew, model or day.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Report tokens and cost of model calls per tenant.",
        discussion:
            "Sums the model calls booked in the store (each under the model that answered it, a fallback's included) from --from up to --to, per tenant and --group-by. A day as --to counts that whole day. Without --from: the 30 days before --to; without --to: now."
    )
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var engine: EngineOptions
    @Option(name: .long, help: "From this time: ISO 8601 (2026-12-01T00:00:00Z) or a UTC day (2026-12-01).")
    var from: String?
    @Option(name: .long, help: "Up to this time: ISO 8601, or a UTC day (counted whole).") var to: String?
    @Option(name: .customLong("group-by"), help: "agent, crew, model or day.") var groupBy: String = "day"
    @Flag(name: .long, help: "All tenants (platform_admin or super_admin).") var allTenants = false
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        guard let grouping = UsageGrouping(rawValue: groupBy) else {
            throw ValidationError(
                "--group-by must be one of \(UsageGrouping.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(groupBy)\""
            )
        }
        let end = try to.map { try Self.instant($0, option: "--to", endOfDay: true) } ?? Date()
        let start =
            try from.map { try Self.instant($0, option: "--from", endOfDay: false) }
            ?? end.addingTimeInterval(-30 * 86_400)
        guard start < end else { throw ValidationError("--from must be before --to") }
        if allTenants, (engine.principal.roles.max() ?? .tenantUser) < .platformAdmin {
            Console.error("error: --all-tenants needs platform_admin or super_admin")
            throw ExitCode(ExitStatus.invalid)
        }
        let store = try await engine.openStore(runtime: runtime)
        let groups = try await store.usage(
            UsageQuery(
                from: start, to: end, tenant: allTenants ? nil : TenantID(engine.tenant), groupBy: grouping))
        if json {
            Console.print(JSONValue.array(groups.map { $0.json(groupedBy: grouping) }).serialized(pretty: true))
            return
        }
        let total = groups.total
        let rows = groups.map { group in
            [
                group.tenant.rawValue, group.key, String(group.totals.calls), String(group.totals.usage.inputTokens),
                String(group.totals.usage.outputTokens), String(format: "$%.6f", group.totals.costUSD),
            ]
        }
        Console.print(
            Table.render(
                header: ["TENANT", grouping.rawValue.uppercased(), "CALLS", "INPUT", "OUTPUT", "COST"], rows: rows))
        Console.print(
            String(
                format: "%d call(s) · %d tokens in · %d out · $%.6f · %@ to %@", total.calls,
                total.usage.inputTokens, total.usage.outputTokens, total.costUSD, start.formatted(.iso8601),
                end.formatted(.iso8601)))
    }

    private static func instant(_ text: String, option: String, endOfDay: Bool) throws -> Date {
        guard let date = UsageQuery.instant(text, endOfDay: endOfDay) else {
            throw ValidationError("\(option) \"\(text)\" is not \(UsageQuery.instantForms)")
        }
        return date
    }
}
