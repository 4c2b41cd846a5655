import AgentRuntime
import Logging

/// Logs what operators look for in a run's events: tool denials, approvals asked for and decided, and failures.
/// Never a prompt, an output or a tool's arguments: names, ids, codes and counts only.
struct RunLogSink: EventSink {
    /// The logger, with the run's id, tenant, user and crew as metadata.
    let logger: Logger

    /// No text deltas.
    var wantsTextDeltas: Bool { false }

    /// Logs the events that matter to operators; the rest return at once.
    func emit(_ event: RunEvent) async {
        var metadata: Logger.Metadata = [:]
        if !event.agentPath.isEmpty { metadata["agent"] = .string(event.agentPathText) }
        switch event.kind {
        case .toolDenied(let callID, let tool, let reason, _):
            metadata["tool"] = .string(tool)
            metadata["call_id"] = .string(callID)
            metadata["reason"] = .string(reason)
            logger.warning("tool call denied", metadata: metadata)
        case .awaitingApproval(let approvalID, let callID, let tool, _):
            metadata["approval_id"] = .string(approvalID)
            metadata["call_id"] = .string(callID)
            metadata["tool"] = .string(tool)
            logger.info("approval requested", metadata: metadata)
        case .approvalDecided(let approvalID, let tool, let approved, let by, _):
            metadata["approval_id"] = .string(approvalID)
            metadata["tool"] = .string(tool)
            metadata["approved"] = .stringConvertible(approved)
            metadata["by"] = .string(by)
            logger.info("approval decided", metadata: metadata)
        case .runFailed(let code, _):
            metadata["code"] = .string(code)
            logger.warning("run failed", metadata: metadata)
        default: return
        }
    }
}

extension Logger {
    /// This logger with a run's identity as metadata.
    func forRun(_ record: RunRecord) -> Logger {
        var logger = self
        logger[metadataKey: "run_id"] = .string(record.id.rawValue)
        logger[metadataKey: "tenant"] = .string(record.tenant.rawValue)
        logger[metadataKey: "user"] = .string(record.user)
        logger[metadataKey: "crew"] = .string(record.crew)
        return logger
    }
}
