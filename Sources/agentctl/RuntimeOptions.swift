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

    /// The secret store: Vault/OpenBao when `VAULT_ADDR` (or `BAO_ADDR`) is set, authenticated with `VAULT_TOKEN`
    /// or AppRole (`VAULT_ROLE_ID` + `VAULT_SECRET_ID`), KV v2 mount `VAULT_KV_MOUNT` (default `secret`);
    /// otherwise environment variables over `./.env`.
    func secretStore() throws -> any SecretStore {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let address = (value("VAULT_ADDR") ?? value("BAO_ADDR")).flatMap(URL.init(string:)) {
            let authentication: VaultSecretStore.Authentication
            if let token = value("VAULT_TOKEN") ?? value("BAO_TOKEN") {
                authentication = .token(token)
            } else if let role = value("VAULT_ROLE_ID"), let secret = value("VAULT_SECRET_ID") {
                authentication = .appRole(roleID: role, secretID: secret)
            } else {
                Console.error("error: VAULT_ADDR is set but neither VAULT_TOKEN nor VAULT_ROLE_ID and VAULT_SECRET_ID are")
                throw ExitCode(ExitStatus.invalid)
            }
            return VaultSecretStore(address: address, mount: value("VAULT_KV_MOUNT") ?? "secret", authentication: authentication, namespace: value("VAULT_NAMESPACE"))
        }
        return try EnvironmentSecretStore(dotEnv: URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".env"))
    }

    /// The provider registry over a URLSession transport, with each tenant's own rate limit.
    func registry(tenantRateLimits: [TenantID: RateLimit] = [:]) throws -> ProviderRegistry {
        ProviderRegistry(config: try loadConfig(), transport: URLSessionTransport(), secrets: try secretStore(), tenantRateLimits: tenantRateLimits)
    }
}

extension ExitStatus {
    /// A model or tool call failed.
    static let callFailed: Int32 = 3
}
