import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// `agentctl run` end to end: real crews from agents/, a real HTTP model server on loopback, the SQLite run store.
@Suite("agentctl run end to end")
struct RunCommandTests {
    private func environment(_ server: LoopbackHTTPServer) -> [String: String] {
        [
            "OPENAI_API_KEY": "sk-e2e-key-000000000000",
            "OPENAI_BASE_URL": server.baseURL.appendingPathComponent("v1").absoluteString,
            "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GROQ_API_KEY": "", "AGENTRUNTIME_DEFAULT_MODEL": "",
        ]
    }

    private func json(_ text: String) throws -> JSONValue { try JSONParser.value(text) }

    private func run(_ arguments: [String], server: LoopbackHTTPServer) async throws -> AgentCtl.Result {
        try await AgentCtl.run(arguments, environment: environment(server))
    }

    @Test("a sequential crew runs to completion; output, events and the stored run agree")
    func sequential() async throws {
        let server = try FakeModelServer.start()
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = directory.url.appendingPathComponent("runs.sqlite").path
        let result = try await run(
            [
                "run", "content-approval", "--input", "topic=pricing pages", "--input", "target_keyword=pricing guide",
                "--model", "openai/gpt-4o-mini", "--store", store,
            ],
            server: server)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("▶ task draft · blog-writer"))
        #expect(result.stderr.contains("✓ task publish_ready"))

        let runs = try json(try await run(["runs", "list", "--json", "--store", store], server: server).stdout)
        guard case .array(let list) = runs, let first = list.first, let runID = first["run_id"]?.stringValue else {
            Issue.record("no run stored")
            return
        }
        #expect(list.count == 1)
        #expect(first["status"] == "succeeded")
        #expect(first["crew"] == "content-approval")
        #expect(first["inputs"]?["topic"] == "pricing pages")
        #expect((first["usage"]?["input_tokens"]?.doubleValue ?? 0) > 0)

        let shown = try json(try await run(["runs", "show", runID, "--json", "--store", store], server: server).stdout)
        guard case .array(let tasks)? = shown["tasks"] else {
            Issue.record("no tasks")
            return
        }
        #expect(tasks.compactMap { $0["task"]?.stringValue } == ["draft", "edit", "compliance_check", "publish_ready"])
        #expect(
            result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == tasks.last?["output"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines))

        let events = try await run(["runs", "events", runID, "--json", "--store", store], server: server).stdout
            .split(separator: "\n").map { try json(String($0)) }
        let kinds = events.compactMap { $0["kind"]?.stringValue }
        #expect(kinds.first == "run_started")
        #expect(kinds.last == "run_finished")
        #expect(kinds.filter { $0 == "task_started" }.count == 4)
        #expect(kinds.filter { $0 == "task_finished" }.count == 4)
        // Strictly increasing; streamed text deltas are numbered too but not stored (the outputs carry the text).
        let sequences = events.compactMap { $0["sequence"]?.doubleValue }.map { Int($0) }
        #expect(sequences.first == 1 && zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 })
        #expect(server.requestCount == kinds.filter { $0 == "llm_request" }.count)

        let other = try await run(["runs", "show", runID, "--tenant", "globex", "--store", store], server: server)
        #expect(other.status == 2, "another tenant does not see the run")
    }

    @Test("a hierarchical crew: the manager delegates to coworkers over real HTTP; delegations are recorded")
    func hierarchical() async throws {
        let server = try FakeModelServer.start()
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = directory.url.appendingPathComponent("runs.sqlite").path
        let result = try await run(
            [
                "run", "client-onboarding", "--json", "--model", "openai/gpt-4o-mini", "--store", store,
                "--input", "client_name=Acme", "--input", "website_url=https://acme.test", "--input", "industry=retail",
                "--input", "primary_goal=more qualified leads", "--input", "kickoff_date=2026-12-01",
            ],
            server: server)
        #expect(result.status == 0, "\(result.stderr)")
        let output = try json(result.stdout)
        #expect(output["status"] == "succeeded")
        guard case .array(let tasks)? = output["tasks"], let runID = output["run_id"]?.stringValue else {
            Issue.record("no tasks")
            return
        }
        #expect(tasks.allSatisfy { $0["agent"] == "hierarchical-crew-orchestrator" })
        #expect(output["by_agent"]?["hierarchical-crew-orchestrator"] != nil)
        let events = try await run(["runs", "events", runID, "--json", "--store", store], server: server).stdout
            .split(separator: "\n").map { try json(String($0)) }
        let delegations = events.filter { $0["kind"] == "delegation_started" }
        #expect(delegations.count == tasks.count)
        #expect(
            delegations.allSatisfy {
                $0["agent_path"]?.stringValue?.hasPrefix("hierarchical-crew-orchestrator > ") == true
            })
    }

    @Test("--dry-run calls no model and prints every task's prompt and tools")
    func dryRun() async throws {
        let server = try FakeModelServer.start()
        defer { server.stop() }
        let result = try await run(
            [
                "run", "content-approval", "--dry-run", "--input", "topic=pricing", "--input",
                "target_keyword=pricing guide",
            ], server: server)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.requestCount == 0)
        #expect(result.stdout.contains("=== task 1: draft · agent blog-writer"))
        #expect(result.stdout.contains("Current task: "))
        #expect(result.stdout.contains("<output of task \"draft\">"))
    }

    @Test("missing inputs exit 1 before any model call; an unknown crew exits 2 with a suggestion")
    func errors() async throws {
        let server = try FakeModelServer.start()
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = try await run(
            [
                "run", "content-approval", "--input", "topic=x", "--model", "openai/gpt-4o-mini", "--store",
                directory.url.appendingPathComponent("unused.sqlite").path,
            ], server: server)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("missing required input: target_keyword"))
        #expect(server.requestCount == 0)
        let unknown = try await run(["run", "content-aproval"], server: server)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("did you mean \"content-approval\"?"))
    }

    @Test("invoke runs one agent on one prompt")
    func invoke() async throws {
        let server = try FakeModelServer.start()
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await run(
            [
                "invoke", "seo-specialist", "Suggest three blog topics", "--model", "openai/gpt-4o-mini", "--store",
                directory.url.appendingPathComponent("r.sqlite").path,
            ], server: server)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("answer: Suggest three blog topics"))
    }

    @Test(
        "replay reproduces a recorded run exactly without calling the model, and re-asks only the task whose agent changed"
    )
    func replay() async throws {
        let server = try FakeModelServer.start()
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = directory.url.appendingPathComponent("runs.sqlite").path
        let common = ["--model", "openai/gpt-4o-mini", "--store", store]
        let recorded = try await run(
            [
                "run", "content-approval", "--json", "--input", "topic=pricing", "--input",
                "target_keyword=pricing guide",
            ] + common, server: server)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let runID = try #require(try json(recorded.stdout)["run_id"]?.stringValue)
        let callsForRun = server.requestCount

        let same = try await run(["replay", runID, "--json"] + common, server: server)
        #expect(same.status == 0, "\(same.stderr)")
        let unchanged = try json(same.stdout)
        #expect(unchanged["live_calls"] == 0)
        #expect(unchanged["served_from_recording"] == .int(callsForRun))
        #expect(server.requestCount == callsForRun, "nothing was asked again")
        guard case .array(let tasks)? = unchanged["tasks"] else {
            Issue.record("no tasks")
            return
        }
        #expect(tasks.count == 4 && tasks.allSatisfy { $0["changed"] == false })

        // The copy editor gets a new backstory; the fake model's answers depend on role and task, so only its own call changes.
        let original = try String(
            contentsOfFile: AgentCtl.root.appendingPathComponent("agents/content/copy-editor.json").path,
            encoding: .utf8)
        guard case .object(var definition) = try JSONParser.value(original) else {
            Issue.record("not an object")
            return
        }
        definition["backstory"] = "A brand new backstory for the replay test, with different wording."
        let edited = try directory.write(
            "edited/content/copy-editor.json", JSONValue.object(definition).serialized(pretty: true))
        let changed = try await run(["replay", runID, "--json", "--agent-file", edited.path] + common, server: server)
        #expect(changed.status == 0, "\(changed.stderr)")
        let report = try json(changed.stdout)
        #expect(report["live_calls"] == 1)
        #expect(report["served_from_recording"] == .int(callsForRun - 1))
        #expect(server.requestCount == callsForRun + 1)
        let asked = try #require(try JSONParser.value(server.lastBody)["messages"]?[0]?["content"]?.stringValue)
        #expect(asked.contains("A brand new backstory"))

        let bad = try directory.write("bad/content/copy-editor.json", "{\"id\": \"copy-editor\"}")
        let rejected = try await run(["replay", runID, "--agent-file", bad.path] + common, server: server)
        #expect(rejected.status == 1)
        #expect(rejected.stderr.contains("missing required field"))
    }
}

extension JSONValue {
    fileprivate subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, index < items.count { return items[index] }
        return nil
    }
}
