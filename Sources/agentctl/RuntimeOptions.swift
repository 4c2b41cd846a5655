import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import MCPTools
import NIOTransport
import Tools

/// Where the runtime config comes from, and the adapters built from it (the composition root).
struct RuntimeOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The runtime config file.",
            discussion:
                "Default: $AGENTRUNTIME_CONFIG, else ./agentruntime.json when present; without one, the usual provider environment variables are used."
        ))
    var config: String?

    /// The config file path, if any is configured or present.
    var configFile: URL {
        let path =
            config ?? ProcessInfo.processInfo.environment["AGENTRUNTIME_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
            ?? RuntimeConfigLoader.fileName
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL
    }

    /// The environment defaults with the config file on top; exits with diagnostics when the file has errors.
    /// Read once per process (diagnostics print once); every command shares the result.
    func loadConfig() throws -> RuntimeConfig {
        try ProcessAdapters.shared.config { try readConfig() }
    }

    private func readConfig() throws -> RuntimeConfig {
        let environment = ProcessInfo.processInfo.environment
        if config != nil, !FileManager.default.fileExists(atPath: configFile.path) {
            Console.error("error: config file not found: \(configFile.path)")
            throw ExitCode(ExitStatus.notFound)
        }
        let (loaded, diagnostics) = RuntimeConfigLoader.load(
            configFile, displayPath: config ?? RuntimeConfigLoader.fileName,
            base: RuntimeConfig.fromEnvironment(environment))
        for diagnostic in diagnostics { Console.error(diagnostic.formatted) }
        if diagnostics.contains(where: { $0.severity == .error }) { throw ExitCode(ExitStatus.invalid) }
        return loaded
    }

    /// The secret store: Vault/OpenBao when `VAULT_ADDR` (or `BAO_ADDR`) is set, authenticated with `VAULT_TOKEN`
    /// or AppRole (`VAULT_ROLE_ID` + `VAULT_SECRET_ID`), KV v2 mount `VAULT_KV_MOUNT` (default `secret`);
    /// otherwise environment variables over `./.env`.
    func secretStore() throws -> any SecretStore {
        try ProcessAdapters.shared.secrets { try makeSecretStore() }
    }

    private func makeSecretStore() throws -> any SecretStore {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let address = (value("VAULT_ADDR") ?? value("BAO_ADDR")).flatMap(URL.init(string:)) {
            let authentication: VaultSecretStore.Authentication
            if let token = value("VAULT_TOKEN") ?? value("BAO_TOKEN") {
                authentication = .token(token)
            } else if let role = value("VAULT_ROLE_ID"), let secret = value("VAULT_SECRET_ID") {
                authentication = .appRole(roleID: role, secretID: secret)
            } else {
                Console.error(
                    "error: VAULT_ADDR is set but neither VAULT_TOKEN nor VAULT_ROLE_ID and VAULT_SECRET_ID are")
                throw ExitCode(ExitStatus.invalid)
            }
            return VaultSecretStore(
                address: address, mount: value("VAULT_KV_MOUNT") ?? "secret", authentication: authentication,
                transport: try transport(),
                namespace: value("VAULT_NAMESPACE"))
        }
        return try EnvironmentSecretStore(
            dotEnv: URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".env"))
    }

    /// The provider registry over the process's transport, with each tenant's own rate limit, enforced by
    /// `limiter` (in memory when nil; shared by every replica on a PostgreSQL store).
    func registry(
        tenantRateLimits: [TenantID: RateLimit] = [:], limiter: (any RateLimiting)? = nil
    ) throws -> ProviderRegistry {
        ProviderRegistry(
            config: try loadConfig(), transport: try transport(), secrets: try secretStore(),
            limiter: limiter ?? RateLimiter(), tenantRateLimits: tenantRateLimits)
    }

    /// The HTTP transport of model providers and the secret store, whose addresses the operator configures: the
    /// process's one HTTP client (the NIO client unless `http.client` or `AGENTRUNTIME_HTTP_CLIENT` says
    /// `urlsession`), redirects followed by ``RedirectingTransport``'s rules.
    func transport() throws -> any HTTPTransport {
        RedirectingTransport(try client(), maxRedirects: try loadConfig().http.maxRedirects)
    }

    /// The HTTP transport of connectors, whose addresses tenants configure: the same client (and connection pools)
    /// behind the `egress` policy, checked on every redirect hop.
    func connectorTransport() throws -> any HTTPTransport {
        let config = try loadConfig()
        return RedirectingTransport.guarded(try client(), egress: config.egress, maxRedirects: config.http.maxRedirects)
    }

    /// The process's one HTTP client, made on first use.
    private func client() throws -> any HTTPTransport {
        let settings = try loadConfig().http
        return try ProcessAdapters.shared.transport {
            // Every request (providers, connectors, the secret store) carries the current span's `traceparent`.
            switch settings.client {
            case .nio:
                do { return TraceContextTransport(base: try AsyncHTTPClientTransport(settings: settings)) } catch {
                    Console.error("error: \(error)")
                    throw ExitCode(ExitStatus.invalid)
                }
            case .urlsession:
                return TraceContextTransport(
                    base: URLSessionTransport(
                        maximumConnectionsPerHost: settings.maxConnectionsPerHost,
                        idleTimeout: settings.idleTimeout.seconds))
            }
        }
    }
}

extension ExitStatus {
    /// A model or tool call failed.
    static let callFailed: Int32 = 3
}

/// The adapters a process builds once and every command shares: the config (so its diagnostics print once), the
/// HTTP transport (one set of connection pools) and the secret store (one login).
final class ProcessAdapters: Sendable {
    static let shared = ProcessAdapters()

    private let loadedConfig = Once<RuntimeConfig>()
    private let builtTransport = Once<any HTTPTransport>()
    private let builtSecrets = Once<any SecretStore>()
    private let builtMCPPool = Once<MCPSessionPool>()
    private let installedTracer = Once<any RunTracer>()

    /// The tracer runs report spans to: the one `serve` installed (OpenTelemetry, when `OTEL_*` asks for it), else
    /// none.
    var tracer: any RunTracer { installedTracer.current ?? NoRunTracer() }
    /// Installs the process's tracer (before the engine environment is built).
    func install(tracer: any RunTracer) { _ = try? installedTracer.get { tracer } }

    func config(_ make: () throws -> RuntimeConfig) throws -> RuntimeConfig { try loadedConfig.get(make) }
    func transport(_ make: () throws -> any HTTPTransport) throws -> any HTTPTransport { try builtTransport.get(make) }
    func secrets(_ make: () throws -> any SecretStore) throws -> any SecretStore { try builtSecrets.get(make) }
    func mcpPool(_ make: () throws -> MCPSessionPool) throws -> MCPSessionPool { try builtMCPPool.get(make) }

    /// Ends what the adapters hold open when the process is done: the secret store's token, when it logged in for
    /// one, is revoked.
    func close() async {
        // MCP sessions first: ending one asks the server, with the header the secret store gave.
        await builtMCPPool.current?.shutdown()
        if let vault = builtSecrets.current as? VaultSecretStore { await vault.close() }
    }
}

/// A value made on first use. `make` runs outside the lock (it may ask for another `Once`); when two callers race,
/// the first value stored wins.
final class Once<Value: Sendable>: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var value: Value?

    /// The value, if it was made.
    var current: Value? { lock.withLock { value } }

    func get(_ make: () throws -> Value) throws -> Value {
        if let value = lock.withLock({ value }) { return value }
        let made = try make()
        return lock.withLock {
            if let value { return value }
            value = made
            return made
        }
    }
}
