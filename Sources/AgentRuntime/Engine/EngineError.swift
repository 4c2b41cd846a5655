/// Why a run could not start or had to stop: operator-level errors with stable codes.
public enum EngineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Required inputs are missing (checked before any model call).
    case missingInputs([String])
    /// Inputs the crew does not declare.
    case unknownInputs([String])
    /// An agent the crew names is not in the catalog.
    case unknownAgent(AgentID)
    /// A limit was reached.
    case budgetExceeded(limit: String, detail: String)
    /// The tenant's spend cap (per day or per month, across its runs) is reached: no new model call is made.
    case budgetExhausted(String)
    /// The tenant's spend could not be read, so its caps could not be checked (the call is not made).
    case spendUnavailable(String)
    /// The model kept making mistakes it could fix.
    case tooManyMistakes(task: String, count: Int)
    /// The output never matched its schema.
    case invalidOutput(task: String, detail: String)
    /// The guardrail kept rejecting the output.
    case guardrailFailed(task: String, feedback: String)
    /// The model declined to answer (OpenAI `refusal`): its words, not an output to retry or repair.
    case refused(task: String, message: String)
    /// A model call failed.
    case model(ProviderError)
    /// The model could not be resolved (provider, key, secret store).
    case modelUnavailable(String)
    /// The run was cancelled.
    case cancelled
    /// A step could not be journaled (or the journal read), so the run cannot promise to survive a crash.
    case journalUnavailable(String)
    /// A tool call could not be written to the audit log: the call fails, and so does the run.
    case auditUnavailable(String)
    /// The run stopped to wait for a human's decision on a tool call; it holds nothing while it waits.
    case awaitingApproval(approvalID: String)
    /// An earlier attempt sent this call of a tool that changes something and died before its result: it may or
    /// may not have taken effect, and it is not repeated blindly.
    case uncertainSideEffect(tool: String)
    /// Something failed that the engine did not expect (a bug, or an adapter throwing an error of its own kind).
    case unexpected(String)

    /// A stable, low-cardinality code.
    public var code: String {
        switch self {
        case .missingInputs: return "missing_inputs"
        case .unknownInputs: return "unknown_inputs"
        case .unknownAgent: return "unknown_agent"
        case .budgetExceeded: return "budget_exceeded"
        case .budgetExhausted: return "budget_exhausted"
        case .spendUnavailable: return "spend_unavailable"
        case .tooManyMistakes: return "too_many_mistakes"
        case .invalidOutput: return "invalid_output"
        case .guardrailFailed: return "guardrail_failed"
        case .refused: return "refused"
        case .model(let error): return "model_\(error.code.rawValue)"
        case .modelUnavailable: return "model_unavailable"
        case .cancelled: return "cancelled"
        case .journalUnavailable: return "journal_unavailable"
        case .auditUnavailable: return "audit_unavailable"
        case .uncertainSideEffect: return "uncertain_side_effect"
        case .awaitingApproval: return "awaiting_approval"
        case .unexpected: return "internal_error"
        }
    }

    /// What happened, for people.
    public var description: String {
        switch self {
        case .missingInputs(let names):
            return "missing required input\(names.count == 1 ? "" : "s"): \(names.joined(separator: ", "))"
        case .unknownInputs(let names):
            return "unknown input\(names.count == 1 ? "" : "s"): \(names.joined(separator: ", "))"
        case .unknownAgent(let id): return "unknown agent \"\(id)\""
        case .budgetExceeded(let limit, let detail): return "run limit \(limit) reached: \(detail)"
        case .budgetExhausted(let reason): return "\(reason); new model calls are refused until it resets"
        case .spendUnavailable(let message): return "the tenant's spend could not be checked: \(message)"
        case .tooManyMistakes(let task, let count):
            return "task \"\(task)\" stopped after \(count) tool mistakes by the model"
        case .invalidOutput(let task, let detail): return "task \"\(task)\" output does not match its schema: \(detail)"
        case .guardrailFailed(let task, let feedback):
            return "task \"\(task)\" output failed its guardrail: \(feedback)"
        case .refused(let task, let message): return "the model refused task \"\(task)\": \(message)"
        case .model(let error): return "model call failed: \(error)"
        case .modelUnavailable(let message): return message
        case .cancelled: return "the run was cancelled"
        case .journalUnavailable(let message): return "the run journal is unavailable: \(message)"
        case .auditUnavailable(let message): return "a tool call could not be audited: \(message)"
        case .awaitingApproval(let id): return "the run waits for a decision on approval \(id)"
        case .unexpected(let message): return "the run stopped on an unexpected error: \(message)"
        case .uncertainSideEffect(let tool):
            return
                "an earlier attempt called \(tool) and stopped before its result; it may have taken effect, so it is not repeated without a human's approval"
        }
    }
}
