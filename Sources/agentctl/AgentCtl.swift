import ArgumentParser

/// `agentctl`: the AgentRuntime command line.
@main
struct AgentCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agentctl",
        abstract: "Validate, inspect and run AgentRuntime agents and crews.",
        subcommands: [
            ValidateCommand.self, AgentsCommand.self, CrewsCommand.self, ToolsCommand.self, ModelsCommand.self,
            AskCommand.self, RunCommand.self, InvokeCommand.self, RunsCommand.self, KnowledgeCommand.self,
            TenantsCommand.self, ApprovalsCommand.self, AuditCommand.self, UsageCommand.self, ReplayCommand.self,
            PlaygroundCommand.self,
            StoreCommand.self, ServeCommand.self, MCPCommand.self, SecretsCommand.self, ConnectorsCommand.self,
        ]
    )

    /// Runs the command, then (whether it succeeded or not, and after `serve`'s graceful shutdown) closes the
    /// process's adapters: a secret-store token obtained by logging in is revoked.
    static func main() async {
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            await ProcessAdapters.shared.close()
            exit(withError: error)
        }
        await ProcessAdapters.shared.close()
    }
}
