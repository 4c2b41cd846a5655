import AgentRuntime
import ArgumentParser
import Foundation

/// `agentctl ask`: one model call, streamed.
struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Send one prompt to a model and stream the answer.",
        discussion:
            "The answer streams to stdout; model, tokens, cost and latency go to stderr. Exit status 3 when the call fails."
    )

    @OptionGroup var runtime: RuntimeOptions
    @Argument(help: "The prompt.") var prompt: String
    @Option(name: .long, help: "provider/model (default: the configured default model).") var model: String?
    @Option(name: .long, help: "A system prompt.") var system: String?
    @Option(name: .long, help: "Sampling temperature, 0–2.") var temperature: Double?
    @Option(name: .long, help: "Upper bound on generated tokens.") var maxTokens: Int?
    @Option(name: .long, help: "Run as this tenant (uses its own key when it has one).") var tenant: String?
    @Flag(name: .long, help: "Print the whole response as JSON instead of streaming text.") var json = false

    func validate() throws {
        if let model, ModelReference(parsing: model) == nil {
            throw ValidationError("--model must be provider/model (e.g. openai/gpt-4o-mini), found \"\(model)\"")
        }
        if let temperature, !AgentDefinition.temperatureRange.contains(temperature) {
            throw ValidationError("--temperature must be between 0 and 2, found \(temperature)")
        }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
    }

    func run() async throws {
        let registry = try runtime.registry()
        let resolved: ProviderRegistry.Resolution
        do {
            resolved = try await registry.resolve(
                model.flatMap(ModelReference.init(parsing:)), tenant: tenant.map { TenantID($0) })
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.invalid)
        }
        var messages: [Message] = []
        if let system { messages.append(.system(system)) }
        messages.append(.user(prompt))
        let request = ChatRequest(
            model: resolved.reference.model, messages: messages, temperature: temperature, maxTokens: maxTokens)
        let started = ContinuousClock.now
        let response: ChatResponse
        do {
            if json {
                response = try await resolved.model.complete(request)
            } else {
                response = try await resolved.model.stream(request) { delta in
                    if case .text(let text) = delta { FileHandle.standardOutput.write(Data(text.utf8)) }
                }
                if response.text?.hasSuffix("\n") != true { FileHandle.standardOutput.write(Data("\n".utf8)) }
            }
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(ExitStatus.callFailed)
        }
        let latency = ContinuousClock.now - started
        let cost = registry.config.prices.cost(of: response.usage, on: resolved.reference)
        if json {
            Console.print(
                JSONValue.object([
                    "model": .string(resolved.reference.description),
                    "text": response.text.map(JSONValue.string) ?? .null,
                    "tool_calls": .array(
                        response.toolCalls.map {
                            ["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)]
                        }),
                    "finish_reason": .string(response.finishReason.description),
                    "usage": [
                        "input_tokens": .int(response.usage.inputTokens),
                        "output_tokens": .int(response.usage.outputTokens),
                        "cached_input_tokens": .int(response.usage.cachedInputTokens),
                    ],
                    "cost_usd": cost.map(JSONValue.double) ?? .null,
                    "latency_ms": .int(Int(latency.seconds * 1000)),
                ]).serialized(pretty: true))
        }
        Console.error(
            Self.summary(
                reference: resolved.reference, usage: response.usage, cost: cost, latency: latency,
                finish: response.finishReason))
    }

    /// `[openai/gpt-4o-mini] 1117 in (1024 cached) + 9 out tokens · $0.000123 · 812 ms · stop`.
    static func summary(
        reference: ModelReference, usage: TokenUsage, cost: Double?, latency: Duration, finish: FinishReason
    ) -> String {
        var text = "[\(reference)] \(usage.inputTokens) in"
        if usage.cachedInputTokens > 0 { text += " (\(usage.cachedInputTokens) cached)" }
        text += " + \(usage.outputTokens) out tokens · "
        text += cost.map { String(format: "$%.6f", $0) } ?? "cost unknown (no price for \(reference))"
        text += " · \(Int(latency.seconds * 1000)) ms · \(finish)"
        return text
    }
}
