import AgentRuntime

/// JSON renderings of definitions (CLI `--json`, the HTTP API), with defaults filled in.
public enum DefinitionJSON {
    /// An agent's listing fields.
    public static func agentSummary(_ agent: AgentDefinition) -> JSONValue {
        [
            "id": .string(agent.id.rawValue), "name": .string(agent.name), "category": .string(agent.category),
            "model": agent.model.map { .string($0.description) } ?? .null, "temperature": .double(agent.temperature),
            "tools": .array(agent.tools.map { .string($0.rawValue) }),
            "description": agent.description.map(JSONValue.string) ?? .null,
        ]
    }

    /// A whole agent definition.
    public static func agent(_ agent: AgentDefinition) -> JSONValue {
        var object = JSONObject([
            ("id", .string(agent.id.rawValue)), ("name", .string(agent.name)), ("category", .string(agent.category)),
        ])
        if let description = agent.description { object["description"] = .string(description) }
        object["role"] = .string(agent.role)
        object["goal"] = .string(agent.goal)
        object["backstory"] = .string(agent.backstory)
        object["model"] = agent.model.map { .string($0.description) } ?? .null
        object["temperature"] = .double(agent.temperature)
        if let maxTokens = agent.maxTokens { object["max_tokens"] = .int(maxTokens) }
        if let topP = agent.topP { object["top_p"] = .double(topP) }
        object["max_iterations"] = .int(agent.maxIterations)
        object["allow_delegation"] = .bool(agent.allowDelegation)
        object["tools"] = .array(agent.tools.map { .string($0.rawValue) })
        object["knowledge"] = .array(agent.knowledge.map { .string($0) })
        object["tags"] = .array(agent.tags.map { .string($0) })
        return .object(object)
    }

    /// A crew's listing fields.
    public static func crewSummary(_ crew: CrewDefinition) -> JSONValue {
        [
            "id": .string(crew.id.rawValue), "name": .string(crew.name), "process": .string(crew.process.rawValue),
            "agents": .array(crew.agents.map { .string($0.rawValue) }), "tasks": .int(crew.tasks.count),
            "inputs": .array(crew.inputs.map { .string($0.name) }),
        ]
    }

    /// A whole crew definition.
    public static func crew(_ crew: CrewDefinition) -> JSONValue {
        var object = JSONObject([("id", .string(crew.id.rawValue)), ("name", .string(crew.name))])
        if let description = crew.description { object["description"] = .string(description) }
        object["process"] = .string(crew.process.rawValue)
        object["agents"] = .array(crew.agents.map { .string($0.rawValue) })
        if let manager = crew.manager { object["manager"] = .string(manager.rawValue) }
        if let model = crew.managerModel { object["manager_model"] = .string(model.description) }
        if let choice = crew.managerToolChoice { object["manager_tool_choice"] = .string(choice.rawValue) }
        if let reminder = crew.managerReminder { object["manager_reminder"] = .bool(reminder) }
        object["inputs"] = .object(
            JSONObject(
                crew.inputs.map { input in
                    var fields = JSONObject()
                    if let description = input.description { fields["description"] = .string(description) }
                    fields["required"] = .bool(input.isRequired)
                    if let value = input.defaultValue { fields["default"] = value }
                    return (key: input.name, value: .object(fields))
                }))
        object["tasks"] = .array(
            crew.tasks.map { task in
                var fields = JSONObject([
                    ("id", .string(task.id.rawValue)), ("description", .string(task.description)),
                    ("expected_output", .string(task.expectedOutput)),
                ])
                if let agent = task.agent { fields["agent"] = .string(agent.rawValue) }
                if let context = task.context { fields["context"] = .array(context.map { .string($0.rawValue) }) }
                fields["async"] = .bool(task.isAsync)
                if let schema = task.outputSchema { fields["output_schema"] = schema.document }
                if let tools = task.tools { fields["tools"] = .array(tools.map { .string($0.rawValue) }) }
                if let guardrail = task.guardrail { fields["guardrail"] = .string(guardrail) }
                return .object(fields)
            })
        return .object(object)
    }
}
