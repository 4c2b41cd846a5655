import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Tools

/// Where the runtime config comes from, and the adapters built from it (the composition root).
struct RuntimeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The runtime config file.", discussion: "Default: $AGENTRUNTIME_CONFIG, else ./agentruntime.json when present; without one, the usual provider environment variables are used."))
    var config: String?

    /// The config file path, if any is configured or present.
    var configFile: URL {
        let path = config ?? ProcessInfo.processInfo.environment["AGENTRUNTIME_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? RuntimeConfigLoader.fileName
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
    }

    /// The environment defaults with the config file on top; exits with diagnostics when the file has errors.
    func loadConfig() throws -> RuntimeConfig {
        let environment = ProcessInfo.processInfo.environment
        if config != nil, !FileManager.default.fileExists(atPath: configFile.path) {
            Console.error("error: config file not found: \(configFile.path)")
            throw ExitCode(ExitStatus.notFound)
        }
        let (loaded, diagnostics) = RuntimeConfigLoader.load(
            configFile, displayPath: config ?? RuntimeConfigLoader.fileName, base: RuntimeConfig.fromEnvironment(environment))
        for diagnostic in diagnostics { Console.error(diagnostic.formatted) }
        if diagnostics.contains(where: { $0.severity == .error }) { throw ExitCode(ExitStatus.invalid) }
        return loaded
    }

    /// The secret store: environment variables over `./.env`.
    func secretStore() throws -> EnvironmentSecretStore {
        try EnvironmentSecretStore(dotEnv: URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".env"))
    }

    /// The provider registry over a URLSession transport.
    func registry() throws -> ProviderRegistry {
        ProviderRegistry(config: try loadConfig(), transport: URLSessionTransport(), secrets: try secretStore())
    }
}

extension ExitStatus {
    /// A model or tool call failed.
    static let callFailed: Int32 = 3
}
