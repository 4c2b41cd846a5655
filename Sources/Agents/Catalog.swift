import AgentRuntime

/// The validated agent and crew definitions of one `agents/` directory,
/// with every diagnostic found while loading it.
///
/// Definitions that have errors are left out; everything else is usable even
/// when other files are broken, so one bad file never hides the rest.
public struct Catalog: Sendable {
    /// Agents that loaded, sorted by id.
    public let agents: [AgentDefinition]
    /// Crews that loaded, sorted by id.
    public let crews: [CrewDefinition]
    /// Every problem found, sorted by file and position.
    public let diagnostics: [Diagnostic]
    /// How many definition files were read.
    public let fileCount: Int
    /// Each loaded definition's file (display path), by agent id.
    public let agentFiles: [AgentID: String]
    /// Each loaded definition's file (display path), by crew id.
    public let crewFiles: [CrewID: String]
    /// Knowledge collections found (folder names under `knowledge/`).
    public let knowledgeCollections: [String]
    /// The connector definitions (`connectors/*.json`) that loaded.
    public let connectors: ConnectorCatalog

    private let agentIndex: [AgentID: Int]
    private let crewIndex: [CrewID: Int]

    /// Creates a catalog from its parts.
    public init(
        agents: [AgentDefinition], crews: [CrewDefinition], diagnostics: [Diagnostic], fileCount: Int,
        agentFiles: [AgentID: String] = [:], crewFiles: [CrewID: String] = [:], knowledgeCollections: [String] = [],
        connectors: ConnectorCatalog = .empty
    ) {
        self.connectors = connectors
        self.agents = agents.sorted { $0.id < $1.id }
        self.crews = crews.sorted { $0.id < $1.id }
        self.diagnostics = diagnostics
        self.fileCount = fileCount
        self.agentFiles = agentFiles
        self.crewFiles = crewFiles
        self.knowledgeCollections = knowledgeCollections
        self.agentIndex = Dictionary(
            self.agents.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.crewIndex = Dictionary(
            self.crews.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// This catalog with `connectors` and their diagnostics.
    public func with(connectors: ConnectorCatalog) -> Catalog {
        let all = (diagnostics + connectors.diagnostics).sorted {
            ($0.file, $0.line, $0.column) < ($1.file, $1.line, $1.column)
        }
        return Catalog(
            agents: agents, crews: crews, diagnostics: all, fileCount: fileCount,
            agentFiles: agentFiles, crewFiles: crewFiles, knowledgeCollections: knowledgeCollections,
            connectors: connectors)
    }

    /// The agent with `id`, if it loaded.
    public func agent(_ id: AgentID) -> AgentDefinition? { agentIndex[id].map { agents[$0] } }

    /// The crew with `id`, if it loaded.
    public func crew(_ id: CrewID) -> CrewDefinition? { crewIndex[id].map { crews[$0] } }

    /// Number of error diagnostics.
    public var errorCount: Int { diagnostics.count { $0.severity == .error } }

    /// Number of warning diagnostics.
    public var warningCount: Int { diagnostics.count { $0.severity == .warning } }

    /// Whether no diagnostic is an error.
    public var isValid: Bool { errorCount == 0 }

    /// The categories that have agents, sorted.
    public var categories: [String] { Array(Set(agents.map(\.category))).sorted() }

    /// The closest known agent id to `text`, for "did you mean" messages.
    public func suggestAgent(for text: String) -> AgentID? {
        NameSuggestion.closest(to: text, in: agents.map(\.id.rawValue)).map { AgentID($0) }
    }

    /// The closest known crew id to `text`, for "did you mean" messages.
    public func suggestCrew(for text: String) -> CrewID? {
        NameSuggestion.closest(to: text, in: crews.map(\.id.rawValue)).map { CrewID($0) }
    }
}
