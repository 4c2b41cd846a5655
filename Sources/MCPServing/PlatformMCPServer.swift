import AgentGateway
import AgentRuntime
import Agents
import Foundation
import MCP
import MCPTools

/// The platform as an MCP server for one caller: a tool per crew it may run (`crew_<id>`), `agent_invoke`, and its
/// agent and crew definitions as read-only resources. Every call is an ordinary stored run, started through the
/// gateway's run path (``GatewayServices/startRun(_:inputs:principal:observers:)``): queued under the tenant's limit,
/// audited, budgeted and listed with the tenant's runs. A call that carries a progress token gets a progress
/// notification for each task start and finish; a `notifications/cancelled` for it cancels the run.
///
/// Tool names use only `A-Z a-z 0-9 _ -`: the MCP specification also allows `.`, but clients hand tool names to
/// model APIs (OpenAI, Anthropic, Gemini) that accept only `^[a-zA-Z0-9_-]{1,64}$`.
public struct PlatformMCPServer: Sendable {
    /// The platform's services (catalog, tenants, runs).
    public let services: GatewayServices
    /// Who calls: its tenant decides what is listed, and runs are started for it.
    public let principal: Principal
    /// The HTTP endpoint's open request streams (progress travels on its call's own stream); nil over stdio.
    let requestStreams: RequestStreams?

    /// The server's name in `initialize`.
    public static let name = "agentruntime"
    /// The server's version in `initialize`.
    public static let version = "1.0.0"

    /// Creates the server of `principal`.
    public init(services: GatewayServices, principal: Principal) {
        self.init(services: services, principal: principal, requestStreams: nil)
    }

    /// Creates the server of `principal` behind the HTTP endpoint's `requestStreams`.
    init(services: GatewayServices, principal: Principal, requestStreams: RequestStreams?) {
        self.services = services
        self.principal = principal
        self.requestStreams = requestStreams
    }

    /// An MCP server with this caller's tools and resources, ready to start on a transport.
    public func makeServer() async -> Server {
        let server = Server(
            name: Self.name, version: Self.version, title: "AgentRuntime",
            instructions:
                "Each crew_<id> tool runs one of the platform's crews and returns its final answer; agent_invoke asks one agent. Resources describe the agents and crews.",
            capabilities: .init(
                resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false)))
        let handlers = self
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: await handlers.tools()) }
        await server.withMethodHandler(CallTool.self) { [weak server] parameters in
            try await handlers.call(parameters, server: server)
        }
        await server.withMethodHandler(ListResources.self) { _ in
            ListResources.Result(resources: await handlers.resources())
        }
        await server.withMethodHandler(ReadResource.self) { parameters in
            try await handlers.read(parameters.uri)
        }
        return server
    }

    /// Serves this caller over standard input and output until the client closes its end.
    public func serveStandardIO() async throws {
        let server = await makeServer()
        try await server.start(transport: FileDescriptorTransport())
        await server.waitUntilCompleted()
        await server.stop()
    }

    // MARK: Tools

    /// The name of `agent_invoke`.
    public static let invokeToolName = "agent_invoke"

    /// The tools this caller may call: one per crew it may run, then `agent_invoke` when any agent is enabled.
    func tools() async -> [MCP.Tool] {
        var tools = await services.crews(visibleTo: principal).map(CrewTool.tool)
        let agents = await services.agents(visibleTo: principal)
        if !agents.isEmpty {
            tools.append(
                MCP.Tool(
                    name: Self.invokeToolName, title: "Ask one agent",
                    description:
                        "Ask one of the platform's agents to do one thing (a one-task run); returns its answer.",
                    inputSchema: [
                        "type": "object",
                        "properties": [
                            "agent": [
                                "type": "string", "description": "The agent id.",
                                "enum": .array(agents.map { .string($0.id.rawValue) }),
                            ],
                            "prompt": ["type": "string", "description": "What the agent should do."],
                        ],
                        "required": ["agent", "prompt"], "additionalProperties": false,
                    ],
                    annotations: .init(readOnlyHint: false, destructiveHint: false, openWorldHint: true)))
        }
        return tools
    }

    private func call(_ parameters: CallTool.Parameters, server: Server?) async throws -> CallTool.Result {
        let arguments = parameters.arguments ?? [:]
        let crew: CrewDefinition
        let inputs: [String: JSONValue]
        if parameters.name == Self.invokeToolName {
            guard let id = arguments["agent"]?.stringValue,
                let agent = await services.agents(visibleTo: principal).first(where: { $0.id.rawValue == id })
            else {
                return .failure("no agent \"\(arguments["agent"]?.stringValue ?? "")\"; agent must be one of the enum")
            }
            guard let prompt = arguments["prompt"]?.stringValue,
                !prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            else { return .failure("prompt is required (a non-empty string)") }
            crew = CrewRunner.invocation(of: agent, prompt: prompt)
            inputs = [:]
        } else {
            guard
                let found = await services.crews(visibleTo: principal).first(where: {
                    CrewTool.name($0) == parameters.name
                })
            else { throw MCPError.invalidParams("Unknown tool: \(parameters.name)") }
            crew = found
            inputs = arguments.mapValues { JSONValue($0) }
        }
        var observers: [any EventSink] = []
        if let token = parameters._meta?.progressToken, let server {
            let streams = requestStreams
            let key = Server.currentHandlerContext?.httpContext?.header(RequestStreams.header)
            observers.append(
                ProgressReporter(token: token, tasks: crew.tasks.count) {
                    [weak server] (message: MCP.Message<ProgressNotification>) in
                    if let streams, let key, await streams.send(message, on: key) { return }
                    try? await server?.notify(message)
                })
        }
        let run: StartedRun
        do {
            run = try await services.startRun(crew, inputs: inputs, principal: principal, observers: observers)
        } catch let error as GatewayError {
            return .failure(error.message)
        }
        let services = self.services
        let ending = try await withTaskCancellationHandler {
            try await services.ending(of: run)
        } onCancel: {
            Task { try? await services.cancelRun(run.runID, tenant: run.tenant) }
        }
        try Task.checkCancellation()
        return CrewTool.result(ending, structured: crew.tasks.last?.outputSchema != nil)
    }

    // MARK: Resources

    /// The definitions this caller may read: its tenant's agents, and the crews made of them.
    func resources() async -> [Resource] {
        let agents = await services.agents(visibleTo: principal).map { agent in
            Resource(
                name: "agent \(agent.id)", uri: DefinitionURI.uri(of: agent.id), title: agent.name,
                description: agent.goal, mimeType: "application/json")
        }
        let crews = await services.crews(visibleTo: principal).map { crew in
            Resource(
                name: "crew \(crew.id)", uri: DefinitionURI.uri(of: crew.id), title: crew.name,
                description: crew.description, mimeType: "application/json")
        }
        return agents + crews
    }

    private func read(_ uri: String) async throws -> ReadResource.Result {
        let document: JSONValue?
        switch DefinitionURI(uri) {
        case .agent(let id):
            document = await services.agents(visibleTo: principal).first { $0.id.rawValue == id }.map(
                DefinitionJSON.agent)
        case .crew(let id):
            document = await services.crews(visibleTo: principal).first { $0.id.rawValue == id }.map(
                DefinitionJSON.crew)
        case nil: document = nil
        }
        guard let document else { throw MCPError.serverError(code: -32002, message: "Resource not found: \(uri)") }
        return ReadResource.Result(
            contents: [
                .text(document.serialized(pretty: true, sortedKeys: true), uri: uri, mimeType: "application/json")
            ])
    }
}

extension CallTool.Result {
    /// A tool error the calling model can read (`isError`), not a protocol error.
    static func failure(_ message: String) -> Self {
        CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
    }
}
