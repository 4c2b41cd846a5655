import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// Replaying a recorded run: tool calls are answered from the recording, so a recorded write is not sent again.
@Suite("Engine: replayed tool calls")
struct ReplayToolsTests {
    typealias F = EngineFixtures

    static let post = ToolSpec(
        id: "slack.post_message", description: "Post to Slack",
        parameters: .object(["text": ["type": "string"]], required: ["text"]), access: .write)
    static let lookup = ToolSpec(
        id: "web.lookup", description: "Look up", parameters: .object(["q": ["type": "string"]], required: ["q"]),
        access: .read)
    static let agent = F.agent("announcer", tools: ["web.lookup", "slack.post_message"])
    static let crew = CrewDefinition(
        id: "announce", name: "Announce", process: .sequential, agents: [agent.id],
        tasks: [CrewTask(id: "post", description: "Announce the launch", expectedOutput: "Done", agent: agent.id)])

    /// Looks something up, posts, then answers with what the post returned.
    static func model(post text: String = "We launched") -> ScriptedChatModel {
        ScriptedChatModel { request in
            let results = request.messages.compactMap { message -> String? in
                if case .tool(_, _, let content, _) = message { return content }
                return nil
            }
            switch results.count {
            case 0: return ScriptedChatModel.calls([("web-lookup", #"{"q": "launch"}"#)])
            case 1:
                return ScriptedChatModel.calls([
                    ("slack-post_message", JSONValue.object(["text": .string(text)]).serialized())
                ])
            default: return ScriptedChatModel.text("Posted: \(results[1])")
            }
        }
    }

    /// Records a run that really posted (journal and events in `store`).
    static func record(_ store: SQLiteRunStore, runID: RunID) async throws -> (ClosureTool, ClosureTool) {
        let posted = ClosureTool(post) { _ in ToolResult(content: "message ts 1712.0001") }
        let looked = ClosureTool(lookup) { _ in ToolResult(content: "launch is today") }
        let result = try await F.runner(model(), tools: [looked, posted]).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([agent]), runID: runID,
            sink: RunStoreEventSink(store: store), journal: store)
        #expect(result.status == .succeeded)
        #expect(posted.callCount == 1)
        return (looked, posted)
    }

    /// A store in a new directory holding one recorded run.
    static func recorded() async throws -> (TemporaryDirectory, SQLiteRunStore, RunID) {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        let runID = RunID("recorded")
        _ = try await record(store, runID: runID)
        return (directory, store, runID)
    }

    static func replay(
        _ store: SQLiteRunStore, of runID: RunID, model: ScriptedChatModel, tools: [any Tool], liveReads: Bool,
        fromEvents: Bool = false
    ) async throws -> (RunResult, ReplayToolLedger, [RunEvent]) {
        let ledger = ReplayToolLedger(
            journal: fromEvents ? [] : try await store.journal(of: runID),
            events: try await store.events(of: runID, after: 0), liveReads: liveReads)
        var environment = EngineEnvironment(models: ScriptedModelResolver(model), tools: ToolRegistry(tools))
        environment.toolRecording = ledger
        let sink = RecordingEventSink()
        let result = try await CrewRunner(environment: environment).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([agent]), sink: sink)
        return (result, ledger, await sink.events)
    }

    /// Tools that fail the test when called.
    static var forbidden: [any Tool] {
        [post, lookup].map { spec in
            ClosureTool(spec) { _ in
                Issue.record("\(spec.id) was called during a replay")
                return ToolResult(content: "must not run")
            }
        }
    }

    @Test(
        "by default a replay answers every tool call from the recording: the recorded Slack post is not posted again",
        arguments: [false, true])
    func recordedWrite(fromEvents: Bool) async throws {
        let (directory, store, runID) = try await Self.recorded()
        defer { directory.remove() }
        let tools = Self.forbidden
        let (result, ledger, events) = try await Self.replay(
            store, of: runID, model: Self.model(), tools: tools, liveReads: false, fromEvents: fromEvents)
        #expect(result.status == .succeeded)
        #expect(result.output == "Posted: message ts 1712.0001", "the recorded result is what the model read")
        #expect(tools.compactMap { ($0 as? ClosureTool)?.callCount }.reduce(0, +) == 0)
        #expect(await ledger.served == 2)
        #expect(await ledger.refused == 0)
        #expect(
            events.contains {
                $0.kindName == "tool_finished" && $0.payload["tool"] == "slack.post_message"
                    && $0.payload["result"] == "message ts 1712.0001"
            })
    }

    @Test("a call the recording does not have is refused, not made, and the model is told")
    func unrecordedCallRefused() async throws {
        let (directory, store, runID) = try await Self.recorded()
        defer { directory.remove() }
        let tools = Self.forbidden
        let model = Self.model(post: "We launched (edited)")
        let (result, ledger, events) = try await Self.replay(
            store, of: runID, model: model, tools: tools, liveReads: false)
        #expect(result.status == .succeeded)
        #expect(tools.compactMap { ($0 as? ClosureTool)?.callCount }.reduce(0, +) == 0)
        #expect(await ledger.refused == 1)
        #expect(events.contains { $0.kindName == "tool_denied" && $0.payload["tool"] == "slack.post_message" })
        #expect(result.output?.contains("was not called") == true)
    }

    @Test(
        "--live-tools: read tools are called live; a recorded write is still answered from the recording, an unrecorded one waits for approval"
    )
    func liveReads() async throws {
        let (directory, store, runID) = try await Self.recorded()
        defer { directory.remove() }
        let looked = ClosureTool(Self.lookup) { _ in ToolResult(content: "launch moved to Friday") }
        let posted = ClosureTool(Self.post) { _ in ToolResult(content: "posted again") }
        let (recorded, ledger, _) = try await Self.replay(
            store, of: runID, model: Self.model(), tools: [looked, posted], liveReads: true)
        #expect(recorded.status == .succeeded)
        #expect(looked.callCount == 1, "the read tool ran live")
        #expect(posted.callCount == 0, "the recorded write did not")
        #expect(await ledger.live == 1)
        #expect(await ledger.served == 1)

        // An edited post is not in the recording: it needs a human, and without an approval channel it is refused.
        let (edited, _, events) = try await Self.replay(
            store, of: runID, model: Self.model(post: "Edited"), tools: [looked, posted], liveReads: true)
        #expect(edited.status == .succeeded)
        #expect(posted.callCount == 0)
        #expect(
            events.contains {
                $0.kindName == "tool_denied" && $0.payload["reason"]?.stringValue?.contains("approval") == true
            })
    }
}
