import AgentRuntime

/// The JSON field names of crew files, in their canonical order.
public enum CrewFields {
    /// Every field a crew file may have.
    public static let allowed = [
        "$schema", "id", "name", "description", "process", "agents", "manager", "manager_model",
        "manager_tool_choice", "manager_reminder", "inputs", "tasks", "tags",
    ]
    /// Fields a crew file must have.
    public static let required = ["id", "name", "process", "agents", "tasks"]
    /// Every field a task may have.
    public static let taskAllowed = [
        "id", "description", "expected_output", "agent", "context", "async", "output_schema", "tools", "guardrail",
    ]
    /// Fields a task must have.
    public static let taskRequired = ["id", "description", "expected_output"]
    /// Every field an input declaration may have.
    public static let inputAllowed = ["description", "required", "default"]
}

/// The agents a crew may refer to.
struct AgentDirectory {
    /// Every agent id with a file, including files that failed to decode
    /// (so a broken agent is not also reported as unknown by every crew).
    var ids: Set<AgentID>
    /// Agents that decoded.
    var definitions: [AgentID: AgentDefinition]
}

extension DefinitionReader {
    /// Decodes a crew file and checks it against the agents.
    mutating func decodeCrew(
        _ root: JSONNode, expectedID: String, agents: AgentDirectory, references: ReferenceSets
    ) -> (CrewDefinition, idOffset: Int)? {
        guard
            let fields = object(
                root, at: .root, what: "crew", allowed: CrewFields.allowed, required: CrewFields.required)
        else { return nil }
        let pointer = JSONPointer.root

        let id = string(fields, "id")
        if let id, let member = fields["id"] {
            if !IdentifierRules.isValidDefinitionID(id) {
                error(
                    .invalidFormat,
                    "crew id \"\(id)\" must be 2–64 characters of lower-case letters, digits and '-', starting with a letter or digit",
                    at: member.value.offset, pointer.appending("id"))
            } else if id != expectedID {
                error(
                    .idMismatch, "id \"\(id)\" does not match the file name \"\(expectedID).json\"",
                    at: member.value.offset, pointer.appending("id"))
            }
        }
        let name = string(fields, "name")
        let description = string(fields, "description")
        _ = string(fields, "$schema")
        let tags = stringArray(fields, "tags")?.map(\.value) ?? []
        let process = crewProcess(fields)

        // Agents.
        var crewAgents: [AgentID] = []
        if let entries = stringArray(fields, "agents") {
            if entries.isEmpty, let member = fields["agents"] {
                error(
                    .emptyValue, "\"agents\" must list at least one agent", at: member.value.offset,
                    pointer.appending("agents"))
            }
            for entry in entries {
                let agent = AgentID(entry.value)
                if agents.ids.contains(agent) {
                    crewAgents.append(agent)
                } else {
                    unknownAgent(entry, agents: agents)
                }
            }
        }

        // Manager.
        var manager: AgentID?
        if let entry = locatedString(fields, "manager") {
            if process == .sequential {
                error(
                    .managerNotAllowed,
                    "\"manager\" applies to hierarchical crews only; this crew is sequential",
                    at: entry.offset, entry.pointer)
            } else if !agents.ids.contains(AgentID(entry.value)) {
                unknownAgent(entry, agents: agents)
            } else {
                if crewAgents.contains(AgentID(entry.value)) {
                    error(
                        .managerInAgents,
                        "manager \"\(entry.value)\" is also listed in \"agents\"; a manager delegates to the crew's agents and cannot be one of them",
                        at: entry.offset, entry.pointer)
                } else {
                    manager = AgentID(entry.value)
                }
                if let definition = agents.definitions[AgentID(entry.value)], !definition.tools.isEmpty {
                    error(
                        .managerHasTools,
                        "manager \"\(entry.value)\" declares tools (\(definition.tools.map(\.rawValue).joined(separator: ", "))); a manager works only through delegation, so remove its tools or pick another manager",
                        at: entry.offset, entry.pointer)
                }
            }
        }
        let managerModel = modelReference(fields, "manager_model")
        if let member = fields["manager_model"] {
            if process == .sequential {
                error(
                    .managerNotAllowed, "\"manager_model\" applies to hierarchical crews only; this crew is sequential",
                    at: member.value.offset, pointer.appending("manager_model"))
            } else if fields["manager"] != nil {
                warning(
                    .ignoredSetting,
                    "\"manager_model\" is ignored because \"manager\" names an agent, which uses its own model",
                    at: member.value.offset, pointer.appending("manager_model"))
            }
        }

        let (managerToolChoice, managerReminder) = managerSettings(fields, process: process)

        let inputs = crewInputs(fields)
        let tasks = crewTasks(fields, process: process, crewAgents: crewAgents, agents: agents, references: references)

        checkPlaceholders(
            fields: fields, inputs: inputs, taskFields: tasks.taskFields, crewAgents: crewAgents, manager: manager,
            agents: agents)
        if process == .sequential {
            let used = Set(tasks.located.compactMap(\.task.agent))
            if let entries = fields["agents"], case .array(let items) = entries.value.content {
                for (index, item) in items.enumerated() {
                    guard case .string(let value) = item.content, crewAgents.contains(AgentID(value)),
                        !used.contains(AgentID(value))
                    else { continue }
                    warning(
                        .unusedAgent, "agent \"\(value)\" is in the crew but performs no task",
                        at: item.offset, pointer.appending("agents").appending(index))
                }
            }
        }

        guard let id, let name, let process, let idMember = fields["id"], !tasks.failed else { return nil }
        let definition = CrewDefinition(
            id: CrewID(id), name: name, description: description, process: process, agents: crewAgents,
            manager: manager, managerModel: managerModel, inputs: inputs.map(\.input),
            tasks: tasks.located.map(\.task), tags: tags, managerToolChoice: managerToolChoice,
            managerReminder: managerReminder)
        return (definition, idMember.value.offset)
    }

    /// `manager_tool_choice` (`required` or `auto`) and `manager_reminder` (a boolean): hierarchical crews only.
    private mutating func managerSettings(
        _ fields: Fields, process: CrewProcess?
    ) -> (ManagerToolChoice?, Bool?) {
        var choice: ManagerToolChoice?
        if let entry = locatedString(fields, "manager_tool_choice") {
            choice = ManagerToolChoice(rawValue: entry.value)
            if choice == nil {
                let words = ManagerToolChoice.allCases.map(\.rawValue)
                error(
                    .invalidValue,
                    "\"manager_tool_choice\" must be \"required\" or \"auto\", found \"\(entry.value)\"\(NameSuggestion.didYouMean(entry.value, in: words))",
                    at: entry.offset, entry.pointer)
            }
        }
        let reminder = bool(fields, "manager_reminder")
        for key in ["manager_tool_choice", "manager_reminder"] {
            guard process == .sequential, let member = fields[key] else { continue }
            error(
                .managerNotAllowed, "\"\(key)\" applies to hierarchical crews only; this crew is sequential",
                at: member.value.offset, fields.pointer.appending(key))
        }
        return (choice, reminder)
    }

    private mutating func locatedString(_ fields: Fields, _ key: String) -> LocatedString? {
        guard let value = string(fields, key), let member = fields[key] else { return nil }
        return LocatedString(value: value, offset: member.value.offset, pointer: fields.pointer.appending(key))
    }

    private mutating func unknownAgent(_ entry: LocatedString, agents: AgentDirectory) {
        error(
            .unknownAgent,
            "unknown agent \"\(entry.value)\"\(NameSuggestion.didYouMean(entry.value, in: agents.ids.map(\.rawValue))) (no file agents/<category>/\(entry.value).json)",
            at: entry.offset, entry.pointer)
    }

    private mutating func crewProcess(_ fields: Fields) -> CrewProcess? {
        guard let text = string(fields, "process"), let member = fields["process"] else { return nil }
        guard let process = CrewProcess(rawValue: text) else {
            let words = CrewProcess.allCases.map(\.rawValue)
            error(
                .invalidValue,
                "\"process\" must be \"sequential\" or \"hierarchical\", found \"\(text)\"\(NameSuggestion.didYouMean(text, in: words))",
                at: member.value.offset, fields.pointer.appending("process"))
            return nil
        }
        return process
    }

    struct LocatedInput {
        var input: CrewInput
        var keyOffset: Int
        var pointer: JSONPointer
    }

    private mutating func crewInputs(_ fields: Fields) -> [LocatedInput] {
        guard let member = fields["inputs"] else { return [] }
        let pointer = fields.pointer.appending("inputs")
        guard case .object(let members) = member.value.content else {
            typeMismatch(member.value, expected: "an object of input declarations", at: pointer, what: "\"inputs\"")
            return []
        }
        var result: [LocatedInput] = []
        var seen = Set<String>()
        for entry in members {
            let inputPointer = pointer.appending(entry.key)
            guard seen.insert(entry.key).inserted else {
                error(.duplicateKey, "input \"\(entry.key)\" is declared twice", at: entry.keyOffset, inputPointer)
                continue
            }
            guard IdentifierRules.isValidInputName(entry.key) else {
                error(
                    .invalidFormat,
                    "input name \"\(entry.key)\" must be an identifier (letters, digits, '_'; not starting with a digit) so it can be used as {\(entry.key)}",
                    at: entry.keyOffset, inputPointer)
                continue
            }
            guard
                let inputFields = object(
                    entry.value, at: inputPointer, what: "input \"\(entry.key)\"", allowed: CrewFields.inputAllowed,
                    required: [])
            else { continue }
            let description = string(inputFields, "description")
            let required = bool(inputFields, "required")
            var defaultValue: JSONValue?
            if let value = inputFields["default"]?.value {
                switch value.content {
                case .string, .int, .double, .bool: defaultValue = value.value
                default:
                    typeMismatch(
                        value, expected: "a string, number or boolean", at: inputPointer.appending("default"),
                        what: "\"default\"")
                }
            }
            result.append(
                LocatedInput(
                    input: CrewInput(
                        name: entry.key, description: description, isRequired: required ?? true,
                        defaultValue: defaultValue),
                    keyOffset: entry.keyOffset, pointer: inputPointer))
        }
        return result
    }

    struct LocatedTask {
        var task: CrewTask
        var fields: Fields
    }

    private mutating func crewTasks(
        _ fields: Fields, process: CrewProcess?, crewAgents: [AgentID], agents: AgentDirectory,
        references: ReferenceSets
    ) -> (located: [LocatedTask], taskFields: [Fields], failed: Bool) {
        guard let member = fields["tasks"] else { return ([], [], true) }
        let pointer = fields.pointer.appending("tasks")
        guard case .array(let items) = member.value.content else {
            typeMismatch(member.value, expected: "an array of tasks", at: pointer, what: "\"tasks\"")
            return ([], [], true)
        }
        if items.isEmpty {
            error(.emptyValue, "\"tasks\" must list at least one task", at: member.value.offset, pointer)
            return ([], [], true)
        }
        var located: [LocatedTask] = []
        var allFields: [Fields] = []
        var failed = false
        var taskIDs: [String: Int] = [:]
        let allIDs = Set(
            items.compactMap { item -> String? in
                guard case .object(let members) = item.content,
                    case .string(let id) = members.last(where: { $0.key == "id" })?.value.content
                else { return nil }
                return id
            })
        for (index, item) in items.enumerated() {
            let taskPointer = pointer.appending(index)
            guard
                let taskFields = object(
                    item, at: taskPointer, what: "task", allowed: CrewFields.taskAllowed,
                    required: CrewFields.taskRequired)
            else {
                failed = true
                continue
            }
            allFields.append(taskFields)
            let errorsBefore = diagnostics.filter { $0.severity == .error }.count
            let id = string(taskFields, "id")
            if let id, let idMember = taskFields["id"] {
                if !IdentifierRules.isValidTaskID(id) {
                    error(
                        .invalidFormat,
                        "task id \"\(id)\" must be lower-case letters, digits, '-' or '_', starting with a letter or digit",
                        at: idMember.value.offset, taskPointer.appending("id"))
                } else if let first = taskIDs[id] {
                    error(
                        .duplicateID, "task id \"\(id)\" is used twice in this crew (first at /tasks/\(first))",
                        at: idMember.value.offset, taskPointer.appending("id"))
                } else {
                    taskIDs[id] = index
                }
            }
            let description = string(taskFields, "description")
            let expectedOutput = string(taskFields, "expected_output")
            var agent: AgentID?
            if let entry = locatedString(taskFields, "agent") {
                let candidate = AgentID(entry.value)
                if !agents.ids.contains(candidate) {
                    unknownAgent(entry, agents: agents)
                } else if !crewAgents.contains(candidate) {
                    error(
                        .taskAgentNotInCrew,
                        "task agent \"\(entry.value)\" is not one of the crew's agents (\(crewAgents.map(\.rawValue).joined(separator: ", "))); add it to \"agents\" or pick one of them",
                        at: entry.offset, entry.pointer)
                } else {
                    agent = candidate
                }
            } else if process == .sequential, taskFields["agent"] == nil {
                error(
                    .missingField,
                    "task \"\(id ?? String(index))\" has no \"agent\"; every task of a sequential crew needs one",
                    at: taskFields.offset, taskPointer.appending("agent"))
            }
            var context: [TaskID]?
            if let entries = stringArray(taskFields, "context") {
                context = []
                for entry in entries {
                    if let earlier = taskIDs[entry.value], earlier < index {
                        context?.append(TaskID(entry.value))
                    } else if allIDs.contains(entry.value) {
                        error(
                            .forwardContext,
                            entry.value == id
                                ? "task \"\(entry.value)\" cannot use its own output as context"
                                : "context names task \"\(entry.value)\", which comes later; a task sees only the outputs of earlier tasks",
                            at: entry.offset, entry.pointer)
                    } else {
                        error(
                            .unknownContextTask,
                            "context names unknown task \"\(entry.value)\"\(NameSuggestion.didYouMean(entry.value, in: Array(taskIDs.keys)))",
                            at: entry.offset, entry.pointer)
                    }
                }
            }
            let isAsync = bool(taskFields, "async") ?? false
            var outputSchema: JSONSchema?
            if let schema = taskFields["output_schema"]?.value {
                if case .object = schema.content {
                    outputSchema = JSONSchema(schema.value)
                } else {
                    typeMismatch(
                        schema, expected: "a JSON Schema object", at: taskPointer.appending("output_schema"),
                        what: "\"output_schema\"")
                }
            }
            let tools = taskFields["tools"] == nil ? nil : toolList(taskFields, "tools", references: references)
            let guardrail = string(taskFields, "guardrail")
            let errorsAfter = diagnostics.filter { $0.severity == .error }.count
            guard let id, let description, let expectedOutput, errorsAfter == errorsBefore else {
                failed = true
                continue
            }
            located.append(
                LocatedTask(
                    task: CrewTask(
                        id: TaskID(id), description: description, expectedOutput: expectedOutput, agent: agent,
                        context: context, isAsync: isAsync, outputSchema: outputSchema, tools: tools,
                        guardrail: guardrail),
                    fields: taskFields))
        }
        return (located, allFields, failed)
    }

    private mutating func checkPlaceholders(
        fields: Fields, inputs: [LocatedInput], taskFields: [Fields], crewAgents: [AgentID], manager: AgentID?,
        agents: AgentDirectory
    ) {
        let declared = Set(inputs.map(\.input.name))
        var used = Set<String>()
        for task in taskFields {
            for key in ["description", "expected_output"] {
                guard let member = task[key], case .string(let text) = member.value.content else { continue }
                for placeholder in Template.placeholders(in: text) {
                    used.insert(placeholder.name)
                    guard !declared.contains(placeholder.name) else { continue }
                    error(
                        .undeclaredPlaceholder,
                        "placeholder {\(placeholder.name)} is not declared in the crew's \"inputs\"\(NameSuggestion.didYouMean(placeholder.name, in: declared))",
                        at: offsetOf(placeholder.name, inStringAt: member.value.offset),
                        task.pointer.appending(key))
                }
            }
        }
        let agentsPointer = fields.pointer.appending("agents")
        var members: [(AgentID, Int, JSONPointer)] = []
        if let entry = fields["agents"], case .array(let items) = entry.value.content {
            for (index, item) in items.enumerated() {
                if case .string(let value) = item.content {
                    members.append((AgentID(value), item.offset, agentsPointer.appending(index)))
                }
            }
        }
        if let manager, let entry = fields["manager"] {
            members.append((manager, entry.value.offset, fields.pointer.appending("manager")))
        }
        for (agentID, offset, pointer) in members {
            guard crewAgents.contains(agentID) || agentID == manager, let agent = agents.definitions[agentID] else {
                continue
            }
            for (field, text) in [("role", agent.role), ("goal", agent.goal), ("backstory", agent.backstory)] {
                for name in Template.names(in: text) {
                    used.insert(name)
                    guard !declared.contains(name) else { continue }
                    error(
                        .undeclaredPlaceholder,
                        "agent \"\(agentID)\" uses placeholder {\(name)} in its \(field), which the crew's \"inputs\" do not declare",
                        at: offset, pointer)
                }
            }
        }
        for input in inputs where !used.contains(input.input.name) {
            warning(
                .unusedInput,
                "input \"\(input.input.name)\" is declared but no task or agent text uses {\(input.input.name)}",
                at: input.keyOffset, input.pointer)
        }
    }

    /// The offset of `{name}` inside the JSON string starting at `stringOffset`
    /// (the string's own offset when it cannot be found verbatim).
    private func offsetOf(_ name: String, inStringAt stringOffset: Int) -> Int {
        document.firstOffset(of: Array("{\(name)}".utf8), from: stringOffset) ?? stringOffset
    }
}
