import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

@Suite("Engine: tool calls audited before the run goes on")
struct ToolAuditTests {
    typealias F = EngineFixtures

    private func crew(_ agent: AgentDefinition) -> CrewDefinition { F.solo(agent) }

    private func runner(_ model: ScriptedChatModel, audit: RecordingAuditLog) -> CrewRunner {
        var environment = EngineEnvironment(
            models: ScriptedModelResolver(model), tools: ToolRegistry([F.calculator]), streaming: false)
        environment.audit = audit
        return CrewRunner(environment: environment)
    }

    @Test("each call is written to the audit log with its outcome, arguments and the caller")
    func audited() async throws {
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.calls([("calculator-evaluate", #"{"expression": "6*7"}"#)]),
            ScriptedChatModel.calls([("calculator-evaluate", #"{"expression": "1/0"}"#)]),
            ScriptedChatModel.text("42"),
        ])
        let audit = RecordingAuditLog()
        let principal = Principal(tenant: "acme", user: "ada", roles: [.tenantUser])
        let result = try await runner(model, audit: audit).run(
            crew(F.researcher), inputs: [:], principal: principal, agents: F.lookup([F.researcher]),
            sink: RecordingEventSink())
        #expect(result.output == "42")
        let entries = await audit.entries
        #expect(entries.map(\.outcome) == ["allowed", "failed"])
        #expect(entries.allSatisfy { $0.tool == "calculator.evaluate" && $0.runID == result.runID })
        #expect(entries.first?.tenant == "acme" && entries.first?.user == "ada" && entries.first?.kind == "tool_call")
        #expect(entries.first?.arguments.contains("6*7") == true)
        #expect(entries.last?.detail.contains("cannot evaluate that") == true)
    }

    @Test("a call whose audit entry cannot be written fails, and the run with it (audit_unavailable)")
    func failingAuditFailsTheCall() async throws {
        let model = ScriptedChatModel(responses: [
            ScriptedChatModel.calls([("calculator-evaluate", #"{"expression": "6*7"}"#)]),
            ScriptedChatModel.text("42"),
        ])
        let audit = RecordingAuditLog(failing: true)
        let sink = RecordingEventSink()
        let result = try await runner(model, audit: audit).run(
            crew(F.researcher), inputs: [:], principal: .local(), agents: F.lookup([F.researcher]), sink: sink)
        #expect(result.status == .failed)
        #expect(result.error?.code == "audit_unavailable")
        #expect(result.error?.description.contains("the audit log is unavailable") == true)
        #expect(model.requests.count == 1, "the model never reads the unaudited result")
        let finished = await sink.events.compactMap { event -> String? in
            if case .toolFinished(_, _, let outcome, _, let result, _) = event.kind { return "\(outcome) \(result)" }
            return nil
        }
        #expect(finished.count == 1 && finished.first?.hasPrefix("error the call could not be audited") == true)
    }
}
