import AgentRuntime
import Agents
import Foundation
import Testing
import Tools

/// The repository's own `agents/` and `knowledge/` directories.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let agents = root.appendingPathComponent("agents")
    static let knowledge = root.appendingPathComponent("knowledge")
    /// The repository's connector definitions (`connectors/*.json`).
    static let connectors = ConnectorCatalog.load(
        root.appendingPathComponent("connectors"), displayBase: root, reservedIDs: ToolRegistry.builtinConnectorIDs)
    /// Every tool the repository's agents may name: the built-in ones and the defined connectors' operations.
    static let toolIDs = ToolRegistry.ids(with: connectors.definitions)

    static let catalog: Catalog = {
        try! CatalogLoader(
            agentsDirectory: agents, knowledgeDirectory: knowledge, knownTools: toolIDs, displayBase: root
        ).load()
    }()

    /// Every definition file (display path), for parameterised tests.
    static let definitionFiles: [String] = {
        let enumerator = FileManager.default.enumerator(at: agents, includingPropertiesForKeys: nil)
        var files: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "json", url.pathComponents.contains("schema") == false else { continue }
            files.append(String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1)))
        }
        return files.sorted()
    }()
}

@Suite("The repository's catalog")
struct CatalogFilesTests {
    @Test("every definition file decodes and passes every check", arguments: Repository.definitionFiles)
    func file(_ path: String) throws {
        let problems = Repository.catalog.diagnostics.filter { $0.file == path }
        #expect(problems.isEmpty, "\(problems.map(\.formatted).joined(separator: "\n"))")
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        if path.hasPrefix("agents/crews/") {
            let crew = try #require(Repository.catalog.crew(CrewID(stem)))
            #expect(Repository.catalog.crewFiles[crew.id] == path)
            for agent in crew.agents + [crew.manager].compactMap({ $0 }) {
                #expect(Repository.catalog.agent(agent) != nil, "crew \(stem) names missing agent \(agent)")
            }
        } else {
            let agent = try #require(Repository.catalog.agent(AgentID(stem)))
            #expect(Repository.catalog.agentFiles[agent.id] == path, "agent id \(stem) is defined more than once")
            for tool in agent.tools { #expect(Repository.toolIDs.contains(tool), "unknown tool \(tool)") }
            for collection in agent.knowledge {
                #expect(Repository.catalog.knowledgeCollections.contains(collection))
            }
        }
    }

    @Test("the catalog has no diagnostics at all")
    func noDiagnostics() {
        #expect(Repository.catalog.diagnostics.map(\.formatted) == [])
    }

    @Test("at least 93 agents in the platform's categories")
    func categories() {
        let catalog = Repository.catalog
        #expect(catalog.agents.count >= 93)
        let minimums = [
            "marketing": 9, "ecommerce": 13, "analytics": 8, "crm": 7, "operations": 8, "orchestration": 3,
            "content": 1, "seo": 1, "social": 1, "advertising": 1, "email": 1, "support": 1, "finance": 1, "sales": 1,
            "product": 1, "compliance": 1,
        ]
        for (category, minimum) in minimums {
            #expect(catalog.agents.count { $0.category == category } >= minimum, "\(category)")
        }
    }

    @Test("the agents the platform already names exist")
    func platformNames() {
        let ids: [AgentID] = [
            "marketing-strategist", "content-creator", "seo-specialist", "social-media-manager", "product-sourcing",
            "price-optimization", "inventory-management", "fraud-detection", "digital-presence-audit",
            "performance-analytics", "report-generator", "roi-analysis", "contact-intelligence", "lead-scoring",
            "sales-assistant", "sentiment-analysis", "lead-qualification", "client-onboarding", "project-coordination",
            "quality-assurance", "hierarchical-crew-orchestrator", "workflow-engine", "agent-coordinator",
        ]
        for id in ids { #expect(Repository.catalog.agent(id) != nil, "\(id)") }
    }

    @Test("at least 10 crews, 4 of them hierarchical, including onboarding, campaign strategy and content approval")
    func crews() {
        let crews = Repository.catalog.crews
        #expect(crews.count >= 10)
        #expect(crews.count { $0.process == .hierarchical } >= 4)
        for id: CrewID in ["client-onboarding", "campaign-strategy", "content-approval"] {
            #expect(Repository.catalog.crew(id) != nil, "\(id)")
        }
    }

    @Test("at least 5 knowledge collections, each with documents")
    func knowledge() throws {
        let collections = Repository.catalog.knowledgeCollections
        #expect(collections.count >= 5)
        for collection in collections {
            let files = try FileManager.default.contentsOfDirectory(
                atPath: Repository.knowledge.appendingPathComponent(collection).path)
            #expect(!files.isEmpty, "\(collection) is empty")
        }
    }

    @Test("backstories are the agents' own, not shared boilerplate")
    func distinctBackstories() {
        var openings: [String: AgentID] = [:]
        for agent in Repository.catalog.agents {
            let opening = agent.backstory.split(separator: " ").prefix(5).joined(separator: " ").lowercased()
            #expect(
                openings[opening] == nil, "\(agent.id) and \(openings[opening]?.rawValue ?? "") open alike: \(opening)")
            openings[opening] = agent.id
            #expect(agent.backstory.count >= 200, "\(agent.id) backstory is too short to be specific")
        }
    }

    @Test("managers of hierarchical crews declare no tools")
    func managersHaveNoTools() {
        for crew in Repository.catalog.crews {
            guard let manager = crew.manager else { continue }
            #expect(Repository.catalog.agent(manager)?.tools.isEmpty == true, "\(crew.id)")
        }
    }
}

@Suite("Published JSON Schemas")
struct PublishedSchemaTests {
    private func schema(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: Repository.agents.appendingPathComponent("schema/\(name)"))
        return try JSONParser.value([UInt8](data))
    }

    private func keys(_ value: JSONValue?) -> [String] {
        guard case .object(let object)? = value else { return [] }
        return object.keys
    }

    private func strings(_ value: JSONValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap(\.stringValue)
    }

    @Test("agent.schema.json lists exactly the fields the runtime accepts and requires")
    func agentSchema() throws {
        let schema = try schema("agent.schema.json")
        #expect(Set(keys(schema["properties"])) == Set(AgentFields.allowed))
        #expect(Set(strings(schema["required"])) == Set(AgentFields.required))
        #expect(schema["additionalProperties"] == false)
    }

    @Test("crew.schema.json lists exactly the crew, task and input fields the runtime accepts")
    func crewSchema() throws {
        let schema = try schema("crew.schema.json")
        #expect(Set(keys(schema["properties"])) == Set(CrewFields.allowed))
        #expect(Set(strings(schema["required"])) == Set(CrewFields.required))
        let task = schema["$defs"]?["task"]
        #expect(Set(keys(task?["properties"])) == Set(CrewFields.taskAllowed))
        #expect(Set(strings(task?["required"])) == Set(CrewFields.taskRequired))
        #expect(
            Set(keys(schema["properties"]?["inputs"]?["additionalProperties"]?["properties"]))
                == Set(CrewFields.inputAllowed))
    }
}
