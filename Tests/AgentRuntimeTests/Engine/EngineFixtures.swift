import AgentRuntime
import AgentRuntimeTesting
import Foundation

enum EngineFixtures {
    static func agent(
        _ id: String, role: String? = nil, tools: [ToolID] = [], maxIterations: Int = 10
    ) -> AgentDefinition {
        AgentDefinition(
            id: AgentID(id), name: id.capitalized, category: "test", role: role ?? "\(id.capitalized) specialist",
            goal: "Do \(id) work", backstory: "An expert in \(id).", tools: tools, maxIterations: maxIterations)
    }

    static let writer = agent("writer", role: "Writer for {company}")
    static let editor = agent("editor")
    static let researcher = agent("researcher", tools: ["calculator.evaluate", "web.lookup"])

    static func lookup(_ agents: [AgentDefinition]) -> @Sendable (AgentID) -> AgentDefinition? {
        let byID = Dictionary(uniqueKeysWithValues: agents.map { ($0.id, $0) })
        return { byID[$0] }
    }

    /// A crew of one agent with one task.
    static func solo(_ agent: AgentDefinition) -> CrewDefinition {
        CrewDefinition(
            id: "solo", name: "Solo", process: .sequential, agents: [agent.id],
            tasks: [CrewTask(id: "work", description: "Compute", expectedOutput: "A number", agent: agent.id)])
    }

    static let calculator = ClosureTool(
        ToolSpec(
            id: "calculator.evaluate", description: "Arithmetic",
            parameters: .object(["expression": ["type": "string"]], required: ["expression"]), access: .read)
    ) { arguments in
        guard arguments["expression"]?.stringValue == "6*7" else { throw ToolError("cannot evaluate that") }
        return ToolResult(content: "42")
    }

    static func runner(
        _ model: ScriptedChatModel, tools: [any Tool] = [], limits: RunLimits = RunLimits(), streaming: Bool = false,
        time: TimeSource = .system
    ) -> CrewRunner {
        var environment = EngineEnvironment(
            models: ScriptedModelResolver(model), tools: ToolRegistry(tools), limits: limits, streaming: streaming)
        environment.time = time
        return CrewRunner(environment: environment)
    }

    /// The text of the last user message of a request.
    static func lastUser(_ request: ChatRequest) -> String {
        for message in request.messages.reversed() { if case .user(let text) = message { return text } }
        return ""
    }

    static func system(_ request: ChatRequest) -> String {
        if case .system(let text)? = request.messages.first { return text }
        return ""
    }
}
