import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

@Suite("Engine: spans")
struct TracingTests {
    typealias F = EngineFixtures
    static let boss = HierarchicalCrewTests.boss
    static let secret = "PLANTED-INPUT-9f8e"

    private static func model() -> ScriptedChatModel {
        ScriptedChatModel { request in
            if F.system(request).hasPrefix("You are Team Lead.") {
                let results = request.messages.filter { if case .tool = $0 { true } else { false } }
                guard results.isEmpty else { return ScriptedChatModel.text("Report: 42") }
                return ScriptedChatModel.calls([
                    ("delegate_work", #"{"task": "Find the number", "context": "Q3", "coworker": "researcher"}"#)
                ])
            }
            if request.messages.count == 2 {
                return ScriptedChatModel.calls([("calculator-evaluate", #"{"expression": "6*7"}"#)])
            }
            return ScriptedChatModel.text("the number is 42")
        }
    }

    private func run(
        includeContent: Bool, parent: TraceContext?
    ) async throws -> (RunResult, [RecordingRunTracer.Span]) {
        let tracer = RecordingRunTracer()
        var environment = F.runner(Self.model(), tools: [F.calculator]).environment
        environment.tracer = tracer
        environment.traceIncludesContent = includeContent
        let crew = CrewDefinition(
            id: "h", name: "H", process: .hierarchical, agents: ["writer", "researcher"], manager: "boss",
            inputs: [CrewInput(name: "company")],
            tasks: [CrewTask(id: "report", description: "Report on {company}", expectedOutput: "A report")])
        let result = try await TraceContext.$current.withValue(parent) {
            try await CrewRunner(environment: environment).run(
                crew, inputs: ["company": .string(Self.secret)], principal: .local(),
                agents: F.lookup([Self.boss, F.writer, F.researcher]), sink: RecordingEventSink())
        }
        return (result, tracer.spans)
    }

    @Test("a hierarchical run is one span tree: run, task, manager's chats, delegation, coworker, its chats and tool")
    func tree() async throws {
        let caller = TraceContext.random()
        let (result, spans) = try await run(includeContent: false, parent: caller)
        #expect(result.status == .succeeded)
        #expect(spans.allSatisfy { $0.ended })
        #expect(Set(spans.map(\.context.traceID)) == [caller.traceID])
        func named(_ name: String) -> [RecordingRunTracer.Span] { spans.filter { $0.name == name } }
        let root = try #require(named("invoke_agent h").first)
        #expect(root.parent == caller)
        #expect(root.attributes["agentruntime.run.status"] == "succeeded")
        #expect(root.attributes["gen_ai.usage.input_tokens"] == .int(result.usage.inputTokens))
        let task = try #require(named("invoke_agent boss").first)
        #expect(task.parent == root.context)
        let delegation = try #require(named("execute_tool delegate_work").first)
        #expect(delegation.parent == task.context)
        let coworker = try #require(named("invoke_agent researcher").first)
        #expect(coworker.parent == delegation.context)
        let tool = try #require(named("execute_tool calculator.evaluate").first)
        #expect(tool.parent == coworker.context)
        #expect(tool.attributes["gen_ai.tool.call.id"] == "call_1")
        let chats = spans.filter { $0.name.hasPrefix("chat ") }
        #expect(chats.count == 4)
        #expect(chats.filter { $0.parent == task.context }.count == 2)
        #expect(chats.filter { $0.parent == coworker.context }.count == 2)
        #expect(chats.allSatisfy { $0.kind == .client && $0.attributes["gen_ai.operation.name"] == "chat" })
        #expect(chats.first?.attributes["gen_ai.response.finish_reasons"] == .strings(["tool_calls"]))
        #expect(chats.first?.attributes["agentruntime.cost_usd"] != nil)
        let text = "\(spans.map(\.attributes))"
        #expect(!text.contains(Self.secret) && !text.contains("6*7") && !text.contains("gen_ai.input.messages"))
    }

    @Test("with trace_include_content, chat spans carry the messages and tool spans their arguments and results")
    func content() async throws {
        let (_, spans) = try await run(includeContent: true, parent: nil)
        let root = try #require(spans.first { $0.name == "invoke_agent h" })
        #expect(root.parent == nil)
        let first = try #require(spans.first { $0.name.hasPrefix("chat ") })
        guard case .string(let input)? = first.attributes["gen_ai.input.messages"] else {
            Issue.record("no input messages")
            return
        }
        #expect(input.contains(Self.secret))
        let tool = try #require(spans.first { $0.name == "execute_tool calculator.evaluate" })
        #expect(tool.attributes["gen_ai.tool.call.arguments"] == .string(#"{"expression": "6*7"}"#))
        #expect(tool.attributes["gen_ai.tool.call.result"] == "42")
    }

    @Test("a run queued under a caller's traceparent keeps it: another worker claiming it runs its spans under it")
    func resumedElsewhere() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        let crew = CrewDefinition(
            id: "s", name: "S", process: .sequential, agents: ["writer"], inputs: [CrewInput(name: "company")],
            tasks: [CrewTask(id: "t", description: "Write", expectedOutput: "Text", agent: "writer")])
        let caller = TraceContext.random()
        _ = try await TraceContext.$current.withValue(caller) {
            try await RunLifecycle(store: store).submit(
                crew, inputs: ["company": "Acme"], principal: .local(), agents: F.lookup([F.writer]), claim: false)
        }
        // Another worker, in a task that has no trace context of its own.
        let worker = RunLifecycle(store: store)
        let claimed = try #require(try await worker.claim(limit: 1).first)
        #expect(claimed.definition.traceParent == caller.traceparent)
        let tracer = RecordingRunTracer()
        var environment = F.runner(ScriptedChatModel { _ in ScriptedChatModel.text("done") }).environment
        environment.tracer = tracer
        let outcome = await worker.execute(claimed.record, definition: claimed.definition, environment: environment)
        #expect((try? outcome.get())?.status == .succeeded)
        let root = try #require(tracer.spans.first { $0.name == "invoke_agent s" })
        #expect(root.parent == caller)
        #expect(tracer.spans.allSatisfy { $0.context.traceID == caller.traceID })
    }

    @Test("traceparent: parsed and written per W3C; malformed values and all-zero ids refused")
    func traceparent() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let context = TraceContext(traceparent: header)
        #expect(context?.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context?.spanID == "00f067aa0ba902b7")
        #expect(context?.isSampled == true)
        #expect(context?.traceparent == header)
        for bad in [
            "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
        ] {
            #expect(TraceContext(traceparent: bad) == nil, "\(bad)")
        }
    }

    @Test("the transport adds the current span's traceparent, keeps a request's own, and adds none outside a span")
    func transport() async throws {
        let seen = SeenHeaders()
        let server = try LoopbackHTTPServer { request in
            seen.add(request.headers["traceparent"])
            return .init(body: "{}")
        }
        defer { server.stop() }
        let transport = TraceContextTransport(base: URLSessionTransport())
        let request = HTTPRequest(method: "GET", url: server.baseURL)
        let current = TraceContext.random()
        _ = try await TraceContext.$current.withValue(current) { try await transport.send(request) }
        var own = request
        own.headers.set("traceparent", "00-11111111111111111111111111111111-2222222222222222-01")
        _ = try await TraceContext.$current.withValue(current) { try await transport.send(own) }
        _ = try await transport.send(request)
        #expect(
            seen.values == [current.traceparent, "00-11111111111111111111111111111111-2222222222222222-01", nil])
    }

    final class SeenHeaders: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String?] = []
        func add(_ value: String?) { lock.withLock { seen.append(value) } }
        var values: [String?] { lock.withLock { seen } }
    }
}
