import AgentRuntime

/// The JSON field names of an agent file, in their canonical order.
public enum AgentFields {
    /// Every field an agent file may have.
    public static let allowed = [
        "$schema", "id", "name", "category", "description", "role", "goal", "backstory", "model", "temperature",
        "max_tokens", "top_p", "max_iterations", "allow_delegation", "tools", "knowledge", "tags",
    ]
    /// Fields an agent file must have.
    public static let required = ["id", "name", "category", "role", "goal", "backstory"]
}

/// What the decoders need to know about the rest of the catalog.
struct ReferenceSets {
    var knownTools: Set<ToolID>
    /// Knowledge collections; nil skips the check.
    var knowledgeCollections: Set<String>?
}

/// An agent decoded from a file, with where its id was written (for cross-file checks).
struct DecodedAgent {
    var definition: AgentDefinition
    var file: String
    var idOffset: Int
    var document: JSONDocument
    var root: JSONNode
}

enum IdentifierRules {
    /// `^[a-z0-9][a-z0-9-]{1,63}$`.
    static func isValidDefinitionID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (2...64).contains(bytes.count), isLowerAlnum(bytes[0]) else { return false }
        return bytes.dropFirst().allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// `^[a-z0-9][a-z0-9_-]{0,63}$` for task ids.
    static func isValidTaskID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), isLowerAlnum(bytes[0]) else { return false }
        return bytes.dropFirst().allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// `^[A-Za-z_][A-Za-z0-9_]*$` for input names.
    static func isValidInputName(_ text: String) -> Bool {
        Template.names(in: "{\(text)}") == [text]
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

extension DefinitionReader {
    /// Decodes an agent file. `expectedID` is the file name without `.json`,
    /// `expectedCategory` the folder name.
    mutating func decodeAgent(
        _ root: JSONNode, expectedID: String, expectedCategory: String, references: ReferenceSets
    ) -> (AgentDefinition, idOffset: Int)? {
        guard
            let fields = object(
                root, at: .root, what: "agent", allowed: AgentFields.allowed, required: AgentFields.required)
        else { return nil }

        let id = string(fields, "id")
        if let id, let member = fields["id"] {
            if !IdentifierRules.isValidDefinitionID(id) {
                error(
                    .invalidFormat,
                    "agent id \"\(id)\" must be 2–64 characters of lower-case letters, digits and '-', starting with a letter or digit",
                    at: member.value.offset, JSONPointer.root.appending("id"))
            } else if id != expectedID {
                error(
                    .idMismatch, "id \"\(id)\" does not match the file name \"\(expectedID).json\"",
                    at: member.value.offset, JSONPointer.root.appending("id"))
            }
        }
        let name = string(fields, "name")
        let category = string(fields, "category")
        if let category, category != expectedCategory, let member = fields["category"] {
            error(
                .categoryMismatch,
                "category \"\(category)\" does not match the folder \"\(expectedCategory)\"; move the file to agents/\(category)/ or set \"category\": \"\(expectedCategory)\"",
                at: member.value.offset, JSONPointer.root.appending("category"))
        }
        let role = string(fields, "role")
        let goal = string(fields, "goal")
        let backstory = string(fields, "backstory")
        _ = string(fields, "$schema")
        let description = string(fields, "description")
        let model = modelReference(fields, "model")
        let temperature = number(fields, "temperature", range: AgentDefinition.temperatureRange)
        let maxTokens = integer(fields, "max_tokens", range: 1...2_000_000)
        let topP = number(fields, "top_p", range: 0...1)
        let maxIterations = integer(fields, "max_iterations", range: AgentDefinition.maxIterationsRange)
        let allowDelegation = bool(fields, "allow_delegation")
        let tools = toolList(fields, "tools", references: references)
        let knowledge = knowledgeList(fields, references: references)
        let tags = stringArray(fields, "tags")?.map(\.value) ?? []

        guard let id, let name, let category, let role, let goal, let backstory, let idMember = fields["id"] else {
            return nil
        }
        let definition = AgentDefinition(
            id: AgentID(id), name: name, category: category, role: role, goal: goal, backstory: backstory,
            model: model, temperature: temperature ?? AgentDefinition.defaultTemperature, maxTokens: maxTokens,
            topP: topP, tools: tools, knowledge: knowledge,
            maxIterations: maxIterations ?? AgentDefinition.defaultMaxIterations,
            allowDelegation: allowDelegation ?? false, description: description, tags: tags)
        return (definition, idMember.value.offset)
    }

    /// A `provider/model` field.
    mutating func modelReference(_ fields: Fields, _ key: String) -> ModelReference? {
        guard let text = string(fields, key), let member = fields[key] else { return nil }
        guard let reference = ModelReference(parsing: text) else {
            error(
                .invalidFormat,
                "\"\(key)\" must be provider/model (e.g. openai/gpt-4o-mini, anthropic/claude-sonnet-4-5, ollama/llama3.2), found \"\(text)\"",
                at: member.value.offset, fields.pointer.appending(key))
            return nil
        }
        return reference
    }

    /// A list of tool ids, each checked for shape and against the registry.
    mutating func toolList(_ fields: Fields, _ key: String, references: ReferenceSets) -> [ToolID] {
        guard let entries = stringArray(fields, key) else { return [] }
        var tools: [ToolID] = []
        let known = references.knownTools.map(\.rawValue)
        for entry in entries {
            let tool = ToolID(entry.value)
            if tool.isMCP, tool.isWellFormedEntry {
                // A tenant's MCP server says which tools it has only when it is reached.
                warning(
                    .unknownTool,
                    "\(entry.value) names \(tool.isMCPPattern ? "the tools" : "a tool") of the MCP server \"\(tool.mcpServer ?? "")\", which cannot be checked until the server is reached (a tenant without that server in mcp_servers does not get \(tool.isMCPPattern ? "them" : "it"))",
                    at: entry.offset, entry.pointer)
                tools.append(tool)
                continue
            }
            guard tool.isWellFormed else {
                error(
                    .invalidFormat,
                    "tool id \"\(entry.value)\" must be connector.operation in lower case (e.g. wordpress.create_post)\(NameSuggestion.didYouMean(entry.value, in: known))",
                    at: entry.offset, entry.pointer)
                continue
            }
            guard references.knownTools.contains(tool) else {
                error(
                    .unknownTool,
                    "unknown tool \"\(entry.value)\"\(NameSuggestion.didYouMean(entry.value, in: known)) (run `agentctl tools list` for the registry)",
                    at: entry.offset, entry.pointer)
                continue
            }
            tools.append(tool)
        }
        return tools
    }

    private mutating func knowledgeList(_ fields: Fields, references: ReferenceSets) -> [String] {
        guard let entries = stringArray(fields, "knowledge") else { return [] }
        guard let collections = references.knowledgeCollections else { return entries.map(\.value) }
        var result: [String] = []
        for entry in entries {
            if collections.contains(entry.value) {
                result.append(entry.value)
            } else {
                error(
                    .unknownKnowledge,
                    "unknown knowledge collection \"\(entry.value)\": no folder knowledge/\(entry.value)/\(NameSuggestion.didYouMean(entry.value, in: collections))",
                    at: entry.offset, entry.pointer)
            }
        }
        return result
    }
}
