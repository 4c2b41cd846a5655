import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Tools

/// `agentctl tools list`: the registry, or the tools a tenant, role and agent would get, with reasons for the hidden ones.
struct ToolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools", abstract: "List tools, or the effective tools of a tenant, role and agent.",
        subcommands: [List.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List every tool; with --tenant, --role and --agent, the tools that agent would be offered and why each other one is hidden."
        )

        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var runtime: RuntimeOptions
        @Option(name: .long, help: "The tenant.") var tenant: String?
        @Option(name: .long, help: "The caller's role.") var role: String?
        @Option(name: .long, help: "The agent.") var agent: String?
        @Flag(name: .long, help: "Print JSON (with argument schemas).") var json = false

        func run() async throws {
            let connectors = catalog.loadConnectors()
            let specs = ToolRegistry.specs(with: connectors.definitions)
            guard tenant != nil || role != nil || agent != nil else {
                if json {
                    Console.print(
                        JSONValue.array(
                            specs.map { spec in
                                [
                                    "id": .string(spec.id.rawValue), "description": .string(spec.description),
                                    "access": .string(spec.access.rawValue),
                                    "requires_approval": .bool(spec.requiresApproval),
                                    "parameters": spec.parameters.document,
                                ]
                            }
                        ).serialized(pretty: true))
                    return
                }
                Console.print(
                    Table.render(
                        header: ["ID", "ACCESS", "APPROVAL", "DESCRIPTION"],
                        rows: specs.map {
                            [$0.id.rawValue, $0.access.rawValue, $0.requiresApproval ? "yes" : "no", $0.description]
                        }))
                return
            }
            if let tenant, role == nil, agent == nil {
                try await listTenant(TenantID(tenant))
                return
            }
            guard let tenant, let role, let agentID = agent else {
                throw ValidationError("give --tenant alone, or --tenant, --role and --agent together")
            }
            guard let parsedRole = Role(rawValue: role) else {
                throw ValidationError("--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let loaded = try catalog.loadCatalogForReading()
            guard let definition = loaded.agent(AgentID(agentID)) else {
                Console.error("error: unknown agent \"\(agentID)\"")
                throw ExitCode(ExitStatus.notFound)
            }
            let tenants = catalog.loadTenants().adding(operatorServers: try runtime.loadConfig().mcpServers)
            let policy = TenantToolPolicy(tenants: tenants.tenants)
            let principal = Principal(tenant: TenantID(tenant), user: "cli", roles: [parsedRole])
            let registry = ToolRegistry.standard(
                client: ConnectorClient(
                    transport: try runtime.connectorTransport(),
                    settings: TenantConnectorSettings(tenants: tenants.tenants)),
                knowledge: KnowledgeBase(root: catalog.knowledgeDirectory), definitions: connectors.definitions)
            var rows: [[String]] = []
            var items: [JSONValue] = []
            // The tools of the tenant's MCP servers the agent names, as the servers list them now.
            let source = try Composition.mcpTools(
                base: registry, tenants: tenants, runtime: runtime, secrets: try runtime.secretStore())
            var mcpSpecs: [ToolSpec] = []
            for entry in definition.tools where entry.isMCP {
                let found = await source.tools(for: entry, principal: principal).map(\.spec)
                if found.isEmpty {
                    rows.append([entry.rawValue, "", "hidden", "", "no such tool on the tenant's MCP servers"])
                    items.append(["id": .string(entry.rawValue), "offered": false, "reason": "no such tool"])
                }
                mcpSpecs += found.filter { spec in !mcpSpecs.contains { $0.id == spec.id } }
            }
            for spec in specs + mcpSpecs {
                let reason: String?
                if spec.id.isMCP {
                    if case .deny(let why) = await policy.decide(spec, agent: definition, principal: principal) {
                        reason = why
                    } else {
                        reason = nil
                    }
                } else if !definition.tools.contains(spec.id) {
                    reason = "not in the agent's tools"
                } else if registry.tool(spec.id) == nil {
                    reason = "not implemented in this runtime"
                } else if case .deny(let why) = await policy.decide(spec, agent: definition, principal: principal) {
                    reason = why
                } else {
                    reason = nil
                }
                guard spec.id.isMCP || definition.tools.contains(spec.id) else { continue }
                // Under the tenant's approvals policy.
                let approval = await policy.requiresApproval(spec, agent: definition, principal: principal)
                rows.append([
                    spec.id.rawValue, spec.access.rawValue, reason == nil ? "offered" : "hidden",
                    approval ? "yes" : "no", reason ?? "",
                ])
                items.append([
                    "id": .string(spec.id.rawValue), "access": .string(spec.access.rawValue),
                    "offered": .bool(reason == nil), "requires_approval": .bool(approval),
                    "reason": reason.map(JSONValue.string) ?? .null,
                ])
            }
            if json {
                Console.print(JSONValue.array(items).serialized(pretty: true))
            } else {
                Console.print(
                    Table.render(header: ["TOOL", "ACCESS", "STATUS", "APPROVAL", "WHY HIDDEN"], rows: rows))
            }
        }

        /// Every tool `tenant` has: the registry's, and its MCP servers' as they list them now, each with its server,
        /// its effective access (annotations or the tenant's override) and whether calls wait for approval.
        private func listTenant(_ tenant: TenantID) async throws {
            let tenants = catalog.loadTenants().adding(operatorServers: try runtime.loadConfig().mcpServers)
            guard let definition = tenants.tenants[tenant] else {
                Console.error("error: unknown tenant \"\(tenant)\"")
                throw ExitCode(ExitStatus.notFound)
            }
            let policy = TenantToolPolicy(tenants: tenants.tenants)
            let source = try Composition.mcpTools(
                base: ToolRegistry([]), tenants: tenants, runtime: runtime, secrets: try runtime.secretStore())
            var listed: [(server: String, spec: ToolSpec)] = ToolRegistry.specs(
                with: catalog.loadConnectors().definitions
            ).map { ("", $0) }
            for server in definition.mcpServers.values.sorted(by: { $0.name < $1.name }) {
                let (tools, problem) = await source.listing(server, tenant: tenant)
                if let problem { Console.error("warning: \(problem)") }
                listed += tools.map { (server.name, $0.spec) }
            }
            if json {
                Console.print(
                    JSONValue.array(
                        listed.map { item in
                            [
                                "id": .string(item.spec.id.rawValue),
                                "server": item.server.isEmpty ? .null : .string(item.server),
                                "access": .string(item.spec.access.rawValue),
                                "requires_approval": .bool(policy.requiresApproval(item.spec, tenant: tenant)),
                                "description": .string(item.spec.description),
                                "parameters": item.spec.parameters.document,
                            ]
                        }
                    ).serialized(pretty: true))
                return
            }
            Console.print(
                Table.render(
                    header: ["ID", "SERVER", "ACCESS", "APPROVAL", "DESCRIPTION"],
                    rows: listed.map {
                        [
                            $0.spec.id.rawValue, $0.server.isEmpty ? "-" : $0.server, $0.spec.access.rawValue,
                            policy.requiresApproval($0.spec, tenant: tenant) ? "yes" : "no", $0.spec.description,
                        ]
                    }))
        }
    }
}
