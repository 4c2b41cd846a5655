/// A model ready to call for an agent.
public struct ResolvedModel: Sendable {
    /// The model's `provider/model`.
    public var reference: ModelReference
    /// The client.
    public var model: any ChatModel
    /// Its price, for cost accounting.
    public var price: ModelPrice?
    /// The prices of its fallbacks, for calls a fallback answered.
    public var fallbackPrices: [ModelReference: ModelPrice]

    /// Creates a resolved model.
    public init(
        reference: ModelReference, model: any ChatModel, price: ModelPrice?,
        fallbackPrices: [ModelReference: ModelPrice] = [:]
    ) {
        self.reference = reference
        self.model = model
        self.price = price
        self.fallbackPrices = fallbackPrices
    }

    /// The model that answered `response` (a fallback, or this one) and its price.
    public func answering(_ response: ChatResponse) -> (reference: ModelReference, price: ModelPrice?) {
        guard let served = response.servedBy, served != reference else { return (reference, price) }
        return (served, fallbackPrices[served])
    }
}

/// The port that turns an agent's model reference into a client for a principal.
public protocol ModelResolver: Sendable {
    /// The model for `reference` (nil: the default model) as used by `principal`.
    func resolve(_ reference: ModelReference?, principal: Principal) async throws -> ResolvedModel
}

extension ProviderRegistry: ModelResolver {
    /// Resolves with the tenant's own key and rate limit when it has them.
    public func resolve(_ reference: ModelReference?, principal: Principal) async throws -> ResolvedModel {
        let resolved = try await resolve(
            reference, tenant: principal.tenant, tenantRateLimit: tenantRateLimits[principal.tenant])
        var prices: [ModelReference: ModelPrice] = [:]
        for fallback in resolved.fallbacks { prices[fallback] = config.prices.price(for: fallback) }
        return ResolvedModel(
            reference: resolved.reference, model: resolved.model, price: resolved.price, fallbackPrices: prices)
    }
}

/// The port to tool implementations by id.
public protocol ToolSource: Sendable {
    /// The tool with `id`, if there is one.
    func tool(_ id: ToolID) -> (any Tool)?

    /// The tools an agent's `tools` entry stands for when `principal` runs it: the tool with that id, or for a
    /// tenant's MCP server (`mcp.<server>.<tool>`, `mcp.<server>.*`) the matching tools the server lists, which a
    /// source may have to reach the server to know. By default the tool with `entry` as its id.
    func tools(for entry: ToolID, principal: Principal) async -> [any Tool]
}

extension ToolSource {
    /// The tool with `entry` as its id, if there is one.
    public func tools(for entry: ToolID, principal: Principal) async -> [any Tool] {
        tool(entry).map { [$0] } ?? []
    }
}

/// Everything the engine needs from the outside, chosen by the composition root.
public struct EngineEnvironment: Sendable {
    /// Models.
    public var models: any ModelResolver
    /// Tool implementations.
    public var tools: any ToolSource
    /// Tool gating.
    public var policy: any ToolPolicy
    /// Secrets handed to tools.
    public var secrets: (any SecretStore)?
    /// Limits of each run.
    public var limits: RunLimits
    /// Stream model output (text deltas become events) instead of waiting for whole answers.
    public var streaming: Bool
    /// The built-in manager's model when a crew names none.
    public var defaultManagerModel: ModelReference?
    /// Knowledge retrieval for agents with `knowledge` collections.
    public var knowledge: (any KnowledgeRetriever)?
    /// How many tokens of retrieved knowledge a task prompt may carry.
    public var knowledgeTokenBudget: Int
    /// Where calls of tools that need approval wait for a human; without one they are refused.
    public var approvals: (any ApprovalGate)?
    /// What a resumed run does with a call of a tool that changes something which an earlier attempt sent but never
    /// saw answered: ask a human (when approvals are available) or fail the run with `uncertain_side_effect`.
    public var uncertainSideEffects: UncertainSideEffectPolicy = .askApproval
    /// Where runs get time: their wall-time budget, latencies and event timestamps.
    public var time: TimeSource = .system
    /// Where every model call's cost is booked per tenant and day, and spend caps are checked before each call
    /// (nil: spend is not booked and caps are not checked).
    public var spendLedger: (any SpendLedger)?
    /// The caller's tenant's spend caps (none by default).
    public var spendCaps = SpendCaps()
    /// A replay's recorded tool results, consulted before each registered tool call (nil: tools are called).
    public var toolRecording: (any ToolCallRecording)?
    /// Where every live model call's usage is booked with its tenant, crew, agent, task and answering model
    /// (nil: not booked).
    public var usageLedger: (any UsageLedger)?
    /// Where every call of a registered tool is audited by the engine itself, before the run goes on: a write that
    /// fails fails the call and ends the run (`audit_unavailable`) instead of being lost. Nil: tool calls are audited
    /// only by an ``AuditEventSink``, if any.
    public var audit: (any AuditLog)?
    /// Where spans of runs, tasks, model calls and tool calls go (none by default).
    public var tracer: any RunTracer = NoRunTracer()
    /// Whether spans carry prompts, completions and tool arguments and results (`trace_include_content`; off by
    /// default: spans carry names, models, counts and costs only).
    public var traceIncludesContent = false

    /// Creates an environment.
    public init(
        models: any ModelResolver, tools: any ToolSource = ToolRegistry([]),
        policy: any ToolPolicy = AllowAllToolPolicy(),
        secrets: (any SecretStore)? = nil, limits: RunLimits = RunLimits(), streaming: Bool = true,
        defaultManagerModel: ModelReference? = nil, knowledge: (any KnowledgeRetriever)? = nil,
        knowledgeTokenBudget: Int = 1200,
        approvals: (any ApprovalGate)? = nil
    ) {
        self.models = models
        self.tools = tools
        self.policy = policy
        self.secrets = secrets
        self.limits = limits
        self.streaming = streaming
        self.defaultManagerModel = defaultManagerModel
        self.knowledge = knowledge
        self.knowledgeTokenBudget = knowledgeTokenBudget
        self.approvals = approvals
    }
}

/// What a resumed run does with a write whose earlier attempt may or may not have taken effect.
public enum UncertainSideEffectPolicy: String, Sendable, CaseIterable {
    /// Ask a human whether to send it again (with the same idempotency key); without an approval channel, fail.
    case askApproval = "ask_approval"
    /// Fail the run with `uncertain_side_effect`.
    case fail
}
