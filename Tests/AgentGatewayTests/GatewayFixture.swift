import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Tools

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A gateway over a copy of the repository's agents, two tenants, a temporary store and a scripted model.
struct GatewayFixture {
    static let token = "service-token-for-tests"
    /// The platform-level service token: with it, `X-User-Roles` may name platform roles.
    static let platformToken = "platform-token-for-tests"
    /// The repository (for `agents/`, `knowledge/` and `openapi.json`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let directory: TemporaryDirectory
    let services: GatewayServices
    let model: ScriptedChatModel

    init(
        configuration: GatewayConfiguration = GatewayConfiguration(
            serviceToken: GatewayFixture.token, platformToken: GatewayFixture.platformToken,
            eventPollInterval: .milliseconds(20)),
        tools: [any Tool] = [], streaming: Bool = false, models: (any ModelResolver)? = nil,
        respond: (@Sendable (ChatRequest) async throws -> ChatResponse)? = nil
    ) throws {
        directory = try TemporaryDirectory()
        let root = Self.repositoryRoot
        try FileManager.default.copyItem(
            at: root.appendingPathComponent("agents"), to: directory.url.appendingPathComponent("agents"))
        // The connector definitions beside them: agents use their tools.
        try FileManager.default.copyItem(
            at: root.appendingPathComponent("connectors"), to: directory.url.appendingPathComponent("connectors"))
        let loader = CatalogLoader(
            agentsDirectory: directory.url.appendingPathComponent("agents"),
            knowledgeDirectory: root.appendingPathComponent("knowledge"), knownTools: ToolRegistry.standardIDs)
        let catalog = try loader.load()
        let tenants: [TenantID: TenantDefinition] = [
            "acme": TenantDefinition(id: "acme", name: "Acme", connectors: ["wordpress": .init()]),
            "globex": TenantDefinition(id: "globex", name: "Globex"),
        ]
        model = ScriptedChatModel(respond ?? GatewayFixture.answer)
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        var environment = EngineEnvironment(
            models: models ?? ScriptedModelResolver(model), tools: ToolRegistry(tools),
            policy: TenantToolPolicy(tenants: tenants), streaming: streaming,
            approvals: StoreApprovalGate(store: store, pollInterval: .milliseconds(20)))
        environment.usageLedger = store
        let configured = environment
        services = GatewayServices(
            configuration: configuration, catalog: CatalogHolder(catalog: catalog, loader: loader), tenants: tenants,
            environment: { _ in configured }, store: store, secrets: InMemorySecretStore())
    }

    /// Answers every task: JSON matching the schema when one is asked for, else the first line of the prompt.
    @Sendable static func answer(_ request: ChatRequest) async throws -> ChatResponse {
        let last = request.messages.last { if case .user = $0 { true } else { false } }
        guard case .user(let text)? = last else { return ScriptedChatModel.text("ok") }
        if case .jsonSchema(_, let schema) = request.responseFormat {
            return ScriptedChatModel.text(FakeModelServer.example(schema.document, root: schema.document).serialized())
        }
        return ScriptedChatModel.text("done: " + (text.components(separatedBy: "\n").first ?? ""))
    }

    var app: some ApplicationProtocol { Application(router: Gateway.router(services)) }

    /// A trusted caller's headers: the service token (the platform-level one when `roles` names a platform role)
    /// and the identity headers.
    static func headers(
        tenant: String = "acme", roles: String = "tenant_admin", token: String? = GatewayFixture.token,
        extra: HTTPFields = [:], user: String = "ada"
    ) -> HTTPFields {
        var fields = extra
        let platform = roles.contains("platform_admin") || roles.contains("super_admin")
        if let token {
            fields[.authorization] = "Bearer \(platform && token == Self.token ? Self.platformToken : token)"
        }
        fields[HTTPField.Name("X-Tenant-ID")!] = tenant
        fields[HTTPField.Name("X-User-ID")!] = user
        fields[HTTPField.Name("X-User-Roles")!] = roles
        return fields
    }

    static func json(_ response: TestResponse) throws -> JSONValue {
        try JSONParser.value(Array(response.body.readableBytesView))
    }
    static func body(_ value: JSONValue) -> ByteBuffer { ByteBuffer(string: value.serialized()) }

    /// A fixture whose model, once offered `wordpress.create_post` (a write that waits for an approval), calls it, and
    /// finishes once it has the tool's result; with the tool, to count its calls.
    static func publishing() throws -> (GatewayFixture, ClosureTool) {
        let publish = ClosureTool(ToolRegistry.standardSpecs.first { $0.id == "wordpress.create_post" }!) { _ in
            ToolResult(content: "published")
        }
        let fixture = try GatewayFixture(tools: [publish]) { request in
            let answered = request.messages.contains { if case .tool = $0 { true } else { false } }
            if !answered, request.tools.contains(where: { $0.name == "wordpress-create_post" }) {
                return ScriptedChatModel.calls([
                    ("wordpress-create_post", #"{"title": "Launch", "content": "<p>Hi</p>"}"#)
                ])
            }
            return ScriptedChatModel.text("finished")
        }
        return (fixture, publish)
    }

    static let contentApproval: JSONValue = [
        "inputs": ["topic": "pricing", "target_keyword": "pricing guide"], "wait": true,
    ]
}
