import AgentRuntime
import Agents
import Testing

/// One case per kind of diagnostic: a small tree with exactly that mistake.
struct DiagnosticCase: Sendable, CustomTestStringConvertible {
    var code: DiagnosticCode
    var sources: [DefinitionSource]
    var file: String
    var line: Int
    var pointer: String
    var message: String
    var severity: Diagnostic.Severity = .error
    var testDescription: String { code.rawValue }
}

private func agentCase(
    _ code: DiagnosticCode, stem: String = "writer", category: String = "marketing", _ text: String, line: Int,
    pointer: String, message: String, severity: Diagnostic.Severity = .error
) -> DiagnosticCase {
    DiagnosticCase(
        code: code, sources: [Fixtures.agentSource(text, stem: stem, category: category)],
        file: "agents/\(category)/\(stem).json", line: line, pointer: pointer, message: message, severity: severity)
}

private func crewCase(
    _ code: DiagnosticCode, _ text: String, line: Int, pointer: String, message: String,
    severity: Diagnostic.Severity = .error
) -> DiagnosticCase {
    DiagnosticCase(
        code: code, sources: Fixtures.cast + [Fixtures.crewSource(text, stem: "crew")], file: "agents/crews/crew.json",
        line: line, pointer: pointer, message: message, severity: severity)
}

let diagnosticCases: [DiagnosticCase] = [
    agentCase(
        .syntaxError, "{\n  \"id\": \"writer\",\n  \"name\": \"W\"\n  \"role\": \"r\"\n}", line: 4, pointer: "",
        message: "invalid JSON: missing ',' between object members"),
    agentCase(
        .unknownField, Fixtures.agent("writer", extra: [("temprature", "0.5")]), line: 8, pointer: "/temprature",
        message: #"unknown field "temprature" in agent; did you mean "temperature"?"#),
    agentCase(
        .duplicateKey, Fixtures.agent("writer", extra: [("name", "\"Again\"")]), line: 8, pointer: "/name",
        message: #"duplicate key "name" (first written on line 3)"#),
    agentCase(
        .missingField, Fixtures.agent("writer", drop: ["goal"]), line: 1, pointer: "/goal",
        message: #"missing required field "goal" in agent"#),
    agentCase(
        .typeMismatch, Fixtures.agent("writer", extra: [("temperature", "\"0.7\"")]), line: 8, pointer: "/temperature",
        message: #""temperature" must be a number, found a string"#),
    agentCase(
        .emptyValue, Fixtures.agent("writer", role: "  "), line: 5, pointer: "/role",
        message: #""role" must not be empty"#),
    agentCase(
        .invalidFormat, Fixtures.agent("writer", extra: [("model", "\"gpt-4o\"")]), line: 8, pointer: "/model",
        message:
            #""model" must be provider/model (e.g. openai/gpt-4o-mini, anthropic/claude-sonnet-4-5, ollama/llama3.2), found "gpt-4o""#
    ),
    agentCase(
        .outOfRange, Fixtures.agent("writer", extra: [("temperature", "2.5")]), line: 8, pointer: "/temperature",
        message: #""temperature" is 2.5, outside the allowed range 0.0–2.0"#),
    agentCase(
        .idMismatch, stem: "writer", Fixtures.agent("author"), line: 2, pointer: "/id",
        message: #"id "author" does not match the file name "writer.json""#),
    agentCase(
        .categoryMismatch, Fixtures.agent("writer", category: "sales"), line: 4, pointer: "/category",
        message:
            #"category "sales" does not match the folder "marketing"; move the file to agents/sales/ or set "category": "marketing""#
    ),
    agentCase(
        .duplicateEntry, Fixtures.agent("writer", extra: [("tools", #"["knowledge.search", "knowledge.search"]"#)]),
        line: 8, pointer: "/tools/1", message: #""knowledge.search" is listed twice in "tools" (also at index 0)"#,
        severity: .warning),
    agentCase(
        .unknownTool, Fixtures.agent("writer", extra: [("tools", #"["wordpress.create_pots"]"#)]), line: 8,
        pointer: "/tools/0",
        message:
            #"unknown tool "wordpress.create_pots"; did you mean "wordpress.create_post"? (run `agentctl tools list` for the registry)"#
    ),
    agentCase(
        .unknownKnowledge, Fixtures.agent("writer", extra: [("knowledge", #"["brand-voise"]"#)]), line: 8,
        pointer: "/knowledge/0",
        message:
            #"unknown knowledge collection "brand-voise": no folder knowledge/brand-voise/; did you mean "brand-voice"?"#
    ),
    DiagnosticCase(
        code: .duplicateID,
        sources: [
            Fixtures.agentSource(Fixtures.agent("writer"), stem: "writer"),
            Fixtures.agentSource(Fixtures.agent("writer", category: "sales"), stem: "writer", category: "sales"),
        ],
        file: "agents/marketing/writer.json", line: 2, pointer: "/id",
        message: #"agent id "writer" is also defined in agents/sales/writer.json"#),
    crewCase(
        .duplicateID,
        Fixtures.crew(
            "crew",
            tasks:
                #"[{"id": "a", "description": "d", "expected_output": "e", "agent": "writer"}, {"id": "a", "description": "d", "expected_output": "e", "agent": "writer"}]"#
        ),
        line: 6, pointer: "/tasks/1/id", message: #"task id "a" is used twice in this crew (first at /tasks/0)"#),
    crewCase(
        .invalidValue, Fixtures.crew("crew", process: "sequental"), line: 4, pointer: "/process",
        message: #""process" must be "sequential" or "hierarchical", found "sequental"; did you mean "sequential"?"#),
    crewCase(
        .unknownAgent, Fixtures.crew("crew", agents: ["writer", "witer"]), line: 5, pointer: "/agents/1",
        message: #"unknown agent "witer"; did you mean "writer"? (no file agents/<category>/witer.json)"#),
    crewCase(
        .managerInAgents,
        Fixtures.crew(
            "crew", process: "hierarchical", agents: ["writer", "boss"], extra: [("manager", "\"boss\"")]),
        line: 6, pointer: "/manager",
        message:
            #"manager "boss" is also listed in "agents"; a manager delegates to the crew's agents and cannot be one of them"#
    ),
    crewCase(
        .managerNotAllowed, Fixtures.crew("crew", extra: [("manager", "\"boss\"")]), line: 6, pointer: "/manager",
        message: #""manager" applies to hierarchical crews only; this crew is sequential"#),
    crewCase(
        .managerHasTools, Fixtures.crew("crew", process: "hierarchical", extra: [("manager", "\"tooled\"")]), line: 6,
        pointer: "/manager",
        message:
            #"manager "tooled" declares tools (calculator.evaluate); a manager works only through delegation, so remove its tools or pick another manager"#
    ),
    crewCase(
        .taskAgentNotInCrew,
        Fixtures.crew("crew", tasks: #"[{"id": "a", "description": "d", "expected_output": "e", "agent": "editor"}]"#),
        line: 6, pointer: "/tasks/0/agent",
        message:
            #"task agent "editor" is not one of the crew's agents (writer); add it to "agents" or pick one of them"#),
    crewCase(
        .unusedAgent, Fixtures.crew("crew", agents: ["writer", "editor"]), line: 5, pointer: "/agents/1",
        message: #"agent "editor" is in the crew but performs no task"#, severity: .warning),
    crewCase(
        .unknownContextTask,
        Fixtures.crew(
            "crew",
            tasks:
                #"[{"id": "draft", "description": "d", "expected_output": "e", "agent": "writer"}, {"id": "edit", "description": "d", "expected_output": "e", "agent": "writer", "context": ["drat"]}]"#
        ),
        line: 6, pointer: "/tasks/1/context/0", message: #"context names unknown task "drat"; did you mean "draft"?"#),
    crewCase(
        .forwardContext,
        Fixtures.crew(
            "crew",
            tasks:
                #"[{"id": "draft", "description": "d", "expected_output": "e", "agent": "writer", "context": ["edit"]}, {"id": "edit", "description": "d", "expected_output": "e", "agent": "writer"}]"#
        ),
        line: 6, pointer: "/tasks/0/context/0",
        message: #"context names task "edit", which comes later; a task sees only the outputs of earlier tasks"#),
    crewCase(
        .undeclaredPlaceholder,
        Fixtures.crew(
            "crew", extra: [("inputs", #"{"topic": {"description": "t"}}"#)],
            tasks:
                #"[{"id": "a", "description": "About {topic} for {audience}", "expected_output": "e", "agent": "writer"}]"#
        ),
        line: 7, pointer: "/tasks/0/description",
        message: #"placeholder {audience} is not declared in the crew's "inputs""#),
    crewCase(
        .unusedInput,
        Fixtures.crew(
            "crew", extra: [("inputs", #"{"topic": {"description": "t", "required": false, "default": "x"}}"#)]),
        line: 6, pointer: "/inputs/topic",
        message: #"input "topic" is declared but no task or agent text uses {topic}"#,
        severity: .warning),
    crewCase(
        .ignoredSetting,
        Fixtures.crew(
            "crew", process: "hierarchical",
            extra: [("manager", "\"boss\""), ("manager_model", "\"openai/gpt-4o\"")]),
        line: 7, pointer: "/manager_model",
        message: #""manager_model" is ignored because "manager" names an agent, which uses its own model"#,
        severity: .warning),
]

@Suite("Diagnostics: one case per kind")
struct DiagnosticTests {
    @Test("each mistake gives its diagnostic with file, line, pointer and message", arguments: diagnosticCases)
    func diagnostic(_ testCase: DiagnosticCase) throws {
        let catalog = Fixtures.validate(testCase.sources)
        let matching = catalog.diagnostics.filter { $0.code == testCase.code }
        let diagnostic = try #require(matching.first, "no \(testCase.code) in \(catalog.diagnostics.map(\.formatted))")
        #expect(diagnostic.file == testCase.file)
        #expect(diagnostic.line == testCase.line)
        #expect(diagnostic.pointer == testCase.pointer)
        #expect(diagnostic.message == testCase.message)
        #expect(diagnostic.severity == testCase.severity)
        // The mistake is the only error: nothing else in the fixture is reported.
        let others = catalog.diagnostics.filter { $0.code != testCase.code && $0.severity == .error }
        #expect(others.isEmpty, "unexpected: \(others.map(\.formatted))")
    }

    @Test("every diagnostic kind has a case here or in the loader tests")
    func everyKindCovered() {
        let covered = Set(diagnosticCases.map(\.code)).union(LoaderTests.coveredCodes)
        let missing = Set(DiagnosticCode.allCases).subtracting(covered)
        #expect(missing.isEmpty, "untested: \(missing.map(\.rawValue).sorted())")
    }

    @Test("every problem in a file is reported in one pass")
    func reportsAllAtOnce() {
        let text = Fixtures.agent(
            "writer", role: "",
            extra: [
                ("temprature", "0.5"), ("temperature", "3"), ("max_iterations", "\"ten\""),
                ("tools", #"["nope.nope", "Bad"]"#), ("allow_delegation", "1"),
            ])
        let catalog = Fixtures.validate([Fixtures.agentSource(text, stem: "writer")])
        #expect(
            catalog.diagnostics.map(\.code) == [
                .emptyValue, .unknownField, .outOfRange, .typeMismatch, .unknownTool, .invalidFormat, .typeMismatch,
            ])
        #expect(catalog.agents.isEmpty)
    }

    @Test("a broken file does not hide valid ones, and crews naming it are not told it is unknown")
    func brokenFilesAreIsolated() {
        let sources = [
            Fixtures.agentSource(Fixtures.agent("writer", drop: ["goal"]), stem: "writer"),
            Fixtures.agentSource(Fixtures.agent("editor"), stem: "editor"),
            Fixtures.crewSource(Fixtures.crew("crew", agents: ["writer"]), stem: "crew"),
        ]
        let catalog = Fixtures.validate(sources)
        #expect(catalog.agents.map(\.id) == ["editor"])
        #expect(!catalog.diagnostics.contains { $0.code == .unknownAgent })
    }

    @Test("the text format is path:line:column: severity: message [pointer]")
    func textFormat() {
        let catalog = Fixtures.validate([
            Fixtures.agentSource(Fixtures.agent("writer", extra: [("temperature", "9")]), stem: "writer")
        ])
        let report = DiagnosticReport.text(catalog)
        #expect(
            report == """
                agents/marketing/writer.json:8:18: error: "temperature" is 9, outside the allowed range 0.0–2.0 [/temperature]
                1 file checked (0 agents, 0 crews valid): 1 error, 0 warnings

                """)
    }

    @Test("the JSON format carries the same diagnostics")
    func jsonFormat() throws {
        let catalog = Fixtures.validate([
            Fixtures.agentSource(Fixtures.agent("writer", extra: [("temperature", "9")]), stem: "writer")
        ])
        let json = try JSONParser.value(DiagnosticReport.json(catalog))
        #expect(json["summary"]?["errors"] == 1)
        #expect(json["summary"]?["valid"] == false)
        guard case .array(let items)? = json["diagnostics"] else {
            Issue.record("no diagnostics array")
            return
        }
        #expect(items.count == 1)
        #expect(items[0]["code"] == "out-of-range")
        #expect(items[0]["line"] == 8)
        #expect(items[0]["column"] == 18)
        #expect(items[0]["pointer"] == "/temperature")
        #expect(items[0]["file"] == "agents/marketing/writer.json")
    }

    @Test("agents' placeholders must be declared by every crew that uses them")
    func agentPlaceholders() {
        let sources = [
            Fixtures.agentSource(Fixtures.agent("writer", role: "Writer for {company}"), stem: "writer"),
            Fixtures.crewSource(Fixtures.crew("crew"), stem: "crew"),
            Fixtures.crewSource(
                Fixtures.crew("declared", extra: [("inputs", #"{"company": {"description": "Client name"}}"#)]),
                stem: "declared"),
        ]
        let catalog = Fixtures.validate(sources)
        #expect(
            catalog.diagnostics.map(\.formatted) == [
                #"agents/crews/crew.json:5:14: error: agent "writer" uses placeholder {company} in its role, which the crew's "inputs" do not declare [/agents/0]"#
            ])
        #expect(catalog.crew("declared") != nil)
    }

    @Test("a valid crew decodes with defaults filled in")
    func decodesCrew() throws {
        let text = Fixtures.crew(
            "crew", process: "hierarchical", agents: ["writer", "editor"],
            extra: [
                ("manager_model", "\"openai/gpt-4o\""),
                ("inputs", #"{"topic": {"description": "t"}, "tone": {"required": false, "default": "warm"}}"#),
            ],
            tasks: #"""
                [{"id": "draft", "description": "Draft {topic} in a {tone} tone", "expected_output": "e", "async": true,
                  "output_schema": {"type": "object"}, "guardrail": "No prices"},
                 {"id": "edit", "description": "Edit", "expected_output": "e", "agent": "editor", "context": [],
                  "tools": ["calculator.evaluate"]}]
                """#)
        let catalog = Fixtures.validate(Fixtures.cast + [Fixtures.crewSource(text, stem: "crew")])
        #expect(catalog.diagnostics.isEmpty, "\(catalog.diagnostics.map(\.formatted))")
        let crew = try #require(catalog.crew("crew"))
        #expect(crew.process == .hierarchical)
        #expect(crew.managerModel == ModelReference(provider: "openai", model: "gpt-4o"))
        #expect(crew.inputs.map(\.name) == ["topic", "tone"])
        #expect(crew.input(named: "tone")?.defaultValue == "warm")
        #expect(crew.input(named: "topic")?.isRequired == true)
        #expect(crew.tasks[0].agent == nil)
        #expect(crew.tasks[0].context == nil)
        #expect(crew.tasks[0].isAsync)
        #expect(crew.tasks[0].outputSchema == JSONSchema(["type": "object"]))
        #expect(crew.tasks[0].guardrail == "No prices")
        #expect(crew.tasks[1].context == [])
        #expect(crew.tasks[1].tools == ["calculator.evaluate"])
    }

    @Test("a valid agent decodes with defaults filled in")
    func decodesAgent() throws {
        let catalog = Fixtures.validate([Fixtures.agentSource(Fixtures.agent("writer"), stem: "writer")])
        let agent = try #require(catalog.agent("writer"))
        #expect(agent.temperature == AgentDefinition.defaultTemperature)
        #expect(agent.maxIterations == AgentDefinition.defaultMaxIterations)
        #expect(agent.allowDelegation == false)
        #expect(agent.model == nil)
        #expect(agent.tools.isEmpty)
    }
}
