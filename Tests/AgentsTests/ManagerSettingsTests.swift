import AgentRuntime
import Agents
import Testing

/// A hierarchical crew's `manager_tool_choice` and `manager_reminder`: decoded, and checked with diagnostics.
@Suite("Crews: manager settings")
struct ManagerSettingsTests {
    static func validate(process: String, _ extra: [(String, String)]) -> (Catalog, [Diagnostic]) {
        let text = Fixtures.crew("crew", process: process, extra: extra)
        let catalog = Fixtures.validate(Fixtures.cast + [Fixtures.crewSource(text, stem: "crew")])
        return (catalog, catalog.diagnostics.filter { $0.severity == .error })
    }

    @Test(
        "manager_tool_choice and manager_reminder decode on a hierarchical crew; omitted, they are nil (required, on)")
    func decodes() throws {
        let (catalog, errors) = Self.validate(
            process: "hierarchical", [("manager_tool_choice", "\"auto\""), ("manager_reminder", "false")])
        #expect(errors.isEmpty, "\(errors.map(\.formatted))")
        let crew = try #require(catalog.crew("crew"))
        #expect(crew.managerToolChoice == .auto)
        #expect(crew.managerReminder == false)
        let (plain, _) = Self.validate(process: "hierarchical", [])
        #expect(plain.crew("crew")?.managerToolChoice == nil)
        #expect(plain.crew("crew")?.managerReminder == nil)
    }

    @Test("an unknown manager_tool_choice is an error at its line with the allowed values")
    func invalidChoice() throws {
        let (_, errors) = Self.validate(process: "hierarchical", [("manager_tool_choice", "\"requird\"")])
        let error = try #require(errors.first)
        #expect(error.code == .invalidValue)
        #expect(error.file == "agents/crews/crew.json")
        #expect(error.line == 6)
        #expect(error.pointer == "/manager_tool_choice")
        #expect(
            error.message
                == #""manager_tool_choice" must be "required" or "auto", found "requird"; did you mean "required"?"#)
    }

    @Test("manager settings on a sequential crew are errors; a non-boolean reminder is a type error")
    func misplaced() throws {
        let (_, sequential) = Self.validate(
            process: "sequential", [("manager_tool_choice", "\"auto\""), ("manager_reminder", "true")])
        #expect(sequential.map(\.code) == [.managerNotAllowed, .managerNotAllowed])
        #expect(sequential.map(\.pointer) == ["/manager_tool_choice", "/manager_reminder"])
        let (_, typed) = Self.validate(process: "hierarchical", [("manager_reminder", "\"yes\"")])
        #expect(typed.map(\.code) == [.typeMismatch])
    }
}
