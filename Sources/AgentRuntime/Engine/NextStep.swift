/// What the agent loop does after one model response, decided without side effects by
/// ``NextStep/decide(_:offered:earlier:verdicts:isRegistered:)`` and then carried out by ``AgentLoop``.
///
/// Deciding first keeps the rules in one place where a test can read them: which calls run, which are answered
/// from an identical earlier call, and which are mistakes the model is told about.
enum NextStep: Hashable, Sendable {
    /// The response is the agent's final answer.
    case finalAnswer(String)
    /// The model asked for tools: each call in order, with what to do about it.
    case answerCalls([PlannedCall])

    /// Decides the next step.
    /// - Parameters:
    ///   - response: the model's response.
    ///   - offered: the tools offered to the agent in this call.
    ///   - earlier: keys (``PlannedCall/key(tool:arguments:)``) of calls that already succeeded in this task.
    ///   - verdicts: the policy's decision for each registered tool the response names, asked once per tool for this
    ///     turn before any of its calls runs (a tool missing here counts as denied).
    ///   - isRegistered: whether the runtime has a tool with this id at all (to tell "not yours" from "no such tool").
    static func decide(
        _ response: ChatResponse, offered: [OfferedTool], earlier: Set<String>, verdicts: [ToolID: ToolDecision],
        isRegistered: (ToolID) -> Bool
    ) -> NextStep {
        guard !response.toolCalls.isEmpty else { return .finalAnswer(response.text ?? "") }
        var planned: [PlannedCall] = []
        var inThisTurn: Set<String> = []
        for call in response.toolCalls {
            let action = action(for: call, offered: offered, verdicts: verdicts, isRegistered: isRegistered)
            guard case .run(let tool, let arguments) = action else {
                planned.append(PlannedCall(call: call, action: action))
                continue
            }
            // Identical calls (same tool, same arguments) run once; later ones are answered with the first one's result.
            let key = PlannedCall.key(tool: tool, arguments: arguments)
            if earlier.contains(key) || !inThisTurn.insert(key).inserted {
                planned.append(PlannedCall(call: call, action: .repeatOf(key: key)))
            } else {
                planned.append(PlannedCall(call: call, action: action))
            }
        }
        return .answerCalls(planned)
    }

    /// Whether one call may run, before looking at repeats.
    private static func action(
        for call: ToolCall, offered: [OfferedTool], verdicts: [ToolID: ToolDecision], isRegistered: (ToolID) -> Bool
    ) -> PlannedCall.Action {
        let available = offered.map(\.modelName)
        guard let tool = offered.first(where: { $0.modelName == call.name }) else {
            if let id = ToolNaming.toolID(call.name), isRegistered(id) {
                return .mistake(.notOffered(id, available: available))
            }
            return .mistake(.unknownTool(available: available))
        }
        guard let arguments = try? JSONParser.value(call.arguments.isEmpty ? "{}" : call.arguments) else {
            return .mistake(.invalidJSON)
        }
        if case .tool(let registered) = tool.handler {
            let spec = registered.spec
            let violations = JSONSchemaValidator(spec.parameters).validate(arguments)
            if !violations.isEmpty {
                return .mistake(
                    .invalidArguments(spec.id, violations: violations.map(\.description).joined(separator: "; ")))
            }
            if case .deny(let reason) = verdicts[spec.id] ?? .deny("the policy was not asked") {
                return .mistake(.denied(spec.id, reason: reason))
            }
        }
        return .run(tool: call.name, arguments: arguments)
    }
}

/// One tool call of a turn and what to do with it.
struct PlannedCall: Hashable, Sendable {
    /// The call as the model made it.
    var call: ToolCall
    /// What to do.
    var action: Action

    /// What to do with a call.
    enum Action: Hashable, Sendable {
        /// Run the offered tool the model calls `tool`, with these arguments.
        case run(tool: String, arguments: JSONValue)
        /// An identical call succeeded earlier in the task, or comes earlier in this turn: answer with its result.
        case repeatOf(key: String)
        /// A mistake the model can fix: tell it, and count it.
        case mistake(ToolMistake)
    }

    /// Identifies identical calls: the tool's model name and its arguments with sorted keys.
    static func key(tool: String, arguments: JSONValue) -> String {
        tool + " " + arguments.serialized(sortedKeys: true)
    }
}

/// A tool call the model got wrong; it is answered with an error it can act on.
enum ToolMistake: Hashable, Sendable {
    /// No tool of that name exists.
    case unknownTool(available: [String])
    /// The tool exists but is not among this agent's tools.
    case notOffered(ToolID, available: [String])
    /// The arguments are not JSON.
    case invalidJSON
    /// The arguments do not match the tool's schema.
    case invalidArguments(ToolID, violations: String)
    /// The policy refuses the tool for this agent and caller.
    case denied(ToolID, reason: String)

    /// The event that records the mistake.
    func event(for call: ToolCall) -> RunEvent.Kind {
        switch self {
        case .unknownTool:
            return .toolDenied(callID: call.id, tool: call.name, reason: "unknown tool", arguments: call.arguments)
        case .notOffered(let id, _):
            return .toolDenied(
                callID: call.id, tool: id.rawValue,
                reason: "\(id.rawValue) is not among the tools offered to this agent", arguments: call.arguments)
        case .invalidJSON:
            return .toolFinished(
                callID: call.id, tool: call.name, outcome: .error, durationMS: 0, result: "invalid JSON arguments")
        case .invalidArguments(let id, let violations):
            return .toolFinished(
                callID: call.id, tool: id.rawValue, outcome: .error, durationMS: 0,
                result: "invalid arguments: \(violations)")
        case .denied(let id, let reason):
            return .toolDenied(callID: call.id, tool: id.rawValue, reason: reason, arguments: call.arguments)
        }
    }

    /// What the model reads as the call's result.
    func answer(to call: ToolCall) -> String {
        switch self {
        case .unknownTool(let available):
            return "Error: there is no tool called \(call.name). Your tools: \(Self.list(available))."
        case .notOffered(_, let available):
            return
                "Error: you may not use \(call.name): it is not one of your tools. Your tools: \(Self.list(available))."
        case .invalidJSON:
            return
                "Error: the arguments are not valid JSON. Call \(call.name) again with a JSON object matching its parameters."
        case .invalidArguments(_, let violations):
            return
                "Error: the arguments do not match the tool's parameters: \(violations). Fix them and call \(call.name) again."
        case .denied(_, let reason):
            return "Error: you may not use \(call.name): \(reason). Continue without it."
        }
    }

    private static func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }
}
