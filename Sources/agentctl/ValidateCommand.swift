import Agents
import ArgumentParser

/// `agentctl validate`: check every agent, crew, connector definition and tenant file.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract:
            "Check every agent, crew, connector definition (connectors/*.json) and tenant file and report all problems.",
        discussion:
            "Prints `path:line:column: error|warning: message [json pointer]` per problem and a summary. Exit status 0 when there is no error, 1 otherwise."
    )

    @OptionGroup var catalog: CatalogOptions

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let agents = try catalog.loadCatalog()
        let tenants = catalog.loadTenants(quiet: true)
        // Tenant files are checked with the same diagnostics, in the same report.
        let loaded = Catalog(
            agents: agents.agents, crews: agents.crews, diagnostics: agents.diagnostics + tenants.diagnostics,
            fileCount: agents.fileCount + agents.connectors.fileCount + tenants.tenants.count
                + Set(tenants.diagnostics.map(\.file)).subtracting(tenants.tenants.keys.map { "tenants/\($0).json" })
                .count,
            agentFiles: agents.agentFiles, crewFiles: agents.crewFiles,
            knowledgeCollections: agents.knowledgeCollections, connectors: agents.connectors)
        switch format {
        case .text: Console.print(DiagnosticReport.text(loaded))
        case .json: Console.print(DiagnosticReport.json(loaded))
        }
        if !loaded.isValid { throw ExitCode(ExitStatus.invalid) }
    }
}
