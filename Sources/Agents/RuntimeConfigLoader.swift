import AgentRuntime
import Foundation

/// Reads `agentruntime.json`: providers, default model, prices, fallbacks and
/// tenant rate limits, reported with the same located diagnostics as agent files.
///
/// The file extends the environment defaults (``RuntimeConfig/fromEnvironment(_:)``):
/// a provider named in the file replaces the default of that name; prices
/// override the built-in table. Keys are never written in the file, only
/// references to them (`env:NAME`, `secret:path`).
public enum RuntimeConfigLoader {
    /// The file name looked for in the working directory.
    public static let fileName = "agentruntime.json"

    /// Every top-level field.
    public static let allowed = [
        "auth",
        "$schema", "default_model", "providers", "prices", "fallbacks", "tenant_rate_limit", "limits",
        "approval_expiry_seconds", "http", "uncertain_writes", "store", "egress", "mcp_servers",
        "trace_include_content",
    ]
    /// Every field of `egress`.
    public static let egressAllowed = ["allow_hosts", "require_https"]
    /// Every field of `http`.
    public static let httpAllowed = [
        "client", "max_connections_per_host", "connect_timeout_seconds", "idle_timeout_seconds",
        "pool_idle_timeout_seconds", "max_redirects",
        "max_response_bytes",
    ]
    /// Every field of `limits`.
    public static let limitsAllowed = [
        "max_llm_calls", "max_tokens", "max_cost_usd", "max_wall_time_seconds", "max_delegations",
        "max_tool_mistakes_per_task",
        "max_output_retries", "max_guardrail_retries",
    ]
    /// Every provider field.
    public static let providerAllowed = [
        "kind", "base_url", "api_key", "auth", "api_version", "headers", "timeout_seconds", "max_retries",
        "retry_initial_delay_ms", "retry_max_delay_ms", "max_retry_after_seconds", "rate_limit",
        "max_tokens_field", "thinking_budget_tokens", "models",
    ]

    /// Loads `file` on top of `base`; a missing file gives `base` unchanged.
    public static func load(
        _ file: URL, displayPath: String, base: RuntimeConfig
    ) -> (config: RuntimeConfig, diagnostics: [Diagnostic]) {
        guard FileManager.default.fileExists(atPath: file.path) else { return (base, []) }
        guard let data = try? Data(contentsOf: file) else {
            return (
                base,
                [
                    Diagnostic(
                        file: displayPath, line: 1, column: 1, severity: .error, code: .unreadableFile,
                        message: "cannot read the file", pointer: "")
                ]
            )
        }
        return decode([UInt8](data), displayPath: displayPath, base: base)
    }

    /// Decodes config text on top of `base`.
    public static func decode(
        _ bytes: [UInt8], displayPath: String, base: RuntimeConfig
    ) -> (config: RuntimeConfig, diagnostics: [Diagnostic]) {
        let document: JSONDocument
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            return (
                base,
                [
                    Diagnostic(
                        file: displayPath, line: error.location.line, column: error.location.column, severity: .error,
                        code: .syntaxError, message: "invalid JSON: \(error.message)", pointer: "")
                ]
            )
        }
        var reader = DefinitionReader(file: displayPath, document: document)
        var config = base
        guard
            let fields = reader.object(document.root, at: .root, what: "runtime config", allowed: allowed, required: [])
        else {
            return (base, reader.diagnostics)
        }
        _ = reader.string(fields, "$schema")
        if let member = fields["auth"], let auth = reader.auth(member.value, at: JSONPointer.root.appending("auth")) {
            config.auth = auth
        }
        if let member = fields["mcp_servers"] {
            config.mcpServers = reader.operatorMCPServers(member.value, at: JSONPointer.root.appending("mcp_servers"))
        }
        if let member = fields["providers"] {
            let pointer = JSONPointer.root.appending("providers")
            if case .object(let entries) = member.value.content {
                for entry in entries {
                    if let settings = reader.provider(entry, at: pointer.appending(entry.key)) {
                        config.providers[entry.key] = settings
                    }
                }
            } else {
                reader.typeMismatch(
                    member.value, expected: "an object of providers", at: pointer, what: "\"providers\"")
            }
        }
        if let member = fields["default_model"], let reference = reader.modelReference(fields, "default_model") {
            if config.providers[reference.provider] == nil {
                reader.error(
                    .invalidValue,
                    "default model \"\(reference)\" names provider \"\(reference.provider)\", which is not configured (providers: \(config.providers.keys.sorted().joined(separator: ", ")))",
                    at: member.value.offset, JSONPointer.root.appending("default_model"))
            } else {
                config.defaultModel = reference
            }
        }
        if let member = fields["prices"] {
            let pointer = JSONPointer.root.appending("prices")
            if case .object(let entries) = member.value.content {
                for entry in entries {
                    let entryPointer = pointer.appending(entry.key)
                    let reference =
                        entry.key == PriceTable.defaultKey
                        ? ModelReference(provider: "*", model: "*")
                        : entry.key.hasSuffix("/*")
                            ? ModelReference(provider: String(entry.key.dropLast(2)), model: "*")
                            : ModelReference(parsing: entry.key)
                    guard reference != nil else {
                        reader.error(
                            .invalidFormat,
                            "price key \"\(entry.key)\" must be provider/model, provider/* or * (the default price)",
                            at: entry.keyOffset, entryPointer)
                        continue
                    }
                    guard
                        let priceFields = reader.object(
                            entry.value, at: entryPointer, what: "price", allowed: ["input", "output", "cached_input"],
                            required: ["input", "output"])
                    else { continue }
                    let input = reader.number(priceFields, "input", range: 0...10_000)
                    let output = reader.number(priceFields, "output", range: 0...10_000)
                    let cached = reader.number(priceFields, "cached_input", range: 0...10_000)
                    if let input, let output {
                        config.prices.prices[entry.key] = ModelPrice(input: input, output: output, cachedInput: cached)
                    }
                }
            } else {
                reader.typeMismatch(member.value, expected: "an object of prices", at: pointer, what: "\"prices\"")
            }
        }
        if let member = fields["fallbacks"] {
            let pointer = JSONPointer.root.appending("fallbacks")
            if case .object(let entries) = member.value.content {
                for entry in entries {
                    let entryPointer = pointer.appending(entry.key)
                    guard let primary = ModelReference(parsing: entry.key) else {
                        reader.error(
                            .invalidFormat, "fallback key \"\(entry.key)\" must be provider/model", at: entry.keyOffset,
                            entryPointer)
                        continue
                    }
                    guard case .array(let items) = entry.value.content else {
                        reader.typeMismatch(
                            entry.value, expected: "an array of provider/model", at: entryPointer, what: "fallbacks")
                        continue
                    }
                    var chain: [ModelReference] = []
                    for (index, item) in items.enumerated() {
                        guard case .string(let text) = item.content, let reference = ModelReference(parsing: text)
                        else {
                            reader.error(
                                .invalidFormat, "fallback must be provider/model", at: item.offset,
                                entryPointer.appending(index))
                            continue
                        }
                        if config.providers[reference.provider] == nil {
                            reader.error(
                                .invalidValue,
                                "fallback \"\(text)\" names provider \"\(reference.provider)\", which is not configured",
                                at: item.offset, entryPointer.appending(index))
                            continue
                        }
                        chain.append(reference)
                    }
                    config.fallbacks[primary] = chain
                }
            } else {
                reader.typeMismatch(member.value, expected: "an object", at: pointer, what: "\"fallbacks\"")
            }
        }
        if let member = fields["limits"],
            let limits = reader.limits(member.value, at: JSONPointer.root.appending("limits"))
        {
            config.limits = limits
        }
        if let seconds = reader.integer(fields, "approval_expiry_seconds", range: 1...2_592_000) {
            config.approvalExpiry = .seconds(seconds)
        }
        if let text = reader.string(fields, "store"), !text.isEmpty { config.store = text }
        if let flag = reader.bool(fields, "trace_include_content") { config.traceIncludesContent = flag }
        if let text = reader.string(fields, "uncertain_writes"), let member = fields["uncertain_writes"] {
            if let policy = UncertainSideEffectPolicy(rawValue: text) {
                config.uncertainWrites = policy
            } else {
                let words = UncertainSideEffectPolicy.allCases.map(\.rawValue)
                reader.error(
                    .invalidValue,
                    "\"uncertain_writes\" must be one of \(words.joined(separator: ", ")), found \"\(text)\"\(NameSuggestion.didYouMean(text, in: words))",
                    at: member.value.offset, JSONPointer.root.appending("uncertain_writes"))
            }
        }
        if let member = fields["http"],
            let http = reader.httpSettings(member.value, at: JSONPointer.root.appending("http"), base: config.http)
        {
            config.http = http
        }
        if let member = fields["egress"],
            let egress = reader.egressPolicy(
                member.value, at: JSONPointer.root.appending("egress"), base: config.egress)
        {
            config.egress = egress
        }
        if let member = fields["tenant_rate_limit"] {
            config.tenantRateLimit = reader.rateLimit(member.value, at: JSONPointer.root.appending("tenant_rate_limit"))
        }
        return (config, reader.diagnostics)
    }
}

extension DefinitionReader {
    mutating func httpSettings(
        _ node: JSONNode, at pointer: JSONPointer, base: HTTPClientSettings
    ) -> HTTPClientSettings? {
        guard
            let fields = object(
                node, at: pointer, what: "http settings", allowed: RuntimeConfigLoader.httpAllowed, required: [])
        else { return nil }
        var settings = base
        if let text = string(fields, "client"), let member = fields["client"] {
            if let client = HTTPClientSettings.Client(rawValue: text) {
                settings.client = client
            } else {
                let words = HTTPClientSettings.Client.allCases.map(\.rawValue)
                error(
                    .invalidValue,
                    "\"client\" must be one of \(words.joined(separator: ", ")), found \"\(text)\"\(NameSuggestion.didYouMean(text, in: words))",
                    at: member.value.offset, pointer.appending("client"))
            }
        }
        if let value = integer(fields, "max_connections_per_host", range: 1...65_536) {
            settings.maxConnectionsPerHost = value
        }
        if let value = number(fields, "connect_timeout_seconds", range: 0.01...600) {
            settings.connectTimeout = .milliseconds(Int((value * 1000).rounded()))
        }
        if let value = number(fields, "idle_timeout_seconds", range: 1...86_400) {
            settings.idleTimeout = .milliseconds(Int((value * 1000).rounded()))
        }
        if let value = number(fields, "pool_idle_timeout_seconds", range: 1...86_400) {
            settings.poolIdleTimeout = .milliseconds(Int((value * 1000).rounded()))
        }
        if let value = integer(fields, "max_redirects", range: 0...20) { settings.maxRedirects = value }
        if let value = integer(fields, "max_response_bytes", range: 1024...(1 << 30)) {
            settings.maxResponseBytes = value
        }
        return settings
    }

    /// The `egress` object: `allow_hosts` (addresses, CIDR ranges, host names, `*.domain`) and `require_https`.
    mutating func egressPolicy(_ node: JSONNode, at pointer: JSONPointer, base: EgressPolicy) -> EgressPolicy? {
        guard
            let fields = object(
                node, at: pointer, what: "egress settings", allowed: RuntimeConfigLoader.egressAllowed, required: [])
        else { return nil }
        var policy = base
        if let entries = stringArray(fields, "allow_hosts") {
            policy.allowHosts = []
            for entry in entries {
                do {
                    policy.allowHosts.append(try EgressPolicy.Rule(parsing: entry.value))
                } catch {
                    self.error(.invalidFormat, "allow_hosts: \(error.message)", at: entry.offset, entry.pointer)
                }
            }
        }
        if let required = bool(fields, "require_https") { policy.requireHTTPS = required }
        return policy
    }

    mutating func rateLimit(_ node: JSONNode, at pointer: JSONPointer) -> RateLimit? {
        guard
            let fields = object(
                node, at: pointer, what: "rate limit", allowed: ["requests_per_minute", "tokens_per_minute"],
                required: [])
        else { return nil }
        return RateLimit(
            requestsPerMinute: integer(fields, "requests_per_minute", range: 1...10_000_000),
            tokensPerMinute: integer(fields, "tokens_per_minute", range: 1...1_000_000_000))
    }

    mutating func provider(_ entry: JSONMember, at pointer: JSONPointer) -> ProviderSettings? {
        let name = entry.key
        let validName = !name.isEmpty && name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_" }
        if !validName {
            error(
                .invalidFormat, "provider name \"\(name)\" must be lower-case letters, digits, '-' or '_'",
                at: entry.keyOffset, pointer)
        }
        guard
            let fields = object(
                entry.value, at: pointer, what: "provider \"\(name)\"", allowed: RuntimeConfigLoader.providerAllowed,
                required: ["kind"])
        else { return nil }
        var kind: ProviderSettings.Kind?
        if let text = string(fields, "kind"), let member = fields["kind"] {
            kind = ProviderSettings.Kind(rawValue: text)
            if kind == nil {
                let words = ProviderSettings.Kind.allCases.map(\.rawValue)
                error(
                    .invalidValue,
                    "\"kind\" must be one of \(words.joined(separator: ", ")), found \"\(text)\"\(NameSuggestion.didYouMean(text, in: words))",
                    at: member.value.offset, pointer.appending("kind"))
            }
        }
        var baseURL: URL?
        if let text = string(fields, "base_url"), let member = fields["base_url"] {
            baseURL = URL(string: text)
            if baseURL?.scheme == nil || baseURL?.host == nil {
                error(
                    .invalidFormat, "\"base_url\" must be an absolute http(s) URL", at: member.value.offset,
                    pointer.appending("base_url"))
                baseURL = nil
            }
        }
        var apiKey: CredentialReference?
        if let text = string(fields, "api_key"), let member = fields["api_key"] {
            apiKey = CredentialReference(parsing: text)
            if apiKey == nil {
                // Never echo the value: it may be a real key pasted by mistake.
                error(
                    .invalidFormat, "\"api_key\" must be a reference (env:NAME or secret:path), never the key itself",
                    at: member.value.offset, pointer.appending("api_key"))
            }
        }
        var authentication: ProviderSettings.Authentication?
        if let text = string(fields, "auth"), let member = fields["auth"] {
            authentication = ProviderSettings.Authentication(rawValue: text)
            if authentication == nil {
                error(
                    .invalidValue, "\"auth\" must be bearer, api-key or none, found \"\(text)\"",
                    at: member.value.offset, pointer.appending("auth"))
            }
        }
        let apiVersion = string(fields, "api_version")
        var headers: [String: String] = [:]
        if let member = fields["headers"] {
            if case .object(let entries) = member.value.content {
                for header in entries {
                    if case .string(let value) = header.value.content {
                        headers[header.key] = value
                    } else {
                        typeMismatch(
                            header.value, expected: "a string", at: pointer.appending("headers").appending(header.key),
                            what: "header value")
                    }
                }
            } else {
                typeMismatch(
                    member.value, expected: "an object of header names and values", at: pointer.appending("headers"),
                    what: "\"headers\"")
            }
        }
        let timeout = number(fields, "timeout_seconds", range: 1...86_400)
        let maxRetries = integer(fields, "max_retries", range: 0...10)
        let initialDelay = integer(fields, "retry_initial_delay_ms", range: 1...600_000)
        let maxDelay = integer(fields, "retry_max_delay_ms", range: 1...600_000)
        let maxRetryAfter = integer(fields, "max_retry_after_seconds", range: 0...3600)
        var retry = RetryPolicy()
        if let maxRetries { retry.maxRetries = maxRetries }
        if let initialDelay { retry.initialDelay = .milliseconds(initialDelay) }
        if let maxDelay { retry.maxDelay = .milliseconds(maxDelay) }
        if let maxRetryAfter { retry.maxRetryAfter = .seconds(maxRetryAfter) }
        let limit = fields["rate_limit"].flatMap { rateLimit($0.value, at: pointer.appending("rate_limit")) }
        var maxTokensField: String?
        if let text = string(fields, "max_tokens_field"), let member = fields["max_tokens_field"] {
            if ["max_tokens", "max_completion_tokens"].contains(text) {
                maxTokensField = text
            } else {
                error(
                    .invalidValue, "\"max_tokens_field\" must be max_tokens or max_completion_tokens",
                    at: member.value.offset, pointer.appending("max_tokens_field"))
            }
        }
        let thinkingBudget = integer(fields, "thinking_budget_tokens", range: 1024...1_000_000)
        if thinkingBudget != nil, kind != .anthropic, let member = fields["thinking_budget_tokens"] {
            error(
                .invalidValue, "\"thinking_budget_tokens\" applies to kind anthropic only",
                at: member.value.offset, pointer.appending("thinking_budget_tokens"))
        }
        let models = stringArray(fields, "models")?.map(\.value) ?? []
        if kind == .azure, baseURL == nil, let member = fields["kind"] {
            error(
                .missingField,
                "an azure provider needs \"base_url\" (the resource endpoint, e.g. https://NAME.openai.azure.com)",
                at: member.value.offset, pointer.appending("base_url"))
        }
        guard let kind, validName, !hasErrors(at: pointer) else { return nil }
        return ProviderSettings(
            name: name, kind: kind, baseURL: baseURL ?? ProviderSettings.defaultBaseURL(kind), apiKey: apiKey,
            authentication: authentication, apiVersion: apiVersion, headers: headers,
            timeout: .milliseconds(Int(((timeout ?? 600) * 1000).rounded())), retry: retry, rateLimit: limit,
            maxTokensField: maxTokensField, thinkingBudget: thinkingBudget, models: models)
    }

    /// Whether any error was reported at or under `pointer`.
    func hasErrors(at pointer: JSONPointer) -> Bool {
        let prefix = pointer.description
        return diagnostics.contains {
            $0.severity == .error && ($0.pointer == prefix || $0.pointer.hasPrefix(prefix + "/"))
        }
    }
}
