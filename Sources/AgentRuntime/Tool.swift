/// The port of a tool: what it is (its spec) and how to call it.
public protocol Tool: Sendable {
    /// Name, description, argument schema, access level, approval.
    var spec: ToolSpec { get }

    /// Runs the tool. Arguments have already been checked against `spec.parameters`.
    /// Throw ``ToolError`` for failures the model should read about.
    func call(_ arguments: JSONValue, context: ToolContext) async throws -> ToolResult
}

/// What a tool call runs under.
public struct ToolContext: Sendable {
    /// The run.
    public var runID: RunID
    /// The calling agent.
    public var agent: AgentID
    /// Who the run acts for; tools use the tenant's credentials only.
    public var principal: Principal
    /// Secrets, scoped by the tool to `principal.tenant`.
    public var secrets: (any SecretStore)?
    /// The calling agent's knowledge collections (what `knowledge.search` may search).
    public var knowledgeCollections: [String]
    /// The same for every attempt of the same call of the same run: a service that takes an idempotency key (Stripe's
    /// `Idempotency-Key`) gets this one, so a call repeated after a crash is not carried out twice.
    public var idempotencyKey: String?
    /// Masks a secret the tool obtained itself (an OAuth access token from a refresh), not by reading `secrets`, in
    /// the run's events and results from then on, as values read through `secrets` already are. Does nothing outside
    /// a run.
    public var registerSecret: @Sendable (String) async -> Void

    /// Creates a context.
    public init(
        runID: RunID, agent: AgentID, principal: Principal, secrets: (any SecretStore)? = nil,
        knowledgeCollections: [String] = [],
        idempotencyKey: String? = nil, registerSecret: @escaping @Sendable (String) async -> Void = { _ in }
    ) {
        self.idempotencyKey = idempotencyKey
        self.registerSecret = registerSecret
        self.runID = runID
        self.agent = agent
        self.principal = principal
        self.secrets = secrets
        self.knowledgeCollections = knowledgeCollections
    }
}

/// A tool's answer, as text for the model (and structured data when there is some).
public struct ToolResult: Hashable, Sendable {
    /// What the model reads.
    public var content: String
    /// Structured data, when the tool has it.
    public var data: JSONValue?

    /// Creates a result.
    public init(content: String, data: JSONValue? = nil) {
        self.content = content
        self.data = data
    }

    /// A result carrying JSON data, shown to the model as that JSON.
    public static func json(_ data: JSONValue) -> ToolResult { ToolResult(content: data.serialized(), data: data) }
}

/// A tool failure the model can read and react to.
public struct ToolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, for the model (never a secret).
    public var message: String
    /// Whether trying the same call later may work (rate limits, outages).
    public var isTransient: Bool
    /// A stable, low-cardinality code for failures a program reacts to (`connector_reconnect_required`); nil for the
    /// rest. The model reads it in front of the message.
    public var code: String?

    /// Creates a tool error.
    public init(_ message: String, isTransient: Bool = false, code: String? = nil) {
        self.message = message
        self.isTransient = isTransient
        self.code = code
    }

    /// The message, after the code when there is one (`[code] message`).
    public var description: String { code.map { "[\($0)] \(message)" } ?? message }
}

/// The port of tool gating: may this agent, acting for this principal, use this tool?
/// Checked when the tool list is built and again in every turn, before the turn's calls of the tool run.
public protocol ToolPolicy: Sendable {
    /// The decision.
    func decide(_ tool: ToolSpec, agent: AgentDefinition, principal: Principal) async -> ToolDecision

    /// Whether a call of `tool` (an allowed one) waits for a person's approval before it runs. Asked before every
    /// call; by default the tool's spec decides (``ToolSpec/requiresApproval``).
    func requiresApproval(_ tool: ToolSpec, agent: AgentDefinition, principal: Principal) async -> Bool
}

extension ToolPolicy {
    /// The tool's spec decides: ``ToolSpec/requiresApproval``.
    public func requiresApproval(_ tool: ToolSpec, agent: AgentDefinition, principal: Principal) async -> Bool {
        tool.requiresApproval
    }
}

/// A policy decision.
public enum ToolDecision: Hashable, Sendable {
    /// The tool may be offered and called.
    case allow
    /// It may not, and why.
    case deny(String)
}

/// A policy that allows everything (the agent's own tool list still applies).
public struct AllowAllToolPolicy: ToolPolicy {
    /// Creates the policy.
    public init() {}
    /// Always allows.
    public func decide(_ tool: ToolSpec, agent: AgentDefinition, principal: Principal) async -> ToolDecision { .allow }
}

/// Names sent to models: `connector.operation` becomes `connector-operation`
/// (tool ids never contain `-`, so the mapping back is unambiguous and the
/// name is legal for every provider: `^[a-zA-Z0-9_-]{1,64}$`).
public enum ToolNaming {
    /// The provider-legal name of a tool id.
    public static func modelName(_ id: ToolID) -> String { id.rawValue.replacingDots(with: "-") }

    /// The tool id a model name stands for, if it has the tool-name shape.
    public static func toolID(_ modelName: String) -> ToolID? {
        let id = ToolID(modelName.replacingDots(with: ".", from: "-"))
        return id.isWellFormed ? id : nil
    }
}

extension String {
    fileprivate func replacingDots(with replacement: Character, from source: Character = ".") -> String {
        String(map { $0 == source ? replacement : $0 })
    }
}
