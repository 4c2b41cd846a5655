import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// One ordered event stream per run.
@Suite("Engine: event order")
struct EventOrderTests {
    typealias F = EngineFixtures

    @Test(
        "40 tool calls at once: the sink sees events numbered 1, 2, 3, ... in order; the store holds them without gaps; deltas take no number"
    )
    func orderedUnderParallelTools() async throws {
        let slow = ClosureTool(
            ToolSpec(
                id: "web.lookup", description: "Look up",
                parameters: .object(["q": ["type": "string"]], required: ["q"]), access: .read)
        ) { arguments in
            // Finish in an order unlike the call order.
            let q = Int(arguments["q"]?.stringValue ?? "0") ?? 0
            try await Task.sleep(for: .milliseconds((40 - q) % 7))
            return ToolResult(content: "found \(q)")
        }
        let agent = F.agent("searcher", tools: ["web.lookup"])
        let crew = CrewDefinition(
            id: "search", name: "Search", process: .sequential, agents: [agent.id],
            tasks: [CrewTask(id: "find", description: "Find all", expectedOutput: "Findings", agent: agent.id)])
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.calls((0..<40).map { ("web-lookup", #"{"q": "\#($0)"}"#) }),
            ScriptedChatModel.text("All forty found, in several words of streamed text"),
        ])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRunStore(path: directory.url.appendingPathComponent("runs.sqlite").path)
        let recorded = RecordingEventSink()
        let result = try await F.runner(model, tools: [slow], streaming: true).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([agent]), runID: "ordered",
            sink: FanOutEventSink([recorded, RunStoreEventSink(store: store)]))
        #expect(result.status == .succeeded)
        let events = await recorded.events
        let numbered = events.filter { $0.kindName != "text_delta" }
        #expect(numbered.map(\.sequence) == Array(1...numbered.count), "delivered in sequence order, without gaps")
        #expect(numbered.filter { $0.kindName == "tool_finished" }.count == 40)
        let deltas = events.filter { $0.kindName == "text_delta" }
        #expect(deltas.count > 1)
        for (index, event) in events.enumerated() where event.kindName == "text_delta" {
            #expect(
                event.sequence == events[..<index].last { $0.kindName != "text_delta" }?.sequence,
                "a delta carries the number of the event before it")
        }
        let stored = try await store.events(of: "ordered", after: 0).map(\.sequence)
        #expect(stored == Array(1...numbered.count))
    }
}
