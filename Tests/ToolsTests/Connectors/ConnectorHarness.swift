import AgentRuntime
import AgentRuntimeTesting
import Foundation
import NIOTransport
import Testing
import Tools

/// A connector under test: a loopback server playing the service, tenant
/// settings pointing at it, and the tenant's secrets in an in-memory store.
struct ConnectorHarness {
    let server: LoopbackHTTPServer
    let client: ConnectorClient
    let context: ToolContext
    let log: RecordedRequests

    /// The egress policy of connector tests: the loopback servers playing the services are allowed, over plain http.
    static let loopback = try! EgressPolicy(allowing: ["127.0.0.1"], requireHTTPS: false)

    /// Starts a server answering with `respond`; `settings` and `secrets` (name → value) are the tenant `acme`'s, with
    /// a `base_url` of the server's root followed by `basePath` (a proxy's prefix); requests go out under `egress`.
    init(
        connector: String, settings: [String: String] = [:], secrets: [String: String], basePath: String = "",
        egress: EgressPolicy = ConnectorHarness.loopback,
        respond: @escaping @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response
    ) throws {
        let log = RecordedRequests()
        server = try LoopbackHTTPServer { request in
            log.append(request)
            return respond(request)
        }
        var all = settings
        all["base_url"] = server.baseURL.absoluteString + basePath
        let tenant = Self.tenant(connector: connector, settings: all, secrets: secrets)
        // The connectors run over the NIO transport behind the egress guard, as `agentctl` and `serve` run them.
        client = ConnectorClient(
            transport: RedirectingTransport.guarded(try AsyncHTTPClientTransport(environment: [:]), egress: egress),
            settings: tenant.settings, maxRateLimitWait: .seconds(2))
        context = tenant.context
        self.log = log
    }

    /// The tenant `acme` with `connector` configured by `settings` and `secrets` (name → value, kept in memory), and
    /// the context of a call for that tenant.
    static func tenant(
        connector: String, settings: [String: String], secrets: [String: String]
    ) -> (settings: StaticConnectorSettings, context: ToolContext) {
        let configuration = ConnectorSettings(
            connector: connector, settings: settings,
            secrets: Dictionary(uniqueKeysWithValues: secrets.keys.map { ($0, "\(connector)/\($0)") }))
        let store = InMemorySecretStore([
            .tenant("acme"): Dictionary(uniqueKeysWithValues: secrets.map { ("\(connector)/\($0.key)", $0.value) })
        ])
        let context = ToolContext(
            runID: "run", agent: "agent", principal: Principal(tenant: "acme", user: "u", roles: [.tenantAdmin]),
            secrets: store)
        return (StaticConnectorSettings(["acme": [configuration]]), context)
    }

    /// A client over `transport` (no server) with `connector`'s `settings` and `secrets` (name → value) as the tenant
    /// `acme`'s, and the context of a call for that tenant.
    static func replay(
        connector: String, settings: [String: String] = [:], secrets: [String: String], transport: ReplayTransport
    ) -> (client: ConnectorClient, context: ToolContext) {
        let tenant = tenant(connector: connector, settings: settings, secrets: secrets)
        return (ConnectorClient(transport: transport, settings: tenant.settings), tenant.context)
    }

    /// The operation with `id` from `operations`, calling through this harness's client.
    func tool(_ id: ToolID, in operations: [ConnectorOperation]) -> any Tool { operations.tool(id, client) }

    func stop() { server.stop() }
}

extension [ConnectorOperation] {
    /// The operation with `id` as a tool calling through `client`.
    func tool(_ id: ToolID, _ client: ConnectorClient) -> any Tool { first { $0.spec.id == id }!.tool(client) }
}

/// Requests a handler has seen.
final class RecordedRequests: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [LoopbackHTTPServer.Request] = []
    var all: [LoopbackHTTPServer.Request] { lock.withLock { items } }
    var last: LoopbackHTTPServer.Request? { all.last }
    func append(_ request: LoopbackHTTPServer.Request) { lock.withLock { items.append(request) } }
}

/// A handler that answers the first call with 429 + Retry-After, then with `then`.
final class RateLimitOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var hit = false
    func respond(
        _ headers: HTTPHeaders = ["Retry-After": "1", "Content-Type": "application/json"],
        body: String = #"{"message":"rate limited"}"#, then: () -> LoopbackHTTPServer.Response
    ) -> LoopbackHTTPServer.Response {
        let first = lock.withLock { () -> Bool in
            defer { hit = true }
            return !hit
        }
        return first ? .init(status: 429, headers: headers, body: body) : then()
    }
}
