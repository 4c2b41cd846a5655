import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

@Suite("Engine: sequential crews")
struct SequentialCrewTests {
    typealias F = EngineFixtures

    let crew = CrewDefinition(
        id: "content", name: "Content", process: .sequential, agents: ["writer", "editor"],
        inputs: [CrewInput(name: "topic"), CrewInput(name: "company", isRequired: false, defaultValue: "Acme")],
        tasks: [
            CrewTask(
                id: "outline", description: "Outline an article about {topic}", expectedOutput: "An outline",
                agent: "writer"),
            CrewTask(id: "draft", description: "Draft it for {company}", expectedOutput: "A draft", agent: "writer"),
            CrewTask(
                id: "edit", description: "Edit the draft", expectedOutput: "Edited text", agent: "editor",
                context: ["draft"]),
            CrewTask(
                id: "title", description: "Suggest a title", expectedOutput: "A title", agent: "editor", context: []),
        ])

    @Test(
        "each task sees every earlier output, or only its context, or none for []; placeholders are filled; events are in order"
    )
    func contextAndInterpolation() async throws {
        let model = ScriptedChatModel { request in
            let task = F.lastUser(request)
            let name = ["Outline", "Draft", "Edit", "Suggest"].first { task.contains("Current task: \($0)") } ?? "?"
            return ScriptedChatModel.text("\(name) done")
        }
        let sink = RecordingEventSink()
        let result = try await F.runner(model).run(
            crew, inputs: ["topic": "pricing"], principal: .local(), agents: F.lookup([F.writer, F.editor]),
            runID: "run-1", sink: sink)
        #expect(result.status == .succeeded)
        #expect(result.tasks.map(\.text) == ["Outline done", "Draft done", "Edit done", "Suggest done"])
        #expect(result.output == "Suggest done")
        let prompts = model.requests.map(F.lastUser)
        #expect(prompts[0].contains("Outline an article about pricing"))
        #expect(!prompts[0].contains("context from earlier tasks"))
        #expect(
            prompts[1].contains("Draft it for Acme")
                && prompts[1].contains("## Output of task \"outline\"\nOutline done"))
        #expect(
            prompts[2].contains("## Output of task \"draft\"") && !prompts[2].contains("## Output of task \"outline\""))
        #expect(!prompts[3].contains("## Output of task"))
        #expect(F.system(model.requests[0]).hasPrefix("You are Writer for Acme.\nAn expert in writer."))
        let kinds = await sink.kinds
        #expect(
            kinds.prefix(6) == [
                "run_started", "task_started", "prompt", "llm_request", "llm_response", "task_finished",
            ])
        #expect(kinds.last == "run_finished")
        let events = await sink.events
        #expect(events.map(\.sequence) == Array(1...events.count))
        #expect(events.allSatisfy { $0.runID == "run-1" })
        #expect(result.usage == TokenUsage(inputTokens: 40, outputTokens: 20))
        #expect(result.byAgent["writer"]?.calls == 2 && result.byAgent["editor"]?.calls == 2)
        #expect(abs(result.costUSD - (40 * 1 + 20 * 2) / 1_000_000) < 1e-12)
    }

    @Test("a missing required input is an error before any model call")
    func missingInput() async throws {
        let model = UnimplementedChatModel()
        let runner = CrewRunner(environment: EngineEnvironment(models: ScriptedModelResolver(model)))
        await #expect(throws: EngineError.missingInputs(["topic"])) {
            _ = try await runner.run(
                crew, inputs: [:], principal: .local(), agents: F.lookup([F.writer, F.editor]),
                sink: RecordingEventSink())
        }
        await #expect(throws: EngineError.unknownInputs(["tpoic"])) {
            _ = try await runner.run(
                crew, inputs: ["topic": "x", "tpoic": "y"], principal: .local(),
                agents: F.lookup([F.writer, F.editor]), sink: RecordingEventSink())
        }
        #expect(model.requests.isEmpty)
    }

    @Test(
        "async tasks whose context is ready run concurrently; outputs keep declaration order", .timeLimit(.minutes(1)))
    func asyncOrdering() async throws {
        let crew = CrewDefinition(
            id: "parallel", name: "P", process: .sequential, agents: ["writer"],
            tasks: [
                CrewTask(
                    id: "slow", description: "slow", expectedOutput: "x", agent: "writer", context: [], isAsync: true),
                CrewTask(
                    id: "fast", description: "fast", expectedOutput: "x", agent: "writer", context: [], isAsync: true),
                CrewTask(id: "merge", description: "merge", expectedOutput: "x", agent: "writer"),
            ])
        let order = CompletionOrder()
        let fastDone = AsyncStream<Void>.makeStream()
        let model = ScriptedChatModel { request in
            let task = F.lastUser(request)
            // "slow" finishes only after "fast": run one after the other, this would never end.
            if task.contains("Current task: slow") {
                var iterator = fastDone.stream.makeAsyncIterator()
                _ = await iterator.next()
            }
            let name = ["slow", "fast", "merge"].first { task.contains("Current task: \($0)") }!
            await order.add(name)
            if name == "fast" { fastDone.continuation.yield() }
            return ScriptedChatModel.text("\(name) output")
        }
        let result = try await F.runner(model).run(
            crew, inputs: [:], principal: .local(), agents: F.lookup([F.writer]), sink: RecordingEventSink())
        #expect(await order.items == ["fast", "slow", "merge"])
        #expect(result.tasks.map(\.task) == ["slow", "fast", "merge"])
        let merge = model.requests.map(F.lastUser).first { $0.contains("Current task: merge") }!
        #expect(merge.contains("slow output") && merge.contains("fast output"))
    }

    @Test("one crew definition serves 1,000 concurrent runs with independent, correct results")
    func thousandConcurrentRuns() async throws {
        let model = ScriptedChatModel { request in
            // Echo the topic found in the prompt, so every run's answer is its own.
            let prompt = F.lastUser(request)
            let topic =
                prompt.components(separatedBy: "about ").dropFirst().first?.components(separatedBy: "\n").first ?? "?"
            let earlier = prompt.components(separatedBy: "\n## Output of task").count - 1
            return ScriptedChatModel.text("[\(topic)|\(earlier)]")
        }
        let crew = CrewDefinition(
            id: "echo", name: "Echo", process: .sequential, agents: ["writer"], inputs: [CrewInput(name: "topic")],
            tasks: (1...3).map {
                CrewTask(id: TaskID("t\($0)"), description: "Write about {topic}", expectedOutput: "x", agent: "writer")
            })
        let runner = F.runner(model)
        let lookup = F.lookup([F.writer])
        let results = try await withThrowingTaskGroup(of: (Int, RunResult).self) { group in
            for index in 0..<1000 {
                group.addTask {
                    (
                        index,
                        try await runner.run(
                            crew, inputs: ["topic": .string("topic-\(index)")], principal: .local(), agents: lookup,
                            sink: RecordingEventSink())
                    )
                }
            }
            return try await group.reduce(into: [Int: RunResult]()) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 1000)
        for (index, result) in results {
            #expect(result.status == .succeeded)
            #expect(result.tasks.map(\.text) == ["[topic-\(index)|0]", "[topic-\(index)|1]", "[topic-\(index)|2]"])
        }
        #expect(Set(results.values.map(\.runID)).count == 1000)
        #expect(model.requests.count == 3000)
    }
}

actor CompletionOrder {
    var items: [String] = []
    func add(_ item: String) { items.append(item) }
}
