import AgentGateway
import AgentRuntime
import ArgumentParser
import Foundation
import MCPServing

/// `agentctl mcp`: the platform as an MCP server over standard input and output, for a desktop app or an IDE that
/// starts it as a process.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Serve the platform over MCP on standard input and output.",
        discussion:
            "Tools: crew_<id> for each crew the tenant may run (its inputs as arguments; the final answer as the result) and agent_invoke (agent + prompt). Resources: agentruntime://agents/<id> and agentruntime://crews/<id>. Each call is a stored run of --tenant (see `agentctl runs list`). Standard output carries only the protocol; diagnostics go to standard error. The HTTP equivalent is /mcp on `agentctl serve`."
    )

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var engine: EngineOptions

    func run() async throws {
        let principal = engine.principal
        let (services, knowledge) = try await Composition.gatewayServices(
            configuration: GatewayConfiguration(serviceToken: nil), catalog: catalog, runtime: runtime,
            storeLocation: try engine.storeLocation(runtime: runtime), suspendsForApprovals: false,
            model: engine.model.flatMap(ModelReference.init(parsing:)))
        guard services.tenants[principal.tenant] != nil else {
            Console.error(
                "error: unknown tenant \"\(principal.tenant)\" (tenants: \(services.tenants.keys.map(\.rawValue).sorted().joined(separator: ", ")))"
            )
            throw ExitCode(ExitStatus.notFound)
        }
        let watcher = knowledge.watch(every: .seconds(5))
        defer { watcher.cancel() }
        try await PlatformMCPServer(services: services, principal: principal).serveStandardIO()
        // The client has gone: runs it left behind are stored as interrupted (any worker carries them on).
        await services.runs.drain(grace: .zero)
    }
}
