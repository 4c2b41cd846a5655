extension RunEvent.Kind {
    /// The event as it may leave the run: tool arguments redacted as the audit log shows them
    /// (``Redactor/redactArguments(_:)``), and the secrets `redactor` knows masked in every text it carries.
    func redacted(by redactor: Redactor) -> RunEvent.Kind {
        func text(_ value: String) -> String { redactor.redact(value, keyShapes: false) }
        switch self {
        case .toolStarted(let id, let tool, let arguments):
            return .toolStarted(callID: id, tool: tool, arguments: redactor.redactArguments(arguments))
        case .toolDenied(let id, let tool, let reason, let arguments):
            return .toolDenied(
                callID: id, tool: tool, reason: text(reason), arguments: redactor.redactArguments(arguments))
        case .awaitingApproval(let approval, let id, let tool, let arguments):
            return .awaitingApproval(
                approvalID: approval, callID: id, tool: tool, arguments: redactor.redactArguments(arguments))
        default:
            break
        }
        guard !redactor.isEmpty else { return self }
        switch self {
        case .runStarted(let crew, let inputs):
            return .runStarted(crew: crew, inputs: redactor.redact(inputs, keyShapes: false))
        case .prompt(let system, let user, let tools):
            return .prompt(system: text(system), user: text(user), tools: tools)
        case .textDelta(let delta): return .textDelta(text(delta))
        case .toolFinished(let id, let tool, let outcome, let duration, let result, let data):
            return .toolFinished(
                callID: id, tool: tool, outcome: outcome, durationMS: duration, result: text(result),
                data: data.map { redactor.redact($0, keyShapes: false) })
        case .approvalDecided(let approval, let tool, let approved, let by, let comment):
            return .approvalDecided(
                approvalID: approval, tool: tool, approved: approved, by: by, comment: text(comment))
        case .delegationStarted(let coworker, let kind, let task):
            return .delegationStarted(coworker: coworker, kind: kind, task: text(task))
        case .delegationFinished(let coworker, let output):
            return .delegationFinished(coworker: coworker, output: text(output))
        case .guardrailVerdict(let task, let passed, let feedback):
            return .guardrailVerdict(task: task, passed: passed, feedback: text(feedback))
        case .taskFinished(let task, let agent, let output, let usage, let cost):
            return .taskFinished(task: task, agent: agent, output: text(output), usage: usage, costUSD: cost)
        case .runFinished(let status, let output): return .runFinished(status: status, output: output.map(text))
        case .runFailed(let code, let message): return .runFailed(code: code, message: text(message))
        case .runCancelled(let reason): return .runCancelled(reason: text(reason))
        case .taskStarted, .llmRequest, .llmResponse, .toolStarted, .toolDenied, .awaitingApproval: return self
        }
    }
}
