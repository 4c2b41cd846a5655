import AgentGateway
import AgentRuntime
import MCP

/// A crew as an MCP tool: its name, its input schema (from the crew's `inputs`), its output schema (the last task's,
/// when it describes an object), and a run's ending as the tool's result.
enum CrewTool {
    /// The longest tool name model APIs accept.
    static let maximumNameLength = 64

    /// `crew_<id>`, with any character outside `A-Z a-z 0-9 _ -` as `_`, at most 64 characters.
    static func name(_ crew: CrewDefinition) -> String {
        let safe = crew.id.rawValue.map { character -> Character in
            character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
                ? character : "_"
        }
        return String(("crew_" + String(safe)).prefix(maximumNameLength))
    }

    /// The tool of `crew`.
    static func tool(_ crew: CrewDefinition) -> MCP.Tool {
        Tool(
            name: name(crew), title: crew.name,
            description: crew.description ?? "Runs the crew \(crew.name) and returns its final answer.",
            inputSchema: inputSchema(crew), annotations: .init(readOnlyHint: false, openWorldHint: true),
            outputSchema: outputSchema(crew))
    }

    /// An object with one property per declared input (a string unless its default says otherwise), the required
    /// ones listed, and nothing else accepted.
    static func inputSchema(_ crew: CrewDefinition) -> Value {
        var properties: [String: Value] = [:]
        for input in crew.inputs {
            var property: [String: Value] = ["type": .string(input.defaultValue.map(jsonType) ?? "string")]
            if let description = input.description { property["description"] = .string(description) }
            if let value = input.defaultValue { property["default"] = Value(value) }
            properties[input.name] = .object(property)
        }
        let required = crew.inputs.filter { $0.isRequired && $0.defaultValue == nil }.map { Value.string($0.name) }
        return [
            "type": "object", "properties": .object(properties), "required": .array(required),
            "additionalProperties": false,
        ]
    }

    /// The last task's output schema when it describes an object (MCP's `outputSchema` must), else nil.
    static func outputSchema(_ crew: CrewDefinition) -> Value? {
        guard let schema = crew.tasks.last?.outputSchema?.document, schema["type"]?.stringValue == "object" else {
            return nil
        }
        return Value(schema)
    }

    /// The result of a call: the final answer as text, the structured output when the crew declares one, and the run's
    /// id in `_meta` (`agentruntime/run_id`); a run that did not succeed is a tool error saying why.
    static func result(_ ending: RunEnding, structured: Bool) -> CallTool.Result {
        let meta = Metadata(additionalFields: [runIDKey: .string(ending.runID.rawValue)])
        guard ending.status == .succeeded else {
            var message = "run \(ending.runID) \(ending.status.rawValue)"
            if let error = ending.error { message += ": \(error)" }
            return CallTool.Result(
                content: [.text(text: message, annotations: nil, _meta: nil)], isError: true, _meta: meta)
        }
        var structuredContent: Value?
        if structured, let json = ending.outputJSON, case .object = json { structuredContent = Value(json) }
        return CallTool.Result(
            content: [.text(text: ending.output ?? "", annotations: nil, _meta: nil)],
            structuredContent: structuredContent, isError: false, _meta: meta)
    }

    /// The `_meta` key of a result naming its run.
    static let runIDKey = "agentruntime/run_id"

    private static func jsonType(_ value: JSONValue) -> String {
        switch value {
        case .null, .string: "string"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// The URI of an agent or crew definition resource: `agentruntime://agents/<id>`, `agentruntime://crews/<id>`.
enum DefinitionURI: Equatable {
    case agent(String)
    case crew(String)

    /// The URI of agent `id`.
    static func uri(of id: AgentID) -> String { "agentruntime://agents/\(id.rawValue)" }
    /// The URI of crew `id`.
    static func uri(of id: CrewID) -> String { "agentruntime://crews/\(id.rawValue)" }

    /// What `uri` names, if it is a definition URI.
    init?(_ uri: String) {
        let agents = "agentruntime://agents/"
        let crews = "agentruntime://crews/"
        if uri.hasPrefix(agents), uri.count > agents.count {
            self = .agent(String(uri.dropFirst(agents.count)))
        } else if uri.hasPrefix(crews), uri.count > crews.count {
            self = .crew(String(uri.dropFirst(crews.count)))
        } else {
            return nil
        }
    }
}
