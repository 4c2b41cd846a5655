import AgentRuntime
import Agents
import Testing

@Suite("Runtime config file")
struct RuntimeConfigLoaderTests {
    let base = RuntimeConfig.fromEnvironment([:])

    private func decode(_ text: String) -> (RuntimeConfig, [Diagnostic]) {
        RuntimeConfigLoader.decode(Array(text.utf8), displayPath: "agentruntime.json", base: base)
    }

    @Test("providers, default model, prices, fallbacks and tenant limits load on top of the defaults")
    func loads() throws {
        let (config, diagnostics) = decode(
            """
            {
              "default_model": "vllm/qwen2.5-7b",
              "providers": {
                "vllm": {"kind": "openai", "base_url": "http://127.0.0.1:8000/v1", "timeout_seconds": 30, "max_retries": 1, "retry_initial_delay_ms": 200, "retry_max_delay_ms": 5000,
                         "rate_limit": {"requests_per_minute": 100}, "headers": {"X-Team": "ops"}, "models": ["qwen2.5-7b"]},
                "azure": {"kind": "azure", "base_url": "https://acme.openai.azure.com", "api_key": "env:AZURE_KEY", "api_version": "2024-10-21"}
              },
              "prices": {"vllm/qwen2.5-7b": {"input": 0.01, "output": 0.02}},
              "fallbacks": {"vllm/qwen2.5-7b": ["openai/gpt-4o-mini"]},
              "tenant_rate_limit": {"requests_per_minute": 60, "tokens_per_minute": 100000},
              "limits": {"max_llm_calls": 40, "max_cost_usd": 0.5, "max_wall_time_seconds": 120},
              "approval_expiry_seconds": 900
            }
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.formatted))")
        #expect(config.defaultModel == ModelReference(provider: "vllm", model: "qwen2.5-7b"))
        let vllm = try #require(config.providers["vllm"])
        #expect(vllm.timeout == .seconds(30))
        #expect(vllm.retry == RetryPolicy(maxRetries: 1, initialDelay: .milliseconds(200), maxDelay: .seconds(5)))
        #expect(vllm.rateLimit == RateLimit(requestsPerMinute: 100))
        #expect(vllm.authentication == ProviderSettings.Authentication.none)
        #expect(config.providers["azure"]?.apiKey == .environment("AZURE_KEY"))
        #expect(config.providers["openai"] != nil, "environment defaults stay")
        #expect(config.prices.prices["vllm/qwen2.5-7b"] == ModelPrice(input: 0.01, output: 0.02))
        #expect(config.prices.prices["openai/gpt-4o"] != nil)
        #expect(
            config.fallbacks[ModelReference(provider: "vllm", model: "qwen2.5-7b")] == [
                ModelReference(provider: "openai", model: "gpt-4o-mini")
            ])
        #expect(config.tenantRateLimit == RateLimit(requestsPerMinute: 60, tokensPerMinute: 100000))
        #expect(config.limits == RunLimits(maxLLMCalls: 40, maxCostUSD: 0.5, maxWallTimeSeconds: 120))
        #expect(config.approvalExpiry == .seconds(900))
    }

    @Test("kind ollama, thinking_budget_tokens and max_tokens_field load; thinking on another kind is refused")
    func providerWireSettings() throws {
        let (config, diagnostics) = decode(
            """
            {"providers": {
              "local": {"kind": "ollama", "base_url": "http://10.0.0.9:11434"},
              "claude": {"kind": "anthropic", "api_key": "env:ANTHROPIC_API_KEY", "thinking_budget_tokens": 4096},
              "azure": {"kind": "azure", "base_url": "https://acme.openai.azure.com", "max_tokens_field": "max_completion_tokens"}
            }}
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.formatted))")
        #expect(config.providers["local"]?.kind == .ollama)
        #expect(config.providers["claude"]?.thinkingBudget == 4096)
        #expect(config.providers["azure"]?.maxTokensField == "max_completion_tokens")
        #expect(config.providers["openai"]?.maxTokensField == nil, "chosen per model")
        let (_, refused) = decode(#"{"providers": {"x": {"kind": "openai", "thinking_budget_tokens": 2048}}}"#)
        #expect(
            refused.map(\.message) == [#""thinking_budget_tokens" applies to kind anthropic only"#])
        #expect(refused.first?.pointer == "/providers/x/thinking_budget_tokens")
    }

    @Test("the HTTP client: NIO by default, URLSession by config or environment, pool and timeouts checked")
    func http() {
        #expect(base.http == HTTPClientSettings())
        #expect(base.http.client == .nio)
        #expect(RuntimeConfig.fromEnvironment(["AGENTRUNTIME_HTTP_CLIENT": "URLSession"]).http.client == .urlsession)
        let (config, diagnostics) = decode(
            """
            {"http": {"client": "urlsession", "max_connections_per_host": 32, "connect_timeout_seconds": 2.5, "idle_timeout_seconds": 60,
                      "pool_idle_timeout_seconds": 30, "max_redirects": 2, "max_response_bytes": 1048576}}
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.formatted))")
        #expect(
            config.http
                == HTTPClientSettings(
                    client: .urlsession, maxConnectionsPerHost: 32, connectTimeout: .milliseconds(2500),
                    idleTimeout: .seconds(60), poolIdleTimeout: .seconds(30),
                    maxRedirects: 2, maxResponseBytes: 1 << 20))
        #expect(decode(#"{"uncertain_writes": "fail"}"#).0.uncertainWrites == .fail)
        #expect(base.uncertainWrites == .askApproval)
        #expect(decode(#"{"uncertain_writes": "retry"}"#).1.map(\.pointer) == ["/uncertain_writes"])
        #expect(decode(#"{"store": "postgres://app@db/runs"}"#).0.store == "postgres://app@db/runs")
        #expect(decode("{}").0.store == nil)
        #expect(decode(#"{"store": 5}"#).1.map(\.pointer) == ["/store"])
        let (_, bad) = decode(
            """
            {"http": {"client": "curl", "max_connections_per_host": 0, "max_redirect": 3}}
            """)
        #expect(
            bad.map(\.pointer).sorted() == ["/http/client", "/http/max_connections_per_host", "/http/max_redirect"])
        #expect(bad.first { $0.pointer == "/http/max_redirect" }?.message.contains("max_redirects") == true)
    }

    @Test("egress: nothing internal and https by default; allow_hosts and require_https read, mistakes located")
    func egress() throws {
        #expect(base.egress == EgressPolicy(allowHosts: [], requireHTTPS: true))
        let (config, diagnostics) = decode(
            #"{"egress": {"allow_hosts": ["127.0.0.1", "10.0.0.0/8", "wiki.internal", "*.corp.example"], "require_https": false}}"#
        )
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.formatted))")
        #expect(
            config.egress
                == (try EgressPolicy(
                    allowing: ["127.0.0.1", "10.0.0.0/8", "wiki.internal", "*.corp.example"], requireHTTPS: false)))
        let (_, bad) = decode(
            """
            {"egress": {"allow_hosts": ["10.0.0.0/40", "127.1", "ok.example"], "require_http": false}}
            """)
        #expect(
            bad.map(\.formatted) == [
                "agentruntime.json:1:68: error: unknown field \"require_http\" in egress settings; did you mean \"require_https\"? [/egress/require_http]",
                "agentruntime.json:1:29: error: allow_hosts: \"10.0.0.0/40\" is not a CIDR range (an address in standard form, '/', and a prefix length of 0–32 for IPv4, 0–128 for IPv6) [/egress/allow_hosts/0]",
                "agentruntime.json:1:44: error: allow_hosts: \"127.1\" is not an address (in standard form, like 10.0.0.5 or ::1), a CIDR range (10.0.0.0/8), a host name (wiki.internal) or *.domain [/egress/allow_hosts/1]",
            ])
    }

    @Test("a key pasted into the file is rejected without echoing it")
    func pastedKey() {
        let (_, diagnostics) = decode(
            #"{"providers": {"openai": {"kind": "openai", "api_key": "sk-proj-REALKEY123456789"}}}"#)
        #expect(
            diagnostics.map(\.message) == [
                #""api_key" must be a reference (env:NAME or secret:path), never the key itself"#
            ])
        #expect(!diagnostics.map(\.formatted).joined().contains("REALKEY"))
    }

    @Test("every mistake is located")
    func mistakes() {
        let (_, diagnostics) = decode(
            """
            {
              "default_modle": "x",
              "providers": {"p": {"kind": "openia", "timeout_seconds": 0}},
              "fallbacks": {"openai/gpt-4o": ["mistral/large"]}
            }
            """)
        #expect(
            diagnostics.map(\.formatted) == [
                #"agentruntime.json:2:3: error: unknown field "default_modle" in runtime config; did you mean "default_model"? [/default_modle]"#,
                #"agentruntime.json:3:31: error: "kind" must be one of openai, azure, anthropic, gemini, ollama, found "openia"; did you mean "openai"? [/providers/p/kind]"#,
                #"agentruntime.json:3:60: error: "timeout_seconds" is 0, outside the allowed range 1.0–86400.0 [/providers/p/timeout_seconds]"#,
                #"agentruntime.json:4:35: error: fallback "mistral/large" names provider "mistral", which is not configured [/fallbacks/openai~1gpt-4o/0]"#,
            ])
    }
}
