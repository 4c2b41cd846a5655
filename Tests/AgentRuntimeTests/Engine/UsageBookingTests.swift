import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// Model calls are booked under the model that answered: a fallback's call is named and priced as the fallback, in
/// the run's events and totals and in the usage ledger, with its tenant, crew, agent and task.
@Suite("Engine: usage booked under the answering model")
struct UsageBookingTests {
    static let primary = ModelReference(provider: "openai", model: "gpt-4o")
    static let fallback = ModelReference(provider: "anthropic", model: "claude-sonnet-4-5")

    /// Records what is booked.
    actor RecordingUsageLedger: UsageLedger {
        var records: [UsageRecord] = []
        func appendUsage(_ record: UsageRecord) { records.append(record) }
        func usage(_ query: UsageQuery) -> [UsageGroup] { [] }
        func usageRecords(of run: RunID) -> [UsageRecord] { records.filter { $0.runID == run } }
    }

    @Test("a call the fallback answered (the primary overloaded) is named, priced and booked as the fallback")
    func fallbackBooked() async throws {
        var config = RuntimeConfig.fromEnvironment([
            "OPENAI_API_KEY": "sk-platform-key-0000000000", "ANTHROPIC_API_KEY": "sk-ant-platform-000000000",
        ])
        for name in config.providers.keys { config.providers[name]?.maxRetries = 0 }
        config.fallbacks[Self.primary] = [Self.fallback]
        let transport = ReplayTransport([
            ReplayTransport.Reply(status: 503, body: #"{"error":{"message":"overloaded"}}"#),
            ReplayTransport.Reply(body: AnthropicChatFormatTests.textResponse),
        ])
        let registry = ProviderRegistry(
            config: config, transport: transport,
            environment: [
                "OPENAI_API_KEY": "sk-platform-key-0000000000", "ANTHROPIC_API_KEY": "sk-ant-platform-000000000",
            ])
        let ledger = RecordingUsageLedger()
        var environment = EngineEnvironment(models: registry, streaming: false)
        environment.usageLedger = ledger
        let agent = AgentDefinition(
            id: "writer", name: "Writer", category: "content", role: "Writer", goal: "Write", backstory: "Writes.",
            model: Self.primary)
        let crew = CrewRunner.invocation(of: agent, prompt: "Say hi")
        let sink = RecordingEventSink()
        let principal = Principal.local(tenant: "acme")
        let result = try await CrewRunner(environment: environment).run(
            crew, inputs: [:], principal: principal, agents: { $0 == agent.id ? agent : nil }, runID: "run-1",
            sink: sink)
        #expect(result.status == .succeeded)
        #expect(transport.requests.map(\.url.host) == ["api.openai.com", "api.anthropic.com"])

        let response = try #require(await sink.events.first { $0.kindName == "llm_response" })
        guard case .llmResponse(let model, let usage, let cost, _, _) = response.kind else { return }
        #expect(model == "anthropic/claude-sonnet-4-5")
        let fallbackCost = try #require(config.prices.cost(of: usage, on: Self.fallback))
        let primaryCost = try #require(config.prices.cost(of: usage, on: Self.primary))
        #expect(fallbackCost != primaryCost, "the two prices differ, so the test tells them apart")
        #expect(cost == fallbackCost)
        #expect(result.costUSD == fallbackCost)
        #expect(result.byModel.keys.sorted() == ["anthropic/claude-sonnet-4-5"])

        let booked = await ledger.records
        #expect(
            booked == [
                UsageRecord(
                    runID: "run-1", tenant: "acme", crew: "invoke:writer", agent: "writer", task: "answer",
                    provider: "anthropic", model: "claude-sonnet-4-5", usage: usage, costUSD: fallbackCost,
                    time: booked.first?.time ?? Date())
            ])
    }

    @Test("the answering model survives the journal: a resumed run books a journaled fallback answer as the fallback")
    func servedByInJournal() throws {
        var response = ChatResponse(text: "hi", finishReason: .stop, usage: TokenUsage(inputTokens: 3, outputTokens: 1))
        response.servedBy = Self.fallback
        #expect(ChatResponse(json: response.json)?.servedBy == Self.fallback)
        let resolved = ResolvedModel(
            reference: Self.primary, model: UnimplementedChatModel(), price: ModelPrice(input: 100, output: 100),
            fallbackPrices: [Self.fallback: ModelPrice(input: 1, output: 1)])
        #expect(resolved.answering(response).reference == Self.fallback)
        #expect(resolved.answering(response).price == ModelPrice(input: 1, output: 1))
        response.servedBy = nil
        #expect(resolved.answering(response).reference == Self.primary)
    }
}
