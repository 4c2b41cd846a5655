import AgentRuntime
import AgentRuntimeTesting
import Clocks
import Foundation
import Testing

@Suite("Provider registry: credentials, BYOK, fallbacks, cost")
struct ProviderRegistryTests {
    static let environment = [
        "OPENAI_API_KEY": "sk-platform-key-0000000000", "ANTHROPIC_API_KEY": "sk-ant-platform-000000000",
    ]

    private func registry(
        _ replies: [ReplayTransport.Reply], secrets: (any SecretStore)? = nil, config: RuntimeConfig? = nil
    ) -> (ProviderRegistry, ReplayTransport) {
        let transport = ReplayTransport(replies)
        var settings = config ?? RuntimeConfig.fromEnvironment(Self.environment)
        for name in settings.providers.keys { settings.providers[name]?.maxRetries = 0 }
        return (
            ProviderRegistry(config: settings, transport: transport, secrets: secrets, environment: Self.environment),
            transport
        )
    }

    @Test("the environment gives the usual providers and a default model")
    func environmentDefaults() {
        let config = RuntimeConfig.fromEnvironment([
            "GROQ_API_KEY": "gsk_x", "AZURE_OPENAI_ENDPOINT": "https://acme.openai.azure.com",
            "OLLAMA_HOST": "10.0.0.5:11434",
        ])
        #expect(Set(config.providers.keys) == ["openai", "anthropic", "gemini", "groq", "azure", "ollama"])
        #expect(config.defaultModel == ModelReference(provider: "groq", model: "llama-3.3-70b-versatile"))
        #expect(config.providers["ollama"]?.baseURL.absoluteString == "http://10.0.0.5:11434")
        #expect(config.providers["ollama"]?.kind == .ollama)
        #expect(config.providers["azure"]?.authentication == .apiKey)
        #expect(config.providers["ollama"]?.authentication == ProviderSettings.Authentication.none)
        #expect(
            RuntimeConfig.fromEnvironment([:]).defaultModel == ModelReference(provider: "ollama", model: "llama3.2"))
    }

    @Test("the platform key is used, and a tenant's own key overrides it for that tenant only")
    func bringYourOwnKey() async throws {
        let secrets = InMemorySecretStore([
            .tenant("acme"): [ProviderRegistry.tenantKeyPath("openai"): "sk-acme-own-key-111111111"]
        ])
        let (registry, transport) = registry(
            [
                ReplayTransport.Reply(body: OpenAIChatFormatTests.textResponse),
                ReplayTransport.Reply(body: OpenAIChatFormatTests.textResponse),
            ],
            secrets: secrets)
        let reference = ModelReference(provider: "openai", model: "gpt-4o-mini")
        let acme = try await registry.resolve(reference, tenant: "acme")
        #expect(acme.usesTenantKey)
        _ = try await acme.model.complete(ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")]))
        let globex = try await registry.resolve(reference, tenant: "globex")
        #expect(!globex.usesTenantKey)
        _ = try await globex.model.complete(ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")]))
        #expect(
            transport.requests.map { $0.headers["authorization"] } == [
                "Bearer sk-acme-own-key-111111111", "Bearer sk-platform-key-0000000000",
            ])
    }

    @Test("a tenant's own key the store refuses to read: the platform key is used, the run goes on, and it is told")
    func refusedTenantKeyFallsBack() async throws {
        let refused = SecretStoreError(
            kind: .forbidden, reference: "tenants/acme/llm/openai", message: "permission denied")
        let notices = NoticeRecorder()
        let transport = ReplayTransport([ReplayTransport.Reply(body: OpenAIChatFormatTests.textResponse)])
        var config = RuntimeConfig.fromEnvironment(Self.environment)
        config.providers["openai"]?.maxRetries = 0
        let registry = ProviderRegistry(
            config: config, transport: transport,
            secrets: InMemorySecretStore(failures: [.tenant("acme"): refused]), environment: Self.environment,
            notice: { notices.record($0) })
        let reference = ModelReference(provider: "openai", model: "gpt-4o-mini")
        let resolved = try await registry.resolve(reference, tenant: "acme")
        #expect(!resolved.usesTenantKey)
        _ = try await resolved.model.complete(ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")]))
        #expect(transport.requests.map { $0.headers["authorization"] } == ["Bearer sk-platform-key-0000000000"])
        _ = try await registry.resolve(reference, tenant: "acme")
        #expect(
            notices.messages == [
                "warning: tenant acme's own openai key could not be read (secret store forbidden for tenants/acme/llm/openai: permission denied); using the platform key"
            ], "told once, without a value")
        // Other failures of the store still fail the run: they are not the tenant's choice.
        let down = ProviderRegistry(
            config: config, transport: transport,
            secrets: InMemorySecretStore(
                failures: [
                    .tenant("acme"): SecretStoreError(
                        kind: .unavailable, reference: "tenants/acme/llm/openai", message: "down")
                ]), environment: Self.environment)
        await #expect(throws: ModelResolutionError.self) { _ = try await down.resolve(reference, tenant: "acme") }
    }

    @Test("a missing key names the reference, never a value; an unknown provider lists the known ones")
    func operatorErrors() async throws {
        let (registry, _) = registry([])
        await #expect(
            throws: ModelResolutionError.missingCredential(provider: "gemini", reference: "env:GEMINI_API_KEY")
        ) {
            _ = try await registry.resolve(ModelReference(provider: "gemini", model: "gemini-2.5-flash"))
        }
        let error = await #expect(throws: ModelResolutionError.self) {
            _ = try await registry.resolve(ModelReference(provider: "mistral", model: "large"))
        }
        #expect(
            error?.description.contains(
                "unknown provider \"mistral\" (configured: anthropic, gemini, groq, ollama, openai)") == true)
        #expect(await registry.credentialStatus("openai") == .present("env:OPENAI_API_KEY"))
        #expect(await registry.credentialStatus("gemini") == .missing("env:GEMINI_API_KEY"))
        #expect(await registry.credentialStatus("ollama") == .notNeeded)
    }

    @Test("a tenant's own rate limit applies to that tenant's calls only")
    func tenantRateLimit() async throws {
        let transport = ReplayTransport(
            Array(repeating: ReplayTransport.Reply(body: OpenAIChatFormatTests.textResponse), count: 4))
        let limiter = RateLimiter()
        let registry = ProviderRegistry(
            config: RuntimeConfig.fromEnvironment(Self.environment), transport: transport,
            environment: Self.environment, limiter: limiter,
            tenantRateLimits: ["acme": RateLimit(requestsPerMinute: 1)])
        let reference = ModelReference(provider: "openai", model: "gpt-4o-mini")
        let acme = try await registry.resolve(
            reference, principal: Principal(tenant: "acme", user: "u", roles: [.tenantUser]))
        var request = ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")])
        _ = try await acme.model.complete(request)
        request.deadline = .now + .seconds(5)
        let error = await #expect(throws: ProviderError.self) { _ = try await acme.model.complete(request) }
        #expect(error?.code == .rateLimited, "acme's second call would wait ~60 s, past its deadline")
        let globex = try await registry.resolve(
            reference, principal: Principal(tenant: "globex", user: "u", roles: [.tenantUser]))
        _ = try await globex.model.complete(request)
        _ = try await globex.model.complete(request)
        #expect(transport.requests.count == 3)
    }

    @Test("a secret store failure is reported by reference")
    func secretStoreFailure() async throws {
        let failure = SecretStoreError(kind: .sealed, reference: "tenants/acme/llm/openai", message: "Vault is sealed")
        let (registry, _) = registry([], secrets: InMemorySecretStore(failure: failure))
        await #expect(throws: ModelResolutionError.secretStore(failure)) {
            _ = try await registry.resolve(ModelReference(provider: "openai", model: "gpt-4o-mini"), tenant: "acme")
        }
    }

    @Test("the fallback model answers when the primary still fails with a retryable error")
    func fallback() async throws {
        var config = RuntimeConfig.fromEnvironment(Self.environment)
        config.fallbacks[ModelReference(provider: "openai", model: "gpt-4o")] = [
            ModelReference(provider: "anthropic", model: "claude-sonnet-4-5")
        ]
        let overloaded = ReplayTransport.Reply(status: 503, body: #"{"error":{"message":"overloaded"}}"#)
        let (registry, transport) = registry(
            [overloaded, ReplayTransport.Reply(body: AnthropicChatFormatTests.textResponse)], config: config)
        let resolved = try await registry.resolve(ModelReference(provider: "openai", model: "gpt-4o"))
        #expect(resolved.fallbacks == [ModelReference(provider: "anthropic", model: "claude-sonnet-4-5")])
        let response = try await resolved.model.complete(ChatRequest(model: "gpt-4o", messages: [.user("hi")]))
        #expect(response.text == "Hi! My name is Claude.")
        #expect(transport.requests.map(\.url.host) == ["api.openai.com", "api.anthropic.com"])
        let body = try JSONParser.value(transport.requests[1].body!)
        #expect(body["model"] == "claude-sonnet-4-5")
    }

    @Test("no fallback for errors another model cannot fix")
    func noFallbackOnAuth() async throws {
        var config = RuntimeConfig.fromEnvironment(Self.environment)
        config.fallbacks[ModelReference(provider: "openai", model: "gpt-4o")] = [
            ModelReference(provider: "anthropic", model: "claude-sonnet-4-5")
        ]
        let (registry, transport) = registry(
            [ReplayTransport.Reply(status: 400, body: #"{"error":{"message":"bad"}}"#)], config: config)
        let resolved = try await registry.resolve(ModelReference(provider: "openai", model: "gpt-4o"))
        await #expect(throws: ProviderError.self) {
            _ = try await resolved.model.complete(ChatRequest(model: "gpt-4o", messages: [.user("hi")]))
        }
        #expect(transport.requests.count == 1)
    }

    @Test("cost = uncached input + cached input + output, each at its price per million")
    func cost() {
        let prices = PriceTable.defaults
        let usage = TokenUsage(inputTokens: 1_000_000, outputTokens: 100_000, cachedInputTokens: 400_000)
        let cost = prices.cost(of: usage, on: ModelReference(provider: "openai", model: "gpt-4o-mini"))
        #expect(abs(cost! - (0.6 * 0.15 + 0.4 * 0.075 + 0.1 * 0.60)) < 1e-9)
        #expect(
            prices.price(for: ModelReference(provider: "openai", model: "gpt-4o-mini-2024-07-18"))
                == prices.prices["openai/gpt-4o-mini"])
        #expect(prices.cost(of: usage, on: ModelReference(provider: "ollama", model: "llama3.2")) == 0)
        // A model nobody priced counts at the default price, not $0: spend caps hold for it.
        #expect(prices.price(for: ModelReference(provider: "openai", model: "unknown-model")) == prices.prices["*"])
        #expect(
            prices.price(for: ModelReference(provider: "nosuch", model: "model")) == ModelPrice(input: 10, output: 30))
        #expect(
            PriceTable(["openai/gpt-4o": ModelPrice(input: 1, output: 1)]).cost(
                of: usage, on: ModelReference(provider: "x", model: "y")) == nil)
    }

    @Test(
        "servingProblem: a configured provider with its key serves any model name; an unknown provider, a missing key or no default model does not; readiness names providers only"
    )
    func serving() async {
        let (registry, _) = self.registry([])
        #expect(await registry.servingProblem(ModelReference(provider: "openai", model: "anything-new")) == nil)
        #expect(await registry.servingProblem(ModelReference(provider: "ollama", model: "llama3.2")) == nil)
        #expect(await registry.servingProblem(ModelReference?.none) == nil, "the default model")
        let unknown = await registry.servingProblem(ModelReference(provider: "nosuch", model: "model"))
        #expect(
            unknown?.hasPrefix("nosuch/model names provider \"nosuch\", which is not configured (providers: ") == true)
        let missing = await registry.servingProblem(ModelReference(provider: "gemini", model: "gemini-2.5-pro"))
        #expect(
            missing == "provider \"gemini\" of gemini/gemini-2.5-pro has no credential (env:GEMINI_API_KEY is not set)")
        let none = ProviderRegistry(config: RuntimeConfig(), transport: ReplayTransport([]), environment: [:])
        #expect(
            await none.servingProblem(ModelReference?.none) == "no model is named and no default model is configured")

        let ready = await registry.readiness(of: [ModelReference(provider: "anthropic", model: "claude-haiku-4-5")])
        #expect(ready.ready && ready.detail == "providers in use: anthropic, openai")
        let notReady = await registry.readiness(of: [ModelReference(provider: "gemini", model: "gemini-2.5-pro")])
        #expect(!notReady.ready && notReady.detail == "no usable credential for gemini")
        let nothing = await none.readiness(of: [])
        #expect(!nothing.ready && nothing.detail == "no default model and no agent names a model")
    }
}

@Suite("Rate limits")
struct RateLimiterTests {
    @Test("a bucket lets its capacity through, then asks callers to wait in turn, and refills as the clock moves")
    func bucket() async {
        let clock = TestClock()
        let limiter = RateLimiter(time: TimeSource(clock))
        for _ in 0..<60 { #expect(await limiter.reserve("k", amount: 1, perMinute: 60) == .zero) }
        #expect(await limiter.reserve("k", amount: 1, perMinute: 60) == .seconds(1))
        #expect(await limiter.reserve("k", amount: 1, perMinute: 60) == .seconds(2))
        #expect(await limiter.reserve("other", amount: 1, perMinute: 60) == .zero, "another key is not slowed")
        await limiter.adjust("k", by: -2)
        #expect(await limiter.reserve("k", amount: 1, perMinute: 60) == .seconds(1), "given back, the queue is shorter")
        await clock.advance(by: .seconds(3))
        #expect(await limiter.reserve("k", amount: 1, perMinute: 60) == .zero, "three seconds refill three requests")
        #expect(await limiter.reserve("k", amount: 1, perMinute: 60) == .zero)
        #expect(await limiter.reserve("k", amount: 1, perMinute: 60) == .seconds(1))
    }

    @Test(
        "a limited tenant waits on the clock while another tenant's calls go straight through", .timeLimit(.minutes(1)))
    func tenantsIndependent() async throws {
        let clock = TestClock()
        let limiter = RateLimiter(time: TimeSource(clock))
        let transport = ReplayTransport(
            Array(repeating: ReplayTransport.Reply(body: OpenAIChatFormatTests.textResponse), count: 4))
        let base = HTTPChatModel(
            format: OpenAIChatFormat(endpoint: .standard(baseURL: URL(string: "http://x")!), apiKey: nil),
            transport: transport)
        let limit = RateLimit(requestsPerMinute: 6)  // one every 10 s once the burst is spent
        let acme = RateLimitedChatModel(base: base, limiter: limiter, scopes: [.init(key: "tenant:acme", limit: limit)])
        let globex = RateLimitedChatModel(
            base: base, limiter: limiter, scopes: [.init(key: "tenant:globex", limit: limit)])
        for _ in 0..<6 { _ = await limiter.reserve("tenant:acme:requests", amount: 1, perMinute: 6) }
        let request = ChatRequest(model: "m", messages: [.user("hi")])
        let order = Order()
        let slow = Task {
            _ = try await acme.complete(request)
            await order.append("acme")
        }
        await clock.waitForSleeper()
        _ = try await globex.complete(request)
        await order.append("globex")
        await clock.advance(by: .milliseconds(9999))
        #expect(await order.items == ["globex"], "acme waits its full 10 s")
        await clock.advance(by: .milliseconds(1))
        try await slow.value
        #expect(await order.items == ["globex", "acme"])
        #expect(transport.requests.count == 2)
    }

    @Test("a wait past the deadline fails fast as rate_limited")
    func waitPastDeadline() async throws {
        let limiter = RateLimiter()
        let base = HTTPChatModel(
            format: OpenAIChatFormat(endpoint: .standard(baseURL: URL(string: "http://x")!), apiKey: nil),
            transport: ReplayTransport([]))
        let model = RateLimitedChatModel(
            base: base, limiter: limiter, scopes: [.init(key: "p", limit: RateLimit(tokensPerMinute: 600))])
        var request = ChatRequest(model: "m", messages: [.user(String(repeating: "x", count: 8000))])
        request.deadline = .now + .milliseconds(100)
        let error = await #expect(throws: ProviderError.self) { _ = try await model.complete(request) }
        #expect(error?.code == .rateLimited)
    }
}

actor Order {
    var items: [String] = []
    func append(_ item: String) { items.append(item) }
}

/// Notices a registry tells, in order.
final class NoticeRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    var messages: [String] { lock.withLock { recorded } }
    func record(_ message: String) { lock.withLock { recorded.append(message) } }
}
