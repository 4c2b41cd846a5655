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
            TenantsCommand.self, ApprovalsCommand.self, AuditCommand.self, ReplayCommand.self, PlaygroundCommand.self,
            StoreCommand.self, ServeCommand.self, SecretsCommand.self,
        ]
    )

}
