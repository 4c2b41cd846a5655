import AgentRuntime
import ArgumentParser
import Tools

/// `agentctl secrets name`.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Help with secret references.", subcommands: [Name.self])

    /// Prints the environment variable that holds a reference with the environment secret store.
    struct Name: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the environment variable that holds a secret reference (environment secret store).",
            discussion:
                "Example: `agentctl secrets name --tenant acme wordpress/app_password` prints AGENTRUNTIME_TENANT_ACME_SECRET_WORDPRESS_2FAPP__PASSWORD; without --tenant the reference is in the platform scope (`llm/openai` is AGENTRUNTIME_SECRET_LLM_2FOPENAI)."
        )

        @Option(name: .long, help: "The tenant whose reference it is (default: the platform's).") var tenant: String?
        @Argument(help: "The reference, e.g. wordpress/app_password or llm/openai.") var reference: String

        func run() async throws {
            let scope: SecretScope = tenant.map { .tenant(TenantID($0)) } ?? .platform
            Console.print(EnvironmentSecretStore.variableName(reference, scope: scope))
        }
    }
}
