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
        commandName: "audit",
        abstract: "Print the audit log (append-only): tool calls, and definition changes with their diffs.",
        discussion:
            "Filters match GET /v1/audit: --from/--since, --to, --actor, --tool, --outcome, --kind. Pages with --limit; the cursor of the next page is printed on standard error (pass it with --cursor)."
    )
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var engine: EngineOptions
    @Option(
        name: [.long, .customLong("from")],
        help: "Only entries since this time: ISO 8601 (2026-11-22T10:00:00Z) or an age (30m, 2h, 7d).")
    var since: String?
    @Option(name: .long, help: "Only entries before this time (ISO 8601 or an age).") var to: String?
    @Option(name: .long, help: "Only entries of this user (`file` for changes picked up from disk).") var actor: String?
    @Option(name: .long, help: "Only this tool (web.fetch, config.agent_update, ...).") var tool: String?
    @Option(name: .long, help: "Only this outcome (allowed, failed, denied, applied, rejected, ...).") var outcome:
        String?
    @Option(name: .long, help: "Only this kind: tool_call, agent, crew, connector, tenant, config.") var kind: String?
    @Option(name: .long, help: "Entries after this cursor (printed after a full page).") var cursor: Int?
    @Option(name: .long, help: "At most this many entries (1-10000).") var limit: Int = 1000
    @Flag(name: .long, help: "Print each definition change's diff under it.") var diff = false
    @Flag(name: .long, help: "All tenants (platform_admin or super_admin).") var allTenants = false
    @Flag(name: .long, help: "Print JSON lines.") var json = false

    /// A time given as ISO 8601 or as an age before now.
    static func time(_ text: String, option: String) throws -> Date {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let last = text.last, let amount = Double(text.dropLast()),
            let unit = ["m": 60.0, "h": 3600.0, "d": 86400.0][String(last)]
        {
            return Date().addingTimeInterval(-amount * unit)
        }
        throw ValidationError("\(option) must be an ISO 8601 time or an age like 30m, 2h, 7d")
    }

    func run() async throws {
        guard (1...10000).contains(limit) else { throw ValidationError("--limit must be 1-10000") }
        let from = try since.map { try Self.time($0, option: "--from") }
        let until = try to.map { try Self.time($0, option: "--to") }
        if allTenants, (engine.principal.roles.max() ?? .tenantUser) < .platformAdmin {
            Console.error("error: --all-tenants needs platform_admin or super_admin")
            throw ExitCode(ExitStatus.invalid)
        }
        let store = try await engine.openStore(runtime: runtime)
        let entries = try await store.auditEntries(
            AuditQuery(
                tenant: allTenants ? nil : TenantID(engine.tenant), from: from, to: until, actor: actor, tool: tool,
                outcome: outcome, kind: kind, after: cursor, limit: limit))
        for entry in entries {
            if json {
                Console.print(
                    JSONValue.object([
                        "id": entry.id.map { .int($0) } ?? .null,
                        "time": .string(entry.time.formatted(.iso8601)), "tenant": .string(entry.tenant.rawValue),
                        "user": .string(entry.user), "kind": .string(entry.kind),
                        "roles": .array(entry.roles.map { .string($0) }), "run_id": .string(entry.runID.rawValue),
                        "agent": .string(entry.agent),
                        "tool": .string(entry.tool), "outcome": .string(entry.outcome),
                        "duration_ms": entry.durationMS.map { .int($0) } ?? .null,
                        "arguments": .string(entry.arguments), "detail": .string(entry.detail),
                        "diff": .string(entry.diff),
                    ]).serialized())
            } else {
                Console.print(
                    "\(entry.time.formatted(.iso8601))\t\(entry.tenant)\t\(entry.user)\t\(entry.kind)\t\(entry.runID)\t\(entry.agent)\t\(entry.tool)\t\(entry.outcome)\t\(entry.arguments.prefix(120))\t\(entry.detail.prefix(120))"
                )
                if diff, !entry.diff.isEmpty { Console.print(entry.diff) }
            }
        }
        if entries.count == limit, let last = entries.last?.id { Console.error("next page: --cursor \(last)") }
    }
}
