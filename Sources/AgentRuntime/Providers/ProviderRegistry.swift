import Foundation

/// Builds ready-to-call models from `provider/model` references: the right
/// wire format, credentials (a tenant's own key first), retries, rate limits
/// and fallbacks. The composition root makes one; runs share it.
public struct ProviderRegistry: Sendable {
    /// The configuration.
    public let config: RuntimeConfig
    private let transport: any HTTPTransport
    private let secrets: (any SecretStore)?
    private let environment: [String: String]
    private let limiter: any RateLimiting
    /// Each tenant's own rate limit (from its tenant file), replacing the config's default.
    let tenantRateLimits: [TenantID: RateLimit]
    /// Told (once per tenant and provider) when a tenant's own key cannot be read and the platform key is used.
    private let notices: NoticeBoard

    /// The tenant-scoped secret path of a tenant's own key for `provider` (bring your own key).
    public static func tenantKeyPath(_ provider: String) -> String { "llm/\(provider)" }

    /// Creates a registry.
    public init(
        config: RuntimeConfig, transport: any HTTPTransport, secrets: (any SecretStore)? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment, limiter: any RateLimiting = RateLimiter(),
        tenantRateLimits: [TenantID: RateLimit] = [:],
        notice: @escaping @Sendable (String) -> Void = ProviderRegistry.printNotice
    ) {
        self.notices = NoticeBoard(notice)
        self.tenantRateLimits = tenantRateLimits
        self.config = config
        self.transport = transport
        self.secrets = secrets
        self.environment = environment
        self.limiter = limiter
    }

    /// A model ready to call.
    public struct Resolution: Sendable {
        /// The primary reference.
        public let reference: ModelReference
        /// The client (with fallbacks and rate limits applied).
        public let model: any ChatModel
        /// The primary's price, when known.
        public let price: ModelPrice?
        /// Whether the tenant's own key is used.
        public let usesTenantKey: Bool
        /// Fallback references in order.
        public let fallbacks: [ModelReference]
    }

    /// Resolves `reference` (or the default model) for `tenant`.
    public func resolve(
        _ reference: ModelReference?, tenant: TenantID? = nil, tenantRateLimit: RateLimit? = nil
    ) async throws -> Resolution {
        guard let primary = reference ?? config.defaultModel else { throw ModelResolutionError.noDefaultModel }
        var candidates: [FallbackChatModel.Candidate] = []
        var usesTenantKey = false
        let chain = [primary] + (config.fallbacks[primary] ?? [])
        for (position, candidate) in chain.enumerated() {
            do {
                let (model, tenantKey) = try await client(
                    for: candidate, tenant: tenant, tenantRateLimit: tenantRateLimit)
                if position == 0 { usesTenantKey = tenantKey }
                candidates.append(FallbackChatModel.Candidate(model: model, reference: candidate))
            } catch let error as ModelResolutionError where position > 0 {
                _ = error  // A fallback that cannot be built is skipped; the primary must work.
            }
        }
        let model: any ChatModel = candidates.count == 1 ? candidates[0].model : FallbackChatModel(candidates)
        return Resolution(
            reference: primary, model: model, price: config.prices.price(for: primary), usesTenantKey: usesTenantKey,
            fallbacks: Array(candidates.dropFirst().map(\.reference)))
    }

    /// Whether a key is configured for `provider` (never the key itself).
    public func credentialStatus(_ provider: String) async -> CredentialStatus {
        guard let settings = config.providers[provider] else { return .unknownProvider }
        guard let reference = settings.apiKey else { return .notNeeded }
        do {
            return try await platformKey(reference) == nil
                ? .missing(reference.description) : .present(reference.description)
        } catch {
            return .unavailable(String(describing: error))
        }
    }

    /// Whether a provider has its key.
    public enum CredentialStatus: Hashable, Sendable {
        /// The key is there (its reference).
        case present(String)
        /// The reference points nowhere.
        case missing(String)
        /// The server needs no key.
        case notNeeded
        /// The secret store failed.
        case unavailable(String)
        /// No such provider.
        case unknownProvider
    }

    /// A tenant's own key for `provider`, which is optional: when the store refuses the read, the platform key is used
    /// and the refusal is told (never silently, never with a value).
    private func ownKey(_ provider: String, tenant: TenantID, secrets: any SecretStore) async throws -> String? {
        do {
            return try await secrets.secret(Self.tenantKeyPath(provider), scope: .tenant(tenant))
        } catch let error as SecretStoreError where error.kind == .forbidden {
            await notices.tell(
                "warning: tenant \(tenant)'s own \(provider) key could not be read (\(error)); using the platform key",
                once: "\(tenant)/\(provider)")
            return nil
        }
    }

    /// Writes a notice to standard error.
    public static let printNotice: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    private func platformKey(_ reference: CredentialReference) async throws -> String? {
        switch reference {
        case .environment(let name): return environment[name].flatMap { $0.isEmpty ? nil : $0 }
        case .secret(let path):
            guard let secrets else { return nil }
            return try await secrets.secret(path, scope: .platform)
        }
    }

    private func client(
        for reference: ModelReference, tenant: TenantID?, tenantRateLimit: RateLimit?
    ) async throws -> (any ChatModel, Bool) {
        guard let settings = config.providers[reference.provider] else {
            throw ModelResolutionError.unknownProvider(reference.provider, known: config.providers.keys.sorted())
        }
        var key: String?
        var tenantKey = false
        do {
            if let tenant, let secrets {
                key = try await ownKey(settings.name, tenant: tenant, secrets: secrets)
                tenantKey = key != nil
            }
            if key == nil, let reference = settings.apiKey { key = try await platformKey(reference) }
        } catch let error as SecretStoreError {
            throw ModelResolutionError.secretStore(error)
        }
        if let reference = settings.apiKey, key == nil, !tenantKey {
            var described = reference.description
            if case .secret(let path) = reference, let location = secrets?.location(of: path, scope: .platform) {
                described += " (\(location))"
            }
            throw ModelResolutionError.missingCredential(provider: settings.name, reference: described)
        }
        var headers = HTTPHeaders()
        for (name, value) in settings.headers.sorted(by: { $0.key < $1.key }) { headers.set(name, value) }
        let retry = settings.retry
        let base: any ChatModel
        switch settings.kind {
        case .openai, .azure:
            let endpoint: OpenAIChatFormat.Endpoint =
                settings.kind == .azure
                ? .azure(endpoint: settings.baseURL, apiVersion: settings.apiVersion ?? "2024-10-21")
                : .standard(baseURL: settings.baseURL)
            let authentication: OpenAIChatFormat.Authentication =
                switch settings.authentication {
                case .bearer: .bearer
                case .apiKey: .apiKeyHeader
                case .none: .none
                }
            base = HTTPChatModel(
                format: OpenAIChatFormat(
                    provider: settings.name, endpoint: endpoint, authentication: authentication, apiKey: key,
                    extraHeaders: headers, maxTokensField: settings.maxTokensField),
                transport: transport, retryPolicy: retry, timeout: settings.timeout)
        case .anthropic:
            base = HTTPChatModel(
                format: AnthropicChatFormat(
                    provider: settings.name, baseURL: settings.baseURL, apiKey: key, extraHeaders: headers,
                    thinkingBudget: settings.thinkingBudget),
                transport: transport, retryPolicy: retry, timeout: settings.timeout)
        case .gemini:
            base = HTTPChatModel(
                format: GeminiChatFormat(
                    provider: settings.name, baseURL: settings.baseURL, apiKey: key, extraHeaders: headers),
                transport: transport, retryPolicy: retry, timeout: settings.timeout)
        case .ollama:
            base = HTTPChatModel(
                format: OllamaChatFormat(
                    provider: settings.name, baseURL: settings.baseURL, apiKey: key, extraHeaders: headers),
                transport: transport, retryPolicy: retry, timeout: settings.timeout)
        }
        var scopes: [RateLimitedChatModel.Scope] = []
        if let limit = settings.rateLimit { scopes.append(.init(key: "provider:\(settings.name)", limit: limit)) }
        if let tenant, let limit = tenantRateLimit ?? config.tenantRateLimit {
            scopes.append(.init(key: "tenant:\(tenant)", limit: limit))
        }
        let model: any ChatModel =
            scopes.isEmpty ? base : RateLimitedChatModel(base: base, limiter: limiter, scopes: scopes)
        return (model, tenantKey)
    }
}

/// Why a model reference could not be turned into a client (operator errors, named precisely).
public enum ModelResolutionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No model was named and no default is configured.
    case noDefaultModel
    /// The provider is not configured.
    case unknownProvider(String, known: [String])
    /// The provider's key reference resolves to nothing.
    case missingCredential(provider: String, reference: String)
    /// The secret store failed.
    case secretStore(SecretStoreError)

    /// A message naming what to fix (never a key).
    public var description: String {
        switch self {
        case .noDefaultModel:
            return
                "no model named and no default model configured (set default_model in agentruntime.json or AGENTRUNTIME_DEFAULT_MODEL)"
        case .unknownProvider(let name, let known):
            return "unknown provider \"\(name)\" (configured: \(known.joined(separator: ", ")))"
        case .missingCredential(let provider, let reference):
            return "no API key for provider \"\(provider)\": \(reference) is not set"
        case .secretStore(let error):
            return error.description
        }
    }
}

/// Tells each distinct notice once.
private actor NoticeBoard {
    private let tell: @Sendable (String) -> Void
    private var told: Set<String> = []

    init(_ tell: @escaping @Sendable (String) -> Void) { self.tell = tell }

    func tell(_ message: String, once key: String) {
        if told.insert(key).inserted { tell(message) }
    }
}
