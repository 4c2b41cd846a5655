import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// What leaves a run (events, the approval request, the tool result the model reads) carries no secret a tool read,
/// in any form, and tool arguments are redacted in events as the audit log redacts them.
@Suite("Engine: redaction of events and tool results")
struct RedactionTests {
    typealias F = EngineFixtures
    static let secret = "wp app/pass+word é 42"
    static let user = "agent-editor"

    /// A connector-like tool: reads the tenant's password, sends it as HTTP Basic, and (like a service with debug
    /// output) gets the credential echoed back in every form.
    struct EchoingTool: Tool {
        let spec = ToolSpec(
            id: "blog.create_post", description: "Create a post",
            parameters: .object(["title": ["type": "string"], "password": ["type": "string"]]), access: .write,
            requiresApproval: true)

        func call(_ arguments: JSONValue, context: ToolContext) async throws -> ToolResult {
            guard
                let password = try await context.secrets?.secret(
                    "blog/app_password", scope: .tenant(context.principal.tenant))
            else {
                throw ToolError("no password")
            }
            let header = "Basic " + Data("\(RedactionTests.user):\(password)".utf8).base64EncodedString()
            return ToolResult(content: #"{"id": 7, "debug": "\#(SecretEcho.echo(authorization: header))"}"#)
        }
    }

    /// Records the approval requests it is asked, and approves them.
    final class RecordingGate: ApprovalGate, @unchecked Sendable {
        private let lock = NSLock()
        private var asked: [ApprovalRequest] = []
        var requests: [ApprovalRequest] { lock.withLock { asked } }

        func decide(_ request: ApprovalRequest) async throws -> ApprovalDecision {
            lock.withLock { asked.append(request) }
            return ApprovalDecision(approved: true, by: "reviewer")
        }
    }

    @Test("a tool's echoed credential reaches neither events nor the model; arguments are redacted in events")
    func echoedCredential() async throws {
        let model = ScriptedChatModel { request in
            request.messages.count == 2
                ? ScriptedChatModel.calls([
                    ("blog-create_post", #"{"title": "Hello", "password": "typed-by-user-123"}"#)
                ])
                : ScriptedChatModel.text("Done.")
        }
        let gate = RecordingGate()
        let environment = EngineEnvironment(
            models: ScriptedModelResolver(model), tools: ToolRegistry([EchoingTool()]),
            secrets: InMemorySecretStore([.tenant("acme"): ["blog/app_password": Self.secret]]), streaming: false,
            approvals: gate)
        let agent = F.agent("blogger", tools: ["blog.create_post"])
        let crew = CrewDefinition(
            id: "blog", name: "Blog", process: .sequential, agents: ["blogger"],
            tasks: [CrewTask(id: "post", description: "Post it", expectedOutput: "Done", agent: "blogger")])
        let sink = RecordingEventSink()
        let result = try await CrewRunner(environment: environment).run(
            crew, inputs: [:], principal: Principal(tenant: "acme", user: "u", roles: [.tenantAdmin]),
            agents: F.lookup([agent]), runID: "run-1", sink: sink)
        #expect(result.status == .succeeded)

        let forms = SecretEcho.forms(of: Self.secret, user: Self.user)
        let toolMessage = try #require(
            model.requests.last?.messages.compactMap { message -> String? in
                if case .tool(_, _, let content, _) = message { return content }
                return nil
            }.first)
        #expect(toolMessage.contains(Redactor.mask))
        let events = await sink.events
        // Everything that leaves the run: no form of the secret, and no secret-looking argument.
        let leaving = [toolMessage] + events.map { $0.json.serialized() } + gate.requests.map(\.arguments)
        for text in leaving {
            for form in forms { #expect(!text.contains(form), "\(form) in \(text.prefix(300))") }
            #expect(!text.contains("typed-by-user-123"), "a password argument in \(text.prefix(300))")
        }
        // What the model is sent next (and what a recorded exchange keeps): no form of the secret.
        for request in model.requests {
            for form in forms { #expect(!request.fingerprint.contains(form), "\(form) sent to the model") }
        }
        let started = events.compactMap { event -> String? in
            if case .toolStarted(_, _, let arguments) = event.kind { return arguments }
            return nil
        }
        let awaiting = events.compactMap { event -> String? in
            if case .awaitingApproval(_, _, _, let arguments) = event.kind { return arguments }
            return nil
        }
        #expect(started == [#"{"title":"Hello","password":"[REDACTED]"}"#])
        #expect(awaiting == [#"{"title":"Hello","password":"[REDACTED]"}"#])
        #expect(gate.requests.map(\.arguments) == [#"{"title":"Hello","password":"[REDACTED]"}"#])
    }

    /// Obtains a token itself (as an OAuth refresh does), registers it, stores another value, and echoes both.
    struct ObtainingTool: Tool {
        static let obtained = "ya29.obtained-by-refresh-0123"
        static let written = "written-secret-value-987"
        let spec = ToolSpec(id: "oauth.fetch", description: "Fetch", parameters: .object([:]), access: .read)

        func call(_ arguments: JSONValue, context: ToolContext) async throws -> ToolResult {
            await context.registerSecret(Self.obtained)
            guard let store = context.secrets as? any WritableSecretStore else { throw ToolError("read-only store") }
            try await store.setSecret(Self.written, at: "oauth/access_token", scope: .tenant(context.principal.tenant))
            return ToolResult(content: "obtained \(Self.obtained), wrote \(Self.written)")
        }
    }

    @Test(
        "a secret a tool obtained itself or wrote to a writable store is masked like one it read; a coded tool error reaches the model and the events with its code"
    )
    func obtainedSecretAndCodedError() async throws {
        let failing = ClosureTool(
            ToolSpec(id: "oauth.report", description: "Report", parameters: .object([:]), access: .read)
        ) { _ in
            throw ToolError(
                "google_analytics must be reconnected for tenant acme", code: "connector_reconnect_required")
        }
        let model = ScriptedChatModel { request in
            request.messages.count == 2
                ? ScriptedChatModel.calls([("oauth-fetch", "{}"), ("oauth-report", "{}")])
                : ScriptedChatModel.text("Done.")
        }
        let store = InMemorySecretStore()
        let environment = EngineEnvironment(
            models: ScriptedModelResolver(model), tools: ToolRegistry([ObtainingTool(), failing]), secrets: store,
            streaming: false)
        let agent = F.agent("analyst", tools: ["oauth.fetch", "oauth.report"])
        let crew = CrewDefinition(
            id: "report", name: "Report", process: .sequential, agents: ["analyst"],
            tasks: [CrewTask(id: "report", description: "Report", expectedOutput: "Done", agent: "analyst")])
        let sink = RecordingEventSink()
        _ = try await CrewRunner(environment: environment).run(
            crew, inputs: [:], principal: Principal(tenant: "acme", user: "u", roles: [.tenantAdmin]),
            agents: F.lookup([agent]), runID: "run-2", sink: sink)
        #expect(try await store.secret("oauth/access_token", scope: .tenant("acme")) == ObtainingTool.written)
        let toolMessages = try #require(
            model.requests.last?.messages.compactMap { message -> String? in
                if case .tool(_, _, let content, _) = message { return content }
                return nil
            })
        #expect(
            toolMessages == [
                "obtained \(Redactor.mask), wrote \(Redactor.mask)",
                "Error: [connector_reconnect_required] google_analytics must be reconnected for tenant acme",
            ])
        let results = await sink.events.compactMap { event -> String? in
            if case .toolFinished(_, _, _, _, let result, _) = event.kind { return result }
            return nil
        }
        #expect(Set(results) == Set(toolMessages))
    }
}
