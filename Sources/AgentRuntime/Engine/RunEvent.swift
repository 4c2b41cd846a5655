import Foundation

/// The one record of what happened in a run: streams, logs, metrics, audit
/// and the run store are all consumers of these.
public struct RunEvent: Hashable, Sendable {
    /// The run.
    public var runID: RunID
    /// 1, 2, 3, ... per run, in emission order.
    public var sequence: Int
    /// When it happened.
    public var timestamp: Date
    /// Who did it: `["manager"]`, `["manager", "writer"]`, or empty for the run itself.
    public var agentPath: [String]
    /// What happened.
    public var kind: Kind

    /// Creates an event.
    public init(runID: RunID, sequence: Int, timestamp: Date, agentPath: [String], kind: Kind) {
        self.runID = runID
        self.sequence = sequence
        self.timestamp = timestamp
        self.agentPath = agentPath
        self.kind = kind
    }

    /// `manager > writer`.
    public var agentPathText: String { agentPath.joined(separator: " > ") }

    /// What happened.
    public enum Kind: Hashable, Sendable {
        /// The run began.
        case runStarted(crew: String, inputs: JSONValue)
        /// A task began.
        case taskStarted(task: String, agent: String)
        /// The exact prompt an agent was given for a task.
        case prompt(system: String, user: String, tools: [String])
        /// A model call was sent.
        case llmRequest(model: String, messageCount: Int, toolCount: Int)
        /// Streamed text.
        case textDelta(String)
        /// A model call finished.
        case llmResponse(model: String, usage: TokenUsage, costUSD: Double?, latencyMS: Int, finishReason: String)
        /// A tool call began.
        case toolStarted(callID: String, tool: String, arguments: String)
        /// A tool call finished; `data` is the structured part of the tool's result, when it has one (an MCP tool's
        /// structured content), kept here beside the text the model read.
        case toolFinished(
            callID: String, tool: String, outcome: ToolOutcome, durationMS: Int, result: String, data: JSONValue? = nil)
        /// A tool call was refused before anything ran.
        case toolDenied(callID: String, tool: String, reason: String, arguments: String)
        /// A tool call waits for a human's approval; the run is paused.
        case awaitingApproval(approvalID: String, callID: String, tool: String, arguments: String)
        /// A human (or the expiry) decided.
        case approvalDecided(approvalID: String, tool: String, approved: Bool, by: String, comment: String)
        /// A manager delegated to a coworker.
        case delegationStarted(coworker: String, kind: DelegationKind, task: String)
        /// The coworker answered.
        case delegationFinished(coworker: String, output: String)
        /// A guardrail or schema check of a task's output.
        case guardrailVerdict(task: String, passed: Bool, feedback: String)
        /// A task finished.
        case taskFinished(task: String, agent: String, output: String, usage: TokenUsage, costUSD: Double)
        /// The run finished.
        case runFinished(status: RunStatus, output: String?)
        /// The run failed.
        case runFailed(code: String, message: String)
        /// The run was cancelled.
        case runCancelled(reason: String)
    }

    /// How a tool call ended.
    public enum ToolOutcome: String, Hashable, Sendable {
        /// It returned a result.
        case success
        /// It failed; the model was told.
        case error
        /// The same call was answered from an earlier result.
        case repeated
    }

    /// The kind's stable name (`run_started`, `task_started`, ...).
    public var kindName: String {
        switch kind {
        case .runStarted: return "run_started"
        case .taskStarted: return "task_started"
        case .prompt: return "prompt"
        case .llmRequest: return "llm_request"
        case .textDelta: return "text_delta"
        case .llmResponse: return "llm_response"
        case .toolStarted: return "tool_started"
        case .toolFinished: return "tool_finished"
        case .toolDenied: return "tool_denied"
        case .awaitingApproval: return "awaiting_approval"
        case .approvalDecided: return "approval_decided"
        case .delegationStarted: return "delegation_started"
        case .delegationFinished: return "delegation_finished"
        case .guardrailVerdict: return "guardrail_verdict"
        case .taskFinished: return "task_finished"
        case .runFinished: return "run_finished"
        case .runFailed: return "run_failed"
        case .runCancelled: return "run_cancelled"
        }
    }

    /// The event's payload as JSON (for the store, SSE and `--json`).
    public var payload: JSONValue {
        switch kind {
        case .runStarted(let crew, let inputs): return ["crew": .string(crew), "inputs": inputs]
        case .taskStarted(let task, let agent): return ["task": .string(task), "agent": .string(agent)]
        case .prompt(let system, let user, let tools):
            return ["system": .string(system), "user": .string(user), "tools": .array(tools.map { .string($0) })]
        case .llmRequest(let model, let messages, let tools):
            return ["model": .string(model), "messages": .int(messages), "tools": .int(tools)]
        case .textDelta(let text): return ["text": .string(text)]
        case .llmResponse(let model, let usage, let cost, let latency, let finish):
            var data: JSONObject = [
                "model": .string(model), "input_tokens": .int(usage.inputTokens),
                "output_tokens": .int(usage.outputTokens),
                "cached_input_tokens": .int(usage.cachedInputTokens), "cost_usd": cost.map(JSONValue.double) ?? .null,
                "latency_ms": .int(latency), "finish_reason": .string(finish),
            ]
            // The provider reported no usage; the counts are the runtime's estimate.
            if usage.isEstimated { data["usage_estimated"] = true }
            return .object(data)
        case .toolStarted(let id, let tool, let arguments):
            return ["call_id": .string(id), "tool": .string(tool), "arguments": .string(arguments)]
        case .toolFinished(let id, let tool, let outcome, let duration, let result, let structured):
            var data: JSONObject = [
                "call_id": .string(id), "tool": .string(tool), "outcome": .string(outcome.rawValue),
                "duration_ms": .int(duration), "result": .string(result),
            ]
            if let structured { data["structured"] = structured }
            return .object(data)
        case .toolDenied(let id, let tool, let reason, _):
            return ["call_id": .string(id), "tool": .string(tool), "reason": .string(reason)]
        case .awaitingApproval(let approval, let id, let tool, let arguments):
            return [
                "approval_id": .string(approval), "call_id": .string(id), "tool": .string(tool),
                "arguments": .string(arguments),
            ]
        case .approvalDecided(let approval, let tool, let approved, let by, let comment):
            return [
                "approval_id": .string(approval), "tool": .string(tool), "approved": .bool(approved), "by": .string(by),
                "comment": .string(comment),
            ]
        case .delegationStarted(let coworker, let kind, let task):
            return ["coworker": .string(coworker), "kind": .string(kind.rawValue), "task": .string(task)]
        case .delegationFinished(let coworker, let output):
            return ["coworker": .string(coworker), "output": .string(output)]
        case .guardrailVerdict(let task, let passed, let feedback):
            return ["task": .string(task), "passed": .bool(passed), "feedback": .string(feedback)]
        case .taskFinished(let task, let agent, let output, let usage, let cost):
            return [
                "task": .string(task), "agent": .string(agent), "output": .string(output),
                "input_tokens": .int(usage.inputTokens), "output_tokens": .int(usage.outputTokens),
                "cost_usd": .double(cost),
            ]
        case .runFinished(let status, let output):
            return ["status": .string(status.rawValue), "output": output.map(JSONValue.string) ?? .null]
        case .runFailed(let code, let message): return ["code": .string(code), "message": .string(message)]
        case .runCancelled(let reason): return ["reason": .string(reason)]
        }
    }

    /// The whole event as JSON.
    public var json: JSONValue {
        [
            "run_id": .string(runID.rawValue), "sequence": .int(sequence),
            "timestamp": .string(timestamp.formatted(.iso8601)), "agent_path": .string(agentPathText),
            "kind": .string(kindName), "data": payload,
        ]
    }
}

/// Where a run stands.
public enum RunStatus: String, Hashable, Sendable, CaseIterable {
    /// Waiting to start.
    case queued
    /// Running.
    case running
    /// Waiting for a human to approve a tool call.
    case awaitingApproval = "awaiting_approval"
    /// Finished with an output.
    case succeeded
    /// Ended by an error or a limit.
    case failed
    /// Cancelled by a caller.
    case cancelled
    /// Cut off by a shutdown or crash.
    case interrupted

    /// Whether the run has ended.
    public var isFinal: Bool { ![.queued, .running, .awaitingApproval].contains(self) }
}

/// The port consumers of events implement.
public protocol EventSink: Sendable {
    /// Receives one event (in sequence order for a run).
    func emit(_ event: RunEvent) async
    /// Whether streamed text deltas are wanted now (they are not produced for a run whose sinks all say no).
    var wantsTextDeltas: Bool { get }
}

extension EventSink {
    /// Text deltas are delivered unless a sink says otherwise.
    public var wantsTextDeltas: Bool { true }
}

/// Sends each event to several sinks in turn.
public struct FanOutEventSink: EventSink {
    /// The sinks.
    public let sinks: [any EventSink]
    /// Creates a fan-out.
    public init(_ sinks: [any EventSink]) { self.sinks = sinks }
    /// Emits to every sink.
    public func emit(_ event: RunEvent) async {
        if case .textDelta = event.kind {
            for sink in sinks where sink.wantsTextDeltas { await sink.emit(event) }
            return
        }
        for sink in sinks { await sink.emit(event) }
    }

    /// Whether any sink wants text deltas.
    public var wantsTextDeltas: Bool { sinks.contains { $0.wantsTextDeltas } }
}
