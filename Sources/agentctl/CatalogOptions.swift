import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Logging
import Tools

/// Where the definitions are: flags, then environment, then the working directory.
struct CatalogOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("The agents directory.", discussion: "Default: $AGENTRUNTIME_AGENTS_DIR, else ./agents."))
    var agentsDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The knowledge directory.", discussion: "Default: $AGENTRUNTIME_KNOWLEDGE_DIR, else ./knowledge."))
    var knowledgeDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp("The tenants directory.", discussion: "Default: $AGENTRUNTIME_TENANTS_DIR, else ./tenants."))
    var tenantsDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The connector definitions directory.",
            discussion: "Default: $AGENTRUNTIME_CONNECTORS_DIR, else connectors/ next to the agents directory."))
    var connectorsDir: String?

    /// `connectors/`: the flag, the environment, else next to the agents directory.
    var connectorsDirectory: URL {
        if connectorsDir != nil
            || ProcessInfo.processInfo.environment["AGENTRUNTIME_CONNECTORS_DIR"].map({ !$0.isEmpty }) == true
        {
            return resolve(connectorsDir, environment: "AGENTRUNTIME_CONNECTORS_DIR", fallback: "connectors")
        }
        return agentsDirectory.deletingLastPathComponent().appendingPathComponent("connectors")
    }

    /// The connector definition files, validated (problems go to stderr unless `quiet`).
    func loadConnectors(quiet: Bool = true) -> ConnectorCatalog {
        let connectors = ConnectorCatalog.load(
            connectorsDirectory, displayBase: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            reservedIDs: ToolRegistry.builtinConnectorIDs)
        if !quiet { for diagnostic in connectors.diagnostics { Console.error(diagnostic.formatted) } }
        return connectors
    }

    var tenantsDirectory: URL {
        resolve(tenantsDir, environment: "AGENTRUNTIME_TENANTS_DIR", fallback: "tenants")
    }

    /// The tenant files, validated; problems go to stderr.
    func loadTenants(quiet: Bool = false) -> TenantCatalog {
        let connectors = loadConnectors()
        let catalog = TenantCatalog.load(
            tenantsDirectory, knownTools: ToolRegistry.ids(with: connectors.definitions),
            displayBase: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            settingsCheck: Connectors.settingProblem,
            definitions: ToolRegistry.effectiveDefinitions(connectors.definitions))
        if !quiet { for diagnostic in catalog.diagnostics { Console.error(diagnostic.formatted) } }
        return catalog
    }

    var agentsDirectory: URL {
        resolve(agentsDir, environment: "AGENTRUNTIME_AGENTS_DIR", fallback: "agents")
    }

    var knowledgeDirectory: URL {
        resolve(knowledgeDir, environment: "AGENTRUNTIME_KNOWLEDGE_DIR", fallback: "knowledge")
    }

    private func resolve(_ flag: String?, environment: String, fallback: String) -> URL {
        let path =
            flag ?? ProcessInfo.processInfo.environment[environment].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL
    }

    /// Loads the catalog, or exits with a message when the agents directory is missing.
    func loadCatalog() throws -> Catalog {
        let loader = catalogLoader()
        do {
            return try loader.load()
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.notFound)
        }
    }

    /// The loader of the agents, crews and connector definitions.
    func catalogLoader() -> CatalogLoader {
        CatalogLoader(
            agentsDirectory: agentsDirectory, knowledgeDirectory: knowledgeDirectory,
            knownTools: ToolRegistry.standardIDs,
            displayBase: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            connectorsDirectory: connectorsDirectory, builtinConnectors: ToolRegistry.builtinConnectorIDs)
    }

    /// Loads the catalog for a read command: problems go to stderr as a one-line hint.
    func loadCatalogForReading() throws -> Catalog {
        let catalog = try loadCatalog()
        if catalog.errorCount > 0 {
            Console.error(
                "warning: \(catalog.errorCount) definition error(s); definitions with errors are not listed (run `agentctl validate`)"
            )
        }
        return catalog
    }
}

/// Exit statuses shared by the commands.
enum ExitStatus {
    /// Validation found errors.
    static let invalid: Int32 = 1
    /// An id or directory does not exist.
    static let notFound: Int32 = 2
}

/// stdout / stderr writing.
enum Console {
    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func error(_ text: String) {
        if let logger = errorLogger.current {
            // `serve` logs: the line becomes a record (one JSON object per line), its level read from its prefix.
            let trimmed = text.trimmingCharacters(in: .newlines)
            for (prefix, level) in [("error: ", Logger.Level.error), ("warning: ", .warning)]
            where trimmed.hasPrefix(prefix) {
                logger.log(level: level, "\(trimmed.dropFirst(prefix.count))")
                return
            }
            logger.info("\(trimmed)")
            return
        }
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Where ``error(_:)`` sends its lines instead of standard error once set (by `serve`).
    static let errorLogger = Once<Logger>()
}

/// `--format text|json`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
