import AgentRuntime
import Foundation
import MCP

/// Sessions with tenants' MCP servers: one per tenant and server, opened on first use and shared by every run of
/// that tenant, with the server's tool list cached until the server says it changed
/// (`notifications/tools/list_changed`) or the session is opened again.
///
/// A session the server dropped (HTTP 404) is opened again and the request sent once more; a server that cannot be
/// reached loses its session, so the next request connects anew. Header secrets are read from the tenant's scope of
/// the secret store when a session is opened, and never appear in an error.
public actor MCPSessionPool {
    private struct Key: Hashable {
        var tenant: TenantID
        var server: String
    }

    private struct Session {
        var client: Client
        var generation: Int
    }

    private let http: any HTTPTransport
    private let secrets: (any SecretStore)?
    private var sessions: [Key: Task<Session, any Error>] = [:]
    private var toolLists: [Key: [MCP.Tool]] = [:]
    private var staleLists: Set<Key> = []
    private var generation = 0

    /// A pool that reaches servers through `http` (the process's guarded transport) and reads header secrets from
    /// `secrets`.
    public init(http: any HTTPTransport, secrets: (any SecretStore)?) {
        self.http = http
        self.secrets = secrets
    }

    /// The tools `server` lists for `tenant` (every page), from the cache while it is current.
    public func tools(tenant: TenantID, server: MCPServerDefinition) async throws -> [MCP.Tool] {
        let key = Key(tenant: tenant, server: server.name)
        if let cached = toolLists[key], !staleLists.contains(key) { return cached }
        let tools = try await withSession(key, server) { client in
            var tools: [MCP.Tool] = []
            var cursor: String?
            repeat {
                let page = try await client.listTools(cursor: cursor)
                tools += page.tools
                cursor = page.nextCursor
            } while cursor != nil && tools.count < 10_000
            return tools
        }
        toolLists[key] = tools
        staleLists.remove(key)
        return tools
    }

    /// The tools last listed by `server` for `tenant`, without reaching it.
    public func cachedTools(tenant: TenantID, server: String) -> [MCP.Tool]? {
        toolLists[Key(tenant: tenant, server: server)]
    }

    /// Calls `name` on `server` for `tenant`.
    public func call(
        tenant: TenantID, server: MCPServerDefinition, name: String, arguments: [String: Value]
    ) async throws -> CallTool.Result {
        try await withSession(Key(tenant: tenant, server: server.name), server) { client in
            try await client.send(CallTool.request(.init(name: name, arguments: arguments))).value
        }
    }

    /// Ends every session.
    public func shutdown() async {
        let opened = sessions.values
        sessions = [:]
        for task in opened { if let session = try? await task.value { await session.client.disconnect() } }
    }

    /// Runs `body` on the session of `key` (opened when needed) within the server's timeout; when the server dropped
    /// the session, opens a new one and runs `body` once more.
    private func withSession<Result: Sendable>(
        _ key: Key, _ server: MCPServerDefinition, _ body: @escaping @Sendable (Client) async throws -> Result
    ) async throws -> Result {
        var attempt = 0
        while true {
            attempt += 1
            let session = try await session(key, server)
            do {
                return try await Self.within(server.timeout, server: server.name) { try await body(session.client) }
            } catch {
                // The session is no good after these: the next request opens another.
                await drop(key, generation: session.generation)
                if Self.isSessionExpired(error), attempt == 1 { continue }
                throw MCPToolFailure(server: server.name, error: error)
            }
        }
    }

    private func session(_ key: Key, _ server: MCPServerDefinition) async throws -> Session {
        if let existing = sessions[key] {
            do { return try await existing.value } catch {
                if sessions[key] == existing { sessions[key] = nil }
                throw MCPToolFailure(server: server.name, error: error)
            }
        }
        generation += 1
        let opening = Task { [http, secrets, generation] in
            try await Self.open(key, server, http: http, secrets: secrets, generation: generation, pool: self)
        }
        sessions[key] = opening
        do { return try await opening.value } catch {
            if sessions[key] == opening { sessions[key] = nil }
            throw MCPToolFailure(server: server.name, error: error)
        }
    }

    private static func open(
        _ key: Key, _ server: MCPServerDefinition, http: any HTTPTransport, secrets: (any SecretStore)?,
        generation: Int, pool: MCPSessionPool
    ) async throws -> Session {
        var headers = HTTPHeaders()
        for (name, value) in server.headers.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .literal(let text): headers.set(name, text)
            case .secret(let path):
                guard let secrets else {
                    throw ToolError("no secret store is configured for the MCP server \(server.name)'s \(name) header")
                }
                guard let secret = try await secrets.secret(path, scope: .tenant(key.tenant)), !secret.isEmpty else {
                    throw ToolError(
                        "the MCP server \(server.name)'s \(name) header secret (tenants/\(key.tenant)/\(path)) is not set"
                    )
                }
                headers.set(name, secret)
            }
        }
        let client = Client(name: "agentruntime", version: "1.0")
        await client.onNotification(ToolListChangedNotification.self) { _ in
            await pool.markStale(key)
        }
        func connect(_ transport: any Transport) async throws {
            do {
                try await within(server.timeout, server: server.name) {
                    _ = try await client.connect(transport: transport)
                }
            } catch {
                await client.disconnect()
                throw error
            }
        }
        if let command = server.command {
            try await connect(try ServerProcess.start(command, environment: server.environment, server: server.name))
        } else {
            let transport = PortHTTPTransport(
                endpoint: server.url, headers: headers, http: http, timeout: server.timeout,
                maxBytes: server.maxResultBytes)
            try await connect(transport)
            await transport.listen()
        }
        await pool.markStale(key)
        return Session(client: client, generation: generation)
    }

    private func markStale(_ key: Key) { staleLists.insert(key) }

    private func drop(_ key: Key, generation: Int) async {
        guard let task = sessions[key], let session = try? await task.value, session.generation == generation else {
            return
        }
        if sessions[key] == task { sessions[key] = nil }
        await session.client.disconnect()
    }

    private static func isSessionExpired(_ error: any Error) -> Bool {
        if case MCPTransportError.sessionExpired = error { return true }
        if case MCPError.transportError(let inner) = error { return isSessionExpired(inner) }
        return false
    }

    /// `body`, or a timeout error when it takes longer than `limit`.
    static func within<Result: Sendable>(
        _ limit: Duration, server: String, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw MCPTransportError.unreachable("no answer within \(limit)")
            }
            return result
        }
    }
}

/// A request to a tenant's MCP server that failed: what the model and the operator read (never a header value).
public struct MCPToolFailure: Error, CustomStringConvertible {
    /// The server's name in the tenant file.
    public var server: String
    /// What went wrong.
    public var error: any Error

    /// `MCP server <name>: <what went wrong>`.
    public var description: String {
        if let failure = error as? MCPToolFailure { return failure.description }
        if let tool = error as? ToolError { return tool.message }
        let what: String
        switch error {
        case let transport as MCPTransportError: what = transport.description
        case MCPError.transportError(let inner): what = (inner as? MCPTransportError)?.description ?? "\(inner)"
        case let mcp as MCPError: what = mcp.errorDescription ?? "\(mcp)"
        case is CancellationError: what = "the request was cancelled"
        default: what = "\(error)"
        }
        return "MCP server \(server): \(what)"
    }

    /// Whether the server may answer a later attempt (it was down, slow or dropped the session).
    public var isTransient: Bool {
        switch error {
        case let failure as MCPToolFailure: return failure.isTransient
        case is MCPTransportError, MCPError.transportError, MCPError.connectionClosed: return true
        default: return false
        }
    }
}
