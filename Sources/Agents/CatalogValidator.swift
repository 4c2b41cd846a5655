import AgentRuntime

/// Validates a set of definition files together: each file on its own, then
/// the references between them (duplicate ids, crew agents, managers,
/// placeholders, tools, knowledge). Pure: it reads no files.
public struct CatalogValidator: Sendable {
    /// Tool ids the registry knows.
    public var knownTools: Set<ToolID>
    /// Knowledge collection names; nil skips the knowledge check.
    public var knowledgeCollections: Set<String>?

    /// Creates a validator.
    public init(knownTools: Set<ToolID>, knowledgeCollections: Set<String>?) {
        self.knownTools = knownTools
        self.knowledgeCollections = knowledgeCollections
    }

    /// Validates `sources`, plus diagnostics found before reading (layout problems).
    public func validate(_ sources: [DefinitionSource], extraDiagnostics: [Diagnostic] = []) -> Catalog {
        let references = ReferenceSets(knownTools: knownTools, knowledgeCollections: knowledgeCollections)
        var diagnostics = extraDiagnostics
        var decodedAgents: [DecodedAgent] = []
        var agentIDs = Set<AgentID>()
        var parsedCrews: [(DefinitionSource, JSONDocument)] = []

        for source in sources {
            guard let document = parse(source, into: &diagnostics) else {
                if case .agent = source.kind { agentIDs.insert(AgentID(source.stem)) }
                continue
            }
            switch source.kind {
            case .agent(let category):
                agentIDs.insert(AgentID(source.stem))
                var reader = DefinitionReader(file: source.displayPath, document: document)
                let decoded = reader.decodeAgent(
                    document.root, expectedID: source.stem, expectedCategory: category, references: references)
                diagnostics += reader.diagnostics
                if let (definition, idOffset) = decoded, !reader.hasErrors {
                    decodedAgents.append(
                        DecodedAgent(
                            definition: definition, file: source.displayPath, idOffset: idOffset, document: document,
                            root: document.root))
                }
            case .crew:
                parsedCrews.append((source, document))
            }
        }

        // Duplicate agent ids across category folders.
        var agents: [AgentID: DecodedAgent] = [:]
        for (id, group) in Dictionary(grouping: decodedAgents, by: \.definition.id) {
            let sorted = group.sorted { $0.file < $1.file }
            agents[id] = sorted[0]
            if sorted.count > 1 {
                for duplicate in sorted {
                    let others = sorted.filter { $0.file != duplicate.file }.map(\.file).joined(separator: ", ")
                    let location = duplicate.document.location(of: duplicate.idOffset)
                    diagnostics.append(
                        Diagnostic(
                            file: duplicate.file, line: location.line, column: location.column, severity: .error,
                            code: .duplicateID, message: "agent id \"\(id)\" is also defined in \(others)",
                            pointer: "/id"))
                }
                agents[id] = nil
            }
        }

        let directory = AgentDirectory(ids: agentIDs, definitions: agents.mapValues(\.definition))
        var crews: [CrewDefinition] = []
        var crewFiles: [CrewID: String] = [:]
        for (source, document) in parsedCrews {
            var reader = DefinitionReader(file: source.displayPath, document: document)
            let decoded = reader.decodeCrew(
                document.root, expectedID: source.stem, agents: directory, references: references)
            diagnostics += reader.diagnostics
            if let (crew, _) = decoded, !reader.hasErrors {
                crews.append(crew)
                crewFiles[crew.id] = source.displayPath
            }
        }

        diagnostics.sort { lhs, rhs in
            if lhs.file != rhs.file { return lhs.file < rhs.file }
            if lhs.line != rhs.line { return lhs.line < rhs.line }
            return lhs.column < rhs.column
        }
        return Catalog(
            agents: agents.values.map(\.definition), crews: crews, diagnostics: diagnostics, fileCount: sources.count,
            agentFiles: agents.mapValues(\.file), crewFiles: crewFiles,
            knowledgeCollections: (knowledgeCollections ?? []).sorted())
    }

    private func parse(_ source: DefinitionSource, into diagnostics: inout [Diagnostic]) -> JSONDocument? {
        guard let bytes = source.bytes else {
            diagnostics.append(
                Diagnostic(
                    file: source.displayPath, line: 1, column: 1, severity: .error, code: .unreadableFile,
                    message: "cannot read the file", pointer: ""))
            return nil
        }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            diagnostics.append(
                Diagnostic(
                    file: source.displayPath, line: error.location.line, column: error.location.column,
                    severity: .error, code: .syntaxError, message: "invalid JSON: \(error.message)", pointer: ""))
            return nil
        }
    }
}
