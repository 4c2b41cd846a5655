import Foundation

/// How a manager hands work to a coworker: one synthesised tool per kind.
public enum DelegationKind: String, Hashable, Sendable, CaseIterable {
    /// Delegate a task; the coworker works toward the task's expected output.
    case delegate
    /// Ask a question; the coworker answers it directly.
    case ask

    /// The tool's name as offered to the model.
    public var toolName: String {
        switch self {
        case .delegate: return "delegate_work"
        case .ask: return "ask_question"
        }
    }

    /// The argument that carries the work (`task` or `question`).
    var workArgument: String {
        switch self {
        case .delegate: return "task"
        case .ask: return "question"
        }
    }

    /// What the model is told the tool does, given the coworkers as text.
    func description(coworkers names: String) -> String {
        switch self {
        case .delegate:
            return
                "Delegate a specific task to one of your coworkers: \(names). Give them the full context; they know nothing else."
        case .ask:
            return "Ask one of your coworkers a question: \(names). Give them the full context; they know nothing else."
        }
    }

    /// The tool's parameters: the work, its context, and the coworker as an enum of ids.
    func parameters(coworker: JSONValue) -> JSONSchema {
        let work: JSONValue =
            switch self {
            case .delegate: ["type": "string", "description": "What the coworker must do, specifically"]
            case .ask: ["type": "string", "description": "The question"]
            }
        let context: JSONValue =
            switch self {
            case .delegate:
                [
                    "type": "string",
                    "description": "Everything the coworker needs to know; they cannot see this conversation",
                ]
            case .ask: ["type": "string", "description": "Everything the coworker needs to know to answer"]
            }
        return .object(
            [workArgument: work, "context": context, "coworker": coworker],
            required: [workArgument, "context", "coworker"])
    }
}

extension Execution {
    /// The two delegation tools of `manager` (a hierarchical crew's manager, or an agent of a sequential crew with
    /// `allow_delegation`): delegate work and ask a question, each naming one of `coworkers`. A coworker works with its
    /// own tools, or only `coworkerTools` when the task overrides them, and never with delegation tools (one level).
    func delegationTools(
        coworkers: [AgentDefinition], coworkerTools: [ToolID]?, manager: AgentDefinition, expectedOutput: String,
        meter: UsageMeter
    ) -> [OfferedTool] {
        let names = coworkers.map { "\($0.id) (\($0.role))" }.joined(separator: "; ")
        let coworkerProperty: JSONValue = [
            "type": "string", "enum": .array(coworkers.map { .string($0.id.rawValue) }),
            "description": .string("The coworker, by id: \(names)"),
        ]
        return [DelegationKind.delegate, .ask].map { kind in
            OfferedTool(
                modelName: kind.toolName,
                chatTool: ChatTool(
                    name: kind.toolName, description: kind.description(coworkers: names),
                    parameters: kind.parameters(coworker: coworkerProperty)),
                handler: .synthesized { arguments, _ in
                    try await delegate(
                        kind, arguments: arguments, coworkers: coworkers, coworkerTools: coworkerTools,
                        manager: manager, expectedOutput: expectedOutput, meter: meter)
                })
        }
    }

    /// Runs the coworker the manager named on the work it gave; mistakes come back to the manager as tool errors.
    private func delegate(
        _ kind: DelegationKind, arguments: JSONValue, coworkers: [AgentDefinition], coworkerTools: [ToolID]?,
        manager: AgentDefinition, expectedOutput: String, meter: UsageMeter
    ) async throws -> ToolResult {
        let valid = coworkers.map { "\($0.id) (\($0.role))" }.joined(separator: ", ")
        let requested = arguments["coworker"]?.stringValue ?? ""
        let wanted = Self.normalize(requested)
        guard
            let coworker = coworkers.first(where: {
                Self.normalize($0.id.rawValue) == wanted || Self.normalize($0.role) == wanted
            })
        else {
            throw ToolError("unknown coworker \"\(requested)\". Valid coworkers: \(valid)")
        }
        let work = arguments[kind.workArgument]?.stringValue ?? ""
        guard !work.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ToolError("\"\(kind.workArgument)\" must not be empty")
        }
        try await state.beginDelegation()
        let path = [manager.id.rawValue, coworker.id.rawValue]
        await state.emit(path, .delegationStarted(coworker: coworker.id.rawValue, kind: kind, task: work))
        let system = PromptBuilder.system(for: coworker)
        let expected = kind == .ask ? "A clear, direct answer to the question." : expectedOutput
        let user = PromptBuilder.task(
            description: work, expectedOutput: expected, context: [], outputSchema: nil,
            extraContext: arguments["context"]?.stringValue,
            knowledge: await knowledgeText(for: coworker, query: work + "\n" + expected))
        let tools = await offeredTools(for: coworker, override: coworkerTools)
        await state.emit(path, .prompt(system: system, user: user, tools: tools.map(\.modelName)))
        let loop = AgentLoop(
            agent: coworker, model: try await resolve(coworker), tools: tools, path: path, task: "delegated",
            state: state,
            environment: environment, principal: principal, responseFormat: .text, meter: meter)
        let (text, _) = try await tracedAgent(coworker) { try await loop.run([.system(system), .user(user)]) }
        await state.emit(path, .delegationFinished(coworker: coworker.id.rawValue, output: String(text.prefix(2000))))
        return ToolResult(content: text)
    }

    /// Lower-cased with single spaces, for matching a coworker by id or role.
    static func normalize(_ text: String) -> String {
        text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
