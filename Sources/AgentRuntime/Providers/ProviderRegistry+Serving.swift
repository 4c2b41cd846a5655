/// Whether this runtime can serve a model with the platform's credentials: what readiness checks for the catalog,
/// and what an agent definition is checked against before it is accepted.
extension ProviderRegistry {
    /// Why `reference` (nil: the default model) cannot be served with the platform's credentials: no default model,
    /// a provider that is not configured, or its key missing or unreadable; nil when it can. Any model name is
    /// passed to a configured provider as it is (servers such as Ollama and vLLM serve whatever they host), as
    /// ``resolve(_:tenant:tenantRateLimit:)`` does. The message may name a credential reference, never a key.
    public func servingProblem(_ reference: ModelReference?) async -> String? {
        guard let reference = reference ?? config.defaultModel else {
            return "no model is named and no default model is configured"
        }
        let provider = reference.provider
        switch await credentialStatus(provider) {
        case .present, .notNeeded: return nil
        case .unknownProvider:
            return
                "\(reference) names provider \"\(provider)\", which is not configured (providers: \(config.providers.keys.sorted().joined(separator: ", ")))"
        case .missing(let credential):
            return "provider \"\(provider)\" of \(reference) has no credential (\(credential) is not set)"
        case .unavailable:
            return "the credential of provider \"\(provider)\" of \(reference) cannot be read from the secret store"
        }
    }

    /// Readiness of the providers `models` and the default model use: ready when each can be served; the detail
    /// names providers only, never credential references (readiness is unauthenticated).
    public func readiness(of models: Set<ModelReference>) async -> (ready: Bool, detail: String) {
        var models = models
        if let model = config.defaultModel { models.insert(model) }
        guard !models.isEmpty else { return (false, "no default model and no agent names a model") }
        var missing: [String] = []
        let providers = Set(models.map(\.provider)).sorted()
        for provider in providers {
            if await servingProblem(ModelReference(provider: provider, model: "*")) != nil { missing.append(provider) }
        }
        return missing.isEmpty
            ? (true, "providers in use: \(providers.joined(separator: ", "))")
            : (false, "no usable credential for \(missing.joined(separator: ", "))")
    }
}
