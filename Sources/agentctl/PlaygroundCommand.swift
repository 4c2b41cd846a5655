import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Tools

/// `agentctl playground`: chat with one agent as it runs for a tenant and role, tune it live, save it back.
struct PlaygroundCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "playground",
        abstract: "Chat with an agent, tune its definition live, and save it back to its file.",
        discussion:
            "Type /help for the commands. Lines are edited with the arrow keys on a terminal (history in ~/.agentruntime/playground_history; Tab completes commands, agent ids and tool ids); piped input is read line by line. Ctrl-C cancels the answer in progress, not the session."
    )

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var engine: EngineOptions
    @Argument(help: "The agent to start with.") var agentID: String?
    @Option(name: .long, help: "The history file (default ~/.agentruntime/playground_history).") var historyFile:
        String?

    func run() async throws {
        let session = try await PlaygroundSession(command: self)
        try await session.loop()
    }
}

/// One playground session: the agent being tuned (a working copy of its definition), the conversation, and the transcript.
final class PlaygroundSession {
    private let command: PlaygroundCommand
    private var catalog: Catalog
    private let tenants: TenantCatalog
    private let store: any PlatformStore
    private let runID = RunID("playground-" + UUID().uuidString.lowercased())
    private var environment: EngineEnvironment
    private var agent: AgentDefinition?
    private var working: AgentDefinition?
    private var history: [Message] = []
    private var turns: [(prompt: String, answer: String, usage: TokenUsage, cost: Double, latency: Duration)] = []
    private var transcript: [String] = []
    private let editor: LineEditor
    private let current = InFlight()

    init(command: PlaygroundCommand) async throws {
        self.command = command
        catalog = try command.catalog.loadCatalogForReading()
        tenants = command.catalog.loadTenants()
        store = try await command.engine.openStore(runtime: command.runtime)
        environment = try await command.engine.environment(
            runtime: command.runtime, catalog: command.catalog, tenants: tenants, store: store, streaming: true)
        let store = self.store
        let runID = self.runID
        environment.models = RecordingModelResolver(base: environment.models) { reference, request, response in
            try? await store.appendExchange(runID, model: reference.description, request: request, response: response)
        }
        let historyPath =
            command.historyFile.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(
                ".agentruntime/playground_history")
        let tenant = tenants.tenants[command.engine.principal.tenant]
        let agentIDs = catalog.agents.filter { tenant?.allows($0) ?? true }.map(\.id.rawValue)
        editor = LineEditor(historyFile: historyPath) { before, word in
            Self.completions(before: before, word: word, agentIDs: agentIDs)
        }
        try await store.insert(
            RunRecord(
                id: runID, tenant: command.engine.principal.tenant, user: command.engine.principal.user,
                crew: "playground", status: .running, inputs: [:]))
        if let id = command.agentID { try select(id) }
    }

    // MARK: Loop

    func loop() async throws {
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let current = self.current
        interrupt.setEventHandler { current.cancel() }
        interrupt.resume()
        defer { interrupt.cancel() }
        say(
            agent == nil
                ? "No agent selected: /agents lists them, /agent ID picks one. /help for commands."
                : "Tenant \(command.engine.tenant), role \(command.engine.role). /help for commands.")
        while true {
            let prompt = "\(working?.id.rawValue ?? "playground")> "
            switch editor.readLine(prompt: prompt) {
            case .endOfFile:
                try await finish()
                return
            case .interrupted:
                continue
            case .line(let raw):
                let line = raw.trimmingCharacters(in: .whitespaces)
                guard !line.isEmpty else { continue }
                editor.addHistory(line)
                if line.hasPrefix("/") {
                    if try await handle(line) == false {
                        try await finish()
                        return
                    }
                } else {
                    await turn(line)
                }
            }
        }
    }

    private func finish() async throws {
        if var record = try await store.run(runID, tenant: nil) {
            record.status = .succeeded
            record.finishedAt = Date()
            try await store.update(record)
        }
    }

    private func say(_ text: String) { Console.print(text) }
    private func fail(_ text: String) { Console.print("error: \(text)") }

    // MARK: Commands

    static let help = """
        /help                         this list
        /agents [category]            list agents
        /agent ID                     switch agent (clears the conversation and unsaved edits)
        /show                         the working definition
        /prompt                       the exact system prompt and tool list that would be sent
        /tools                        effective tools, and why the others are hidden
        /set FIELD VALUE              edit for the next turn: temperature, model, goal, role, backstory, max_iterations, tools (comma-separated)
        /diff                         edits against the file
        /save                         validate, then write the file (only edited fields change)
        /revert                       drop edits
        /reset                        clear the conversation
        /history                      the conversation so far
        /compare FIELD VALUE_A VALUE_B  answer the last prompt twice, side by side, with usage
        /crew CREW_ID key=value …     run a crew with live progress
        /export FILE                  the transcript as Markdown
        /quit                         leave
        """

    /// The command names, as `/help` lists them.
    static let commands = help.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }

    /// The fields `/set` can edit.
    static let settableFields = ["temperature", "model", "goal", "role", "backstory", "max_iterations", "tools"]

    /// Tab completion: a command name as the first word, then an agent id after `/agent`, a field after `/set`,
    /// and tool ids (each of a comma-separated list) after `/set tools`.
    static func completions(before: String, word: String, agentIDs: [String]) -> [String] {
        switch before.split(separator: " ") {
        case []: return commands
        case ["/agent"]: return agentIDs
        case ["/set"]: return settableFields
        case ["/set", "tools"]:
            let listed = word.lastIndex(of: ",").map { String(word[...$0]) } ?? ""
            return ToolRegistry.standardIDs.map { listed + $0.rawValue }
        default: return []
        }
    }

    /// Runs a command; false means quit.
    private func handle(_ line: String) async throws -> Bool {
        let parts = Self.split(line)
        let name = parts.first ?? ""
        let arguments = Array(parts.dropFirst())
        switch name {
        case "/help": say(Self.help)
        case "/quit", "/exit": return false
        case "/agents":
            let agents = catalog.agents.filter { arguments.isEmpty || $0.category == arguments[0] }
            if agents.isEmpty { fail("no agents\(arguments.isEmpty ? "" : " in category \"\(arguments[0])\"")") }
            say(agents.map { "\($0.id)  \($0.category)  \($0.name)" }.joined(separator: "\n"))
        case "/agent":
            guard arguments.count == 1 else {
                fail("usage: /agent ID")
                break
            }
            do { try select(arguments[0]) } catch { fail("\(error)") }
        case "/show":
            guard let working else {
                fail("no agent selected")
                break
            }
            say(DefinitionJSON.agent(working).serialized(pretty: true))
        case "/prompt":
            guard let working else {
                fail("no agent selected")
                break
            }
            let (system, tools) = await CrewRunner(environment: environment).chatPrompt(
                for: working, principal: command.engine.principal)
            say(
                "--- system\n\(system)\n--- tools: \(tools.isEmpty ? "(none)" : tools.joined(separator: ", "))\n--- model: \(command.engine.model ?? working.model?.description ?? "(default)") · temperature \(working.temperature) · max_iterations \(working.maxIterations)"
            )
        case "/tools":
            guard let working else {
                fail("no agent selected")
                break
            }
            let report = await CrewRunner(environment: environment).toolReport(
                for: working, principal: command.engine.principal)
            if report.isEmpty { say("(the agent names no tools)") }
            say(
                report.map { "\($0.tool)  \($0.hiddenBecause.map { "hidden: \($0)" } ?? "offered")" }.joined(
                    separator: "\n"))
        case "/set":
            guard arguments.count >= 2 else {
                fail("usage: /set FIELD VALUE")
                break
            }
            do {
                working = try set(arguments[0], arguments.dropFirst().joined(separator: " "))
                say("\(arguments[0]) set for the next turn (/diff to review, /save to keep)")
            } catch { fail("\(error)") }
        case "/diff":
            guard let agent, let working else {
                fail("no agent selected")
                break
            }
            let (path, text) = try file(of: agent)
            let edited = try editedText(text, from: agent, to: working)
            let diff = LineDiff.lines(text, edited).filter { !$0.hasPrefix("  ") }
            say(diff.isEmpty ? "no changes" : "--- \(path)\n+++ \(path) (edited)\n" + diff.joined(separator: "\n"))
        case "/save":
            guard let agent, let working else {
                fail("no agent selected")
                break
            }
            do { try await save(agent, working) } catch { fail("\(error)") }
        case "/revert":
            guard let agent else {
                fail("no agent selected")
                break
            }
            working = agent
            say("edits dropped")
        case "/reset":
            history = []
            turns = []
            say("conversation cleared")
        case "/history":
            say(
                turns.isEmpty
                    ? "(no turns yet)"
                    : turns.enumerated().map {
                        "\($0.offset + 1). you: \($0.element.prompt)\n   \(working?.id.rawValue ?? "agent"): \($0.element.answer)"
                    }.joined(separator: "\n"))
        case "/compare":
            guard arguments.count >= 3 else {
                fail("usage: /compare FIELD VALUE_A VALUE_B")
                break
            }
            await compare(arguments[0], arguments[1], arguments[2])
        case "/crew":
            guard let crewID = arguments.first else {
                fail("usage: /crew CREW_ID key=value …")
                break
            }
            await runCrew(crewID, Array(arguments.dropFirst()))
        case "/export":
            guard arguments.count == 1 else {
                fail("usage: /export FILE")
                break
            }
            do {
                try markdown().write(toFile: arguments[0], atomically: true, encoding: .utf8)
                say("transcript written to \(arguments[0])")
            } catch { fail("cannot write \(arguments[0]): \(error.localizedDescription)") }
        default:
            fail("unknown command \(name) (/help lists them)")
        }
        return true
    }

    /// Splits on spaces, keeping "quoted phrases" together.
    static func split(_ line: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var quote: Character?
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                quoted = true
            } else if character == " " {
                if !current.isEmpty || quoted { parts.append(current) }
                current = ""
                quoted = false
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty || quoted { parts.append(current) }
        return parts
    }

    private func select(_ id: String) throws {
        guard let found = catalog.agent(AgentID(id)) else {
            let hint = catalog.suggestAgent(for: id).map { "; did you mean \"\($0)\"?" } ?? ""
            throw PlaygroundError("unknown agent \"\(id)\"\(hint)")
        }
        if let tenant = tenants.tenants[command.engine.principal.tenant], !tenant.allows(found) {
            throw PlaygroundError("agent \(id) is not enabled for tenant \(tenant.id)")
        }
        agent = found
        working = found
        history = []
        turns = []
        say("now chatting with \(found.name) (\(found.id))")
    }

    /// The working copy with one field changed, validated like the agent file would be.
    private func set(_ field: String, _ value: String) throws -> AgentDefinition {
        guard var copy = working else { throw PlaygroundError("no agent selected") }
        switch field {
        case "temperature":
            guard let number = Double(value), AgentDefinition.temperatureRange.contains(number) else {
                throw PlaygroundError("temperature must be a number from 0 to 2, found \"\(value)\"")
            }
            copy.temperature = number
        case "model":
            guard let reference = ModelReference(parsing: value) else {
                throw PlaygroundError("model must be provider/model (e.g. openai/gpt-4o-mini), found \"\(value)\"")
            }
            copy.model = reference
        case "max_iterations":
            guard let number = Int(value), AgentDefinition.maxIterationsRange.contains(number) else {
                throw PlaygroundError("max_iterations must be a whole number from 1 to 50, found \"\(value)\"")
            }
            copy.maxIterations = number
        case "goal", "role", "backstory":
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw PlaygroundError("\(field) must not be empty")
            }
            if field == "goal" {
                copy.goal = value
            } else if field == "role" {
                copy.role = value
            } else {
                copy.backstory = value
            }
        case "tools":
            let ids = value.split(separator: ",").map { ToolID($0.trimmingCharacters(in: .whitespaces)) }.filter {
                !$0.rawValue.isEmpty
            }
            for id in ids where !ToolRegistry.standardIDs.contains(id) {
                let hint = NameSuggestionHint.closest(id.rawValue, in: ToolRegistry.standardIDs.map(\.rawValue))
                throw PlaygroundError("unknown tool \"\(id)\"\(hint)")
            }
            copy.tools = ids
        default:
            throw PlaygroundError("cannot set \"\(field)\" (settable: \(Self.settableFields.joined(separator: ", ")))")
        }
        return copy
    }

    private func file(of agent: AgentDefinition) throws -> (path: String, text: String) {
        guard let path = catalog.agentFiles[agent.id] else {
            throw PlaygroundError("the file of \(agent.id) is unknown")
        }
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return (url.path, try String(contentsOf: url, encoding: .utf8))
    }

    /// The file text with only the fields that differ between `old` and `new` rewritten.
    private func editedText(_ text: String, from old: AgentDefinition, to new: AgentDefinition) throws -> String {
        let before = DefinitionJSON.agent(old)
        let after = DefinitionJSON.agent(new)
        var changes: [(key: String, value: JSONValue)] = []
        for key in ["role", "goal", "backstory", "model", "temperature", "max_iterations", "tools"]
        where before[key] != after[key] {
            if let value = after[key] { changes.append((key, value)) }
        }
        return try JSONSourceEditor.setting(changes, in: text, order: AgentFields.allowed)
    }

    /// Saves through ``AgentWriter``, as `PUT /v1/agents/{id}` does: checked with the whole catalog (crews that use
    /// the agent included), written atomically, stored as the agent's next version and audited with a diff under the
    /// session's user.
    private func save(_ agent: AgentDefinition, _ working: AgentDefinition) async throws {
        let (path, text) = try file(of: agent)
        let edited = try editedText(text, from: agent, to: working)
        guard edited != text else {
            say("nothing to save")
            return
        }
        let url = URL(fileURLWithPath: path)
        let loader = CatalogLoader(
            agentsDirectory: command.catalog.agentsDirectory, knowledgeDirectory: command.catalog.knowledgeDirectory,
            knownTools: ToolRegistry.standardIDs,
            displayBase: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        let principal = command.engine.principal
        let written: AgentWriter.Written
        do {
            written = try await AgentWriter(loader: loader, store: store).write(
                id: agent.id.rawValue, category: url.deletingLastPathComponent().lastPathComponent,
                bytes: Array(edited.utf8), user: principal.user, roles: principal.roles.map(\.rawValue).sorted(),
                detail: "saved from the playground")
        } catch let refusal as AgentWriter.Refusal {
            throw PlaygroundError("not saved: " + refusal.message)
        }
        catalog = written.catalog
        self.agent = written.agent
        self.working = written.agent
        say("saved \(catalog.agentFiles[written.agent.id] ?? path) as version \(written.version)")
    }

    // MARK: Turns

    private final class Printer: EventSink, @unchecked Sendable {
        func emit(_ event: RunEvent) async {
            switch event.kind {
            case .textDelta(let text): FileHandle.standardOutput.write(Data(text.utf8))
            case .toolStarted(_, let tool, let arguments): Console.print("\n  [tool] \(tool) \(arguments.prefix(200))")
            case .toolFinished(_, let tool, let outcome, let duration, let result, _):
                Console.print("  [tool] \(tool) \(outcome.rawValue) (\(duration) ms): \(result.prefix(300))")
            case .toolDenied(_, let tool, let reason, _): Console.print("  [tool] \(tool) denied: \(reason)")
            case .awaitingApproval(let id, _, let tool, _):
                Console.print("  [tool] \(tool) awaits approval \(id) (agentctl approvals approve \(id))")
            default: break
            }
        }
    }

    private func usageLine(_ turn: ChatTurn) -> String {
        String(
            format: "[%d in + %d out tokens · $%.6f · %d ms · %d call%@]", turn.usage.inputTokens,
            turn.usage.outputTokens, turn.costUSD, Int(turn.latency.seconds * 1000), turn.calls,
            turn.calls == 1 ? "" : "s")
    }

    private func turn(_ message: String) async {
        guard let working else {
            fail("no agent selected: /agent ID")
            return
        }
        let history = self.history
        let resultBox = TurnBox()
        let runner = CrewRunner(environment: environment)
        let principal = command.engine.principal
        let runID = self.runID
        let task = Task {
            do {
                resultBox.result = .success(
                    try await runner.chat(
                        working, history: history, message: message, principal: principal, runID: runID, sink: Printer()
                    ))
            } catch {
                resultBox.result = .failure(error)
            }
        }
        current.set(task)
        await task.value
        current.set(nil)
        switch resultBox.result {
        case .success(let turn)?:
            Console.print("")
            say(usageLine(turn))
            self.history = turn.history
            turns.append((message, turn.text, turn.usage, turn.costUSD, turn.latency))
            transcript.append("**You:** \(message)\n\n**\(working.name):** \(turn.text)\n\n_\(usageLine(turn))_")
        case .failure(let error)?:
            if task.isCancelled || (error as? EngineError) == .cancelled {
                say("\n(cancelled)")
            } else {
                fail("\(error)")
            }
        case nil:
            say("\n(cancelled)")
        }
    }

    private final class TurnBox: @unchecked Sendable { var result: Result<ChatTurn, any Error>? }

    /// The answer in progress, cancelled by Ctrl-C (set and read under a lock).
    final class InFlight: @unchecked Sendable {
        private let lock = NSLock()
        private var task: Task<Void, Never>?
        func set(_ task: Task<Void, Never>?) { lock.withLock { self.task = task } }
        func cancel() { lock.withLock { task?.cancel() } }
    }

    private func compare(_ field: String, _ first: String, _ second: String) async {
        guard let last = turns.last else {
            fail("nothing to compare yet: ask something first")
            return
        }
        let earlier = Array(history.prefix(Self.historyBeforeLastTurn(history)))
        var columns: [(title: String, text: String, usage: String)] = []
        for value in [first, second] {
            do {
                let variant = try set(field, value)
                let turn = try await CrewRunner(environment: environment).chat(
                    variant, history: earlier, message: last.prompt, principal: command.engine.principal, runID: runID,
                    sink: FanOutEventSink([]))
                columns.append(("\(field) = \(value)", turn.text, usageLine(turn)))
            } catch {
                fail("\(field) = \(value): \(error)")
                return
            }
        }
        say(Self.sideBySide(columns))
    }

    /// The number of messages before the last user message.
    static func historyBeforeLastTurn(_ history: [Message]) -> Int {
        history.lastIndex { if case .user = $0 { true } else { false } } ?? history.count
    }

    static func sideBySide(_ columns: [(title: String, text: String, usage: String)], width: Int = 50) -> String {
        func wrap(_ text: String) -> [String] {
            var lines: [String] = []
            for paragraph in text.components(separatedBy: "\n") {
                var line = ""
                for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
                    if line.count + word.count + 1 > width, !line.isEmpty {
                        lines.append(line)
                        line = ""
                    }
                    line += (line.isEmpty ? "" : " ") + word
                }
                lines.append(line)
            }
            return lines
        }
        let blocks = columns.map {
            [$0.title, String(repeating: "-", count: min(width, max(3, $0.title.count)))] + wrap($0.text) + [""]
                + wrap($0.usage)
        }
        let height = blocks.map(\.count).max() ?? 0
        return (0..<height).map { row in
            blocks.map { block in
                let cell = row < block.count ? block[row] : ""
                return cell.padding(toLength: width, withPad: " ", startingAt: 0)
            }.joined(separator: " | ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    private func runCrew(_ crewID: String, _ pairs: [String]) async {
        guard let crew = catalog.crew(CrewID(crewID)) else {
            fail("unknown crew \"\(crewID)\"")
            return
        }
        do {
            let inputs = try InputParser.parse(pairs: pairs, file: nil)
            // The runner prints progress, the output and the run's summary, and cancels the run on Ctrl-C.
            let runner = Runner(
                catalog: catalog, catalogOptions: command.catalog, runtime: command.runtime, engine: command.engine,
                json: false, dryRun: false, verbose: false)
            if let result = try await runner.execute(crew, inputs: inputs, exitOnFailure: false) {
                transcript.append("**/crew \(crewID)** → \(result.status.rawValue)\n\n\(result.output ?? "")")
            }
        } catch let exit as ExitCode {
            fail("the crew could not run (exit \(exit.rawValue))")
        } catch {
            fail("\(error)")
        }
    }

    private func markdown() -> String {
        var text = "# Playground: \(working?.name ?? "no agent")\n\n"
        text += "Tenant \(command.engine.tenant), role \(command.engine.role), \(Date().formatted(.iso8601))\n\n"
        text += transcript.joined(separator: "\n\n---\n\n")
        return text + "\n"
    }
}

struct PlaygroundError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// "; did you mean …?" for near misses.
enum NameSuggestionHint {
    static func closest(_ word: String, in candidates: [String]) -> String {
        let best = candidates.min { distance(word, $0) < distance(word, $1) }
        guard let best, distance(word, best) <= 3 else { return "" }
        return "; did you mean \"\(best)\"?"
    }

    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
