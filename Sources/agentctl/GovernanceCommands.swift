import AgentRuntime
import Agents
import ArgumentParser
import Foundation

/// `agentctl tenants list|show`.
struct TenantsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants", abstract: "List and show tenants.", subcommands: [List.self, Show.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants with their connectors.")
        @OptionGroup var catalog: CatalogOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let tenants = catalog.loadTenants().tenants.values.sorted { $0.id < $1.id }
            if json {
                Console.print(
                    JSONValue.array(
                        tenants.map {
                            [
                                "id": .string($0.id.rawValue), "name": .string($0.name),
                                "connectors": .array($0.connectors.keys.sorted().map { .string($0) }),
                            ]
                        }
                    ).serialized(pretty: true))
                return
            }
            Console.print(
                Table.render(
                    header: ["ID", "NAME", "CONNECTORS"],
                    rows: tenants.map {
                        [$0.id.rawValue, $0.name, $0.connectors.keys.sorted().joined(separator: ", ")]
                    }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one tenant (settings and secret references; never secret values).")
        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "The tenant id.") var id: String

        func run() throws {
            guard let tenant = catalog.loadTenants().tenants[TenantID(id)] else {
                Console.error("error: unknown tenant \"\(id)\"")
                throw ExitCode(ExitStatus.notFound)
            }
            var lines = ["\(tenant.name) (\(tenant.id))"]
            for (name, connector) in tenant.connectors.sorted(by: { $0.key < $1.key }) {
                let settings = connector.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: ", ")
                let secrets = connector.secrets.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }.joined(
                    separator: ", ")
                lines.append(
                    "connector \(name): \(settings.isEmpty ? "" : settings + "; ")secrets \(secrets.isEmpty ? "(none)" : secrets)"
                )
            }
            lines.append(
                "denied tools: \(tenant.toolDeny.isEmpty ? "(none)" : tenant.toolDeny.map(\.rawValue).sorted().joined(separator: ", "))"
            )
            lines.append(
                "agents: \(tenant.allowedAgents == nil && tenant.allowedCategories == nil ? "all" : ((tenant.allowedCategories.map { $0.sorted().map { "category " + $0 } } ?? []) + (tenant.allowedAgents?.map(\.rawValue).sorted() ?? [])).joined(separator: ", "))"
            )
            if let limits = tenant.limits {
                lines.append(
                    "limits: \(limits.maxLLMCalls) calls, \(limits.maxTokens) tokens, $\(limits.maxCostUSD), \(Int(limits.maxWallTimeSeconds)) s"
                )
            }
            let caps = tenant.spendCaps
            if caps.perDayUSD != nil || caps.perMonthUSD != nil {
                lines.append(
                    "spend caps: \(caps.perDayUSD.map { "$\($0)/day" } ?? "-"), \(caps.perMonthUSD.map { "$\($0)/month" } ?? "-") (UTC)"
                )
            }
            lines.append(
                "approvals: \(tenant.approvals.rawValue)\(tenant.approvalTools.isEmpty ? "" : " + " + tenant.approvalTools.map(\.rawValue).sorted().joined(separator: ", ")); decided by \(tenant.approverRoles.map(\.rawValue).sorted().joined(separator: ", ")) or a platform role"
            )
            if let rate = tenant.rateLimit {
                lines.append(
                    "rate limit: \(rate.requestsPerMinute.map(String.init) ?? "-") requests/min, \(rate.tokensPerMinute.map(String.init) ?? "-") tokens/min"
                )
            }
            Console.print(lines.joined(separator: "\n"))
        }
    }
}

/// `agentctl approvals list|approve|reject`.
struct ApprovalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals", abstract: "Decide tool calls waiting for approval.",
        subcommands: [List.self, Approve.self, Reject.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List approvals of the tenant (pending by default).")
        @OptionGroup var runtime: RuntimeOptions
        @OptionGroup var engine: EngineOptions
        @Option(name: .long, help: "pending, approved, rejected, expired or all.") var status: String = "pending"
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let store = try await engine.openStore(runtime: runtime)
            let records = try await store.approvals(
                tenant: TenantID(engine.tenant), runID: nil, status: status == "all" ? nil : status)
            if json {
                Console.print(
                    JSONValue.array(
                        records.map { record in
                            [
                                "id": .string(record.request.id), "run_id": .string(record.request.runID.rawValue),
                                "agent": .string(record.request.agent.rawValue),
                                "tool": .string(record.request.tool.rawValue),
                                "arguments": .string(AuditRedaction.redact(record.request.arguments)),
                                "status": .string(record.status),
                                "expires_at": .string(record.expiresAt.formatted(.iso8601)),
                            ]
                        }
                    ).serialized(pretty: true))
                return
            }
            Console.print(
                Table.render(
                    header: ["APPROVAL", "RUN", "AGENT", "TOOL", "STATUS", "ARGUMENTS"],
                    rows: records.map {
                        [
                            $0.request.id, $0.request.runID.rawValue, $0.request.agent.rawValue,
                            $0.request.tool.rawValue, $0.status,
                            String(AuditRedaction.redact($0.request.arguments).prefix(80)),
                        ]
                    }))
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a pending tool call (tenant_admin or above).")
        @OptionGroup var runtime: RuntimeOptions
        @OptionGroup var engine: EngineOptions
        @Argument(help: "The approval id.") var id: String
        @Option(name: .long, help: "A comment.") var comment: String = ""
        func run() async throws {
            try await ApprovalsCommand.decide(engine, runtime, id, approved: true, comment: comment)
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reject a pending tool call (tenant_admin or above); the model is told it was refused.")
        @OptionGroup var runtime: RuntimeOptions
        @OptionGroup var engine: EngineOptions
        @Argument(help: "The approval id.") var id: String
        @Option(name: .long, help: "Why.") var comment: String = ""
        func run() async throws {
            try await ApprovalsCommand.decide(engine, runtime, id, approved: false, comment: comment)
        }
    }

    static func decide(
        _ engine: EngineOptions, _ runtime: RuntimeOptions, _ id: String, approved: Bool, comment: String
    ) async throws {
        guard (engine.principal.roles.max() ?? .tenantUser) >= .tenantAdmin else {
            Console.error("error: deciding approvals needs tenant_admin or above (role \(engine.role))")
            throw ExitCode(ExitStatus.invalid)
        }
        let store = try await engine.openStore(runtime: runtime)
        if let approval = try await store.approval(id, tenant: TenantID(engine.tenant)),
            let run = try await store.run(approval.request.runID, tenant: TenantID(engine.tenant)), run.status.isFinal
        {
            Console.error(
                "error: run \(run.id) has ended (\(run.status.rawValue)); its approvals can no longer be decided")
            throw ExitCode(ExitStatus.invalid)
        }
        guard
            try await store.decideApproval(
                id, tenant: TenantID(engine.tenant), approved: approved, by: engine.principal.user, comment: comment)
        else {
            Console.error(
                "error: no pending approval \"\(id)\" for tenant \(engine.tenant) (unknown, already decided, or expired)"
            )
            throw ExitCode(ExitStatus.notFound)
        }
        // A run that stopped to wait (under serve) is queued; serve carries it on within seconds.
        if let approval = try await store.approval(id, tenant: TenantID(engine.tenant)),
            try await RunLifecycle(store: store).queueAfterDecision(approval.request.runID)
        {
            Console.error("run \(approval.request.runID) queued to continue")
        }
        Console.print("\(approved ? "approved" : "rejected") \(id)")
    }
}

/// `agentctl audit`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Print the audit log of tool calls (append-only).")
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var engine: EngineOptions
    @Option(name: .long, help: "Only entries since this time: ISO 8601 (2026-11-22T10:00:00Z) or an age (30m, 2h, 7d).")
    var since: String?
    @Flag(name: .long, help: "All tenants (platform_admin or super_admin).") var allTenants = false
    @Flag(name: .long, help: "Print JSON lines.") var json = false

    func run() async throws {
        var start: Date?
        if let since {
            if let date = try? Date(since, strategy: .iso8601) {
                start = date
            } else if let last = since.last, let amount = Double(since.dropLast()),
                let unit = ["m": 60.0, "h": 3600.0, "d": 86400.0][String(last)]
            {
                start = Date().addingTimeInterval(-amount * unit)
            } else {
                throw ValidationError("--since must be an ISO 8601 time or an age like 30m, 2h, 7d")
            }
        }
        if allTenants, (engine.principal.roles.max() ?? .tenantUser) < .platformAdmin {
            Console.error("error: --all-tenants needs platform_admin or super_admin")
            throw ExitCode(ExitStatus.invalid)
        }
        let store = try await engine.openStore(runtime: runtime)
        for entry in try await store.audit(
            tenant: allTenants ? nil : TenantID(engine.tenant), since: start, limit: 1000)
        {
            if json {
                Console.print(
                    JSONValue.object([
                        "time": .string(entry.time.formatted(.iso8601)), "tenant": .string(entry.tenant.rawValue),
                        "user": .string(entry.user),
                        "roles": .array(entry.roles.map { .string($0) }), "run_id": .string(entry.runID.rawValue),
                        "agent": .string(entry.agent),
                        "tool": .string(entry.tool), "outcome": .string(entry.outcome),
                        "duration_ms": entry.durationMS.map { .int($0) } ?? .null,
                        "arguments": .string(entry.arguments), "detail": .string(entry.detail),
                    ]).serialized())
            } else {
                Console.print(
                    "\(entry.time.formatted(.iso8601))\t\(entry.tenant)\t\(entry.user)\t\(entry.runID)\t\(entry.agent)\t\(entry.tool)\t\(entry.outcome)\t\(entry.arguments.prefix(120))\t\(entry.detail.prefix(120))"
                )
            }
        }
    }
}
