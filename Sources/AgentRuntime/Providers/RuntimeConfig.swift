import Foundation

/// One configured LLM provider.
public struct ProviderSettings: Hashable, Sendable {
    /// The wire format family.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// OpenAI Chat Completions (OpenAI, Groq, Ollama `/v1`, vLLM, any compatible server).
        case openai
        /// Azure OpenAI (deployment URLs, `api-key` header).
        case azure
        /// Anthropic Messages.
        case anthropic
        /// Gemini API.
        case gemini
        /// Ollama's native chat API (`/api/chat`); its `/v1` is reached with `openai`.
        case ollama
    }

    /// How an OpenAI-compatible server takes its key.
    public enum Authentication: String, Hashable, Sendable, CaseIterable {
        /// `Authorization: Bearer`.
        case bearer
        /// `api-key` header.
        case apiKey = "api-key"
        /// No key.
        case none
    }

    /// The provider key used in `provider/model` references.
    public var name: String
    /// The wire format.
    public var kind: Kind
    /// The API base URL (Azure: the resource endpoint).
    public var baseURL: URL
    /// Where the key comes from; nil when the server needs none.
    public var apiKey: CredentialReference?
    /// How the key is sent (OpenAI-compatible and Azure).
    public var authentication: Authentication
    /// Azure's `api-version`.
    public var apiVersion: String?
    /// Extra headers for every request.
    public var headers: [String: String]
    /// The longest one call may take, retries included.
    public var timeout: Duration
    /// How retryable failures are retried (count and backoff).
    public var retry: RetryPolicy

    /// Retries of retryable failures.
    public var maxRetries: Int {
        get { retry.maxRetries }
        set { retry.maxRetries = newValue }
    }
    /// The provider-wide rate limit.
    public var rateLimit: RateLimit?
    /// The OpenAI output-limit field name; nil chooses per model (see ``OpenAIChatFormat/maxTokensField``).
    public var maxTokensField: String?
    /// Anthropic extended thinking: the `budget_tokens` a call may think with; nil leaves thinking off.
    public var thinkingBudget: Int?
    /// Models to list in `agentctl models list`.
    public var models: [String]

    /// Creates settings.
    public init(
        name: String, kind: Kind, baseURL: URL, apiKey: CredentialReference?, authentication: Authentication? = nil,
        apiVersion: String? = nil, headers: [String: String] = [:], timeout: Duration = .seconds(600),
        retry: RetryPolicy = RetryPolicy(), rateLimit: RateLimit? = nil, maxTokensField: String? = nil,
        thinkingBudget: Int? = nil, models: [String] = []
    ) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.authentication = authentication ?? (apiKey == nil ? .none : kind == .azure ? .apiKey : .bearer)
        self.apiVersion = apiVersion
        self.headers = headers
        self.timeout = timeout
        self.retry = retry
        self.rateLimit = rateLimit
        self.maxTokensField = maxTokensField
        self.thinkingBudget = thinkingBudget
        self.models = models
    }

    /// The default base URL of a kind.
    public static func defaultBaseURL(_ kind: Kind) -> URL {
        switch kind {
        case .openai: return URL(string: "https://api.openai.com/v1")!
        case .azure: return URL(string: "https://example.openai.azure.com")!
        case .anthropic: return URL(string: "https://api.anthropic.com")!
        case .gemini: return URL(string: "https://generativelanguage.googleapis.com/v1beta")!
        case .ollama: return URL(string: "http://127.0.0.1:11434")!
        }
    }
}

/// The runtime's model configuration: providers, default model, prices, fallbacks, tenant limits.
public struct RuntimeConfig: Sendable {
    /// Providers by name.
    public var providers: [String: ProviderSettings]
    /// The model used when an agent names none.
    public var defaultModel: ModelReference?
    /// Prices for cost accounting.
    public var prices: PriceTable
    /// Models to try, in order, when a model still fails with a retryable error after its retries.
    public var fallbacks: [ModelReference: [ModelReference]]
    /// The rate limit each tenant gets unless its tenant file says otherwise.
    public var tenantRateLimit: RateLimit?
    /// Per-run limits.
    public var limits: RunLimits
    /// Who may call `serve`: signed access tokens (OIDC) and static service tokens.
    public var auth = AuthSettings()
    /// How long a tool call waits for approval before the request expires (counting as a rejection).
    public var approvalExpiry: Duration = .seconds(3600)
    /// The HTTP client every provider, connector and secret store call goes through.
    public var http = HTTPClientSettings()
    /// Where connector requests may go (`egress`): internal destinations allowed, and whether `https` is required.
    public var egress = EgressPolicy()
    /// What a resumed run does with a write an earlier attempt sent but never saw answered.
    public var uncertainWrites: UncertainSideEffectPolicy = .askApproval
    /// MCP servers the operator runs over standard I/O for named tenants (`mcp_servers`), by name.
    public var mcpServers: [String: OperatorMCPServer] = [:]
    /// Where the run store lives (`store`): a path, `sqlite:PATH` or `postgres://…`; `--store` and
    /// `AGENTRUNTIME_STORE` take precedence.
    public var store: String?
    /// Whether exported spans carry prompts, completions and tool arguments and results (`trace_include_content`).
    public var traceIncludesContent = false

    /// Creates a config.
    public init(
        providers: [String: ProviderSettings] = [:], defaultModel: ModelReference? = nil,
        prices: PriceTable = .defaults,
        fallbacks: [ModelReference: [ModelReference]] = [:], tenantRateLimit: RateLimit? = nil,
        limits: RunLimits = RunLimits()
    ) {
        self.providers = providers
        self.defaultModel = defaultModel
        self.prices = prices
        self.fallbacks = fallbacks
        self.tenantRateLimit = tenantRateLimit
        self.limits = limits
    }

    /// The configuration implied by the usual environment variables: `OPENAI_API_KEY` (+ `OPENAI_BASE_URL`),
    /// `ANTHROPIC_API_KEY` (+ `ANTHROPIC_BASE_URL`), `GEMINI_API_KEY` (+ `GEMINI_BASE_URL`), `GROQ_API_KEY`
    /// (+ `GROQ_BASE_URL`), `AZURE_OPENAI_API_KEY` + `AZURE_OPENAI_ENDPOINT`
    /// (+ `AZURE_OPENAI_API_VERSION`), `OLLAMA_HOST`, `VLLM_BASE_URL`, and `AGENTRUNTIME_DEFAULT_MODEL`.
    public static func fromEnvironment(_ environment: [String: String]) -> RuntimeConfig {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var providers: [String: ProviderSettings] = [:]
        providers["openai"] = ProviderSettings(
            name: "openai", kind: .openai,
            baseURL: value("OPENAI_BASE_URL").flatMap(URL.init(string:)) ?? ProviderSettings.defaultBaseURL(.openai),
            apiKey: .environment("OPENAI_API_KEY"), models: ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini"])
        providers["anthropic"] = ProviderSettings(
            name: "anthropic", kind: .anthropic,
            baseURL: value("ANTHROPIC_BASE_URL").flatMap(URL.init(string:))
                ?? ProviderSettings.defaultBaseURL(.anthropic),
            apiKey: .environment("ANTHROPIC_API_KEY"), models: ["claude-sonnet-4-5", "claude-haiku-4-5"])
        providers["gemini"] = ProviderSettings(
            name: "gemini", kind: .gemini,
            baseURL: value("GEMINI_BASE_URL").flatMap(URL.init(string:)) ?? ProviderSettings.defaultBaseURL(.gemini),
            apiKey: .environment("GEMINI_API_KEY"), models: ["gemini-2.5-flash", "gemini-2.5-pro"])
        providers["groq"] = ProviderSettings(
            name: "groq", kind: .openai,
            baseURL: value("GROQ_BASE_URL").flatMap(URL.init(string:)) ?? URL(
                string: "https://api.groq.com/openai/v1")!,
            apiKey: .environment("GROQ_API_KEY"), models: ["llama-3.3-70b-versatile"])
        if let endpoint = value("AZURE_OPENAI_ENDPOINT").flatMap(URL.init(string:)) {
            providers["azure"] = ProviderSettings(
                name: "azure", kind: .azure, baseURL: endpoint, apiKey: .environment("AZURE_OPENAI_API_KEY"),
                apiVersion: value("AZURE_OPENAI_API_VERSION") ?? "2024-10-21")
        }
        var ollama = value("OLLAMA_HOST") ?? "http://127.0.0.1:11434"
        if !ollama.contains("://") { ollama = "http://" + ollama }
        providers["ollama"] = ProviderSettings(
            name: "ollama", kind: .ollama, baseURL: URL(string: ollama)!, apiKey: nil, models: ["llama3.2"])
        if let vllm = value("VLLM_BASE_URL").flatMap(URL.init(string:)) {
            providers["vllm"] = ProviderSettings(
                name: "vllm", kind: .openai, baseURL: vllm,
                apiKey: value("VLLM_API_KEY") == nil ? nil : .environment("VLLM_API_KEY"))
        }
        let defaultModel: ModelReference? =
            value("AGENTRUNTIME_DEFAULT_MODEL").flatMap(ModelReference.init(parsing:))
            ?? (value("OPENAI_API_KEY") != nil
                ? ModelReference(provider: "openai", model: "gpt-4o-mini")
                : value("ANTHROPIC_API_KEY") != nil
                    ? ModelReference(provider: "anthropic", model: "claude-sonnet-4-5")
                    : value("GEMINI_API_KEY") != nil
                        ? ModelReference(provider: "gemini", model: "gemini-2.5-flash")
                        : value("GROQ_API_KEY") != nil
                            ? ModelReference(provider: "groq", model: "llama-3.3-70b-versatile")
                            : ModelReference(provider: "ollama", model: "llama3.2"))
        var config = RuntimeConfig(providers: providers, defaultModel: defaultModel)
        if let client = value("AGENTRUNTIME_HTTP_CLIENT").flatMap({
            HTTPClientSettings.Client(rawValue: $0.lowercased())
        }) {
            config.http.client = client
        }
        return config
    }
}
