import AgentRuntime
import ArgumentParser
import Foundation

/// `agentctl models list`.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Show configured LLM providers and models.",
        subcommands: [List.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List providers, whether each has its key (never the key), models, prices and the default model.")

        @OptionGroup var runtime: RuntimeOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let registry = try runtime.registry()
            let config = registry.config
            var rows: [[String]] = []
            var items: [JSONValue] = []
            for name in config.providers.keys.sorted() {
                let settings = config.providers[name]!
                let status = await registry.credentialStatus(name)
                let (keyText, keyPresent): (String, Bool) =
                    switch status {
                    case .present(let reference): ("present (\(reference))", true)
                    case .missing(let reference): ("missing (\(reference))", false)
                    case .notNeeded: ("not needed", true)
                    case .unavailable(let message): ("unavailable: \(message)", false)
                    case .unknownProvider: ("unknown", false)
                    }
                let models = settings.models.map { model -> String in
                    let reference = ModelReference(provider: name, model: model)
                    let mark = reference == config.defaultModel ? "*" : ""
                    guard let price = config.prices.price(for: reference) else { return model + mark }
                    return "\(model)\(mark) ($\(Self.format(price.input))/$\(Self.format(price.output)))"
                }
                rows.append([
                    name, settings.kind.rawValue, settings.baseURL.absoluteString, keyText,
                    models.joined(separator: ", "),
                ])
                items.append([
                    "provider": .string(name), "kind": .string(settings.kind.rawValue),
                    "base_url": .string(settings.baseURL.absoluteString), "key": .string(keyText),
                    "ready": .bool(keyPresent),
                    "models": .array(settings.models.map { .string($0) }),
                ])
            }
            if json {
                Console.print(
                    JSONValue.object([
                        "default_model": config.defaultModel.map { .string($0.description) } ?? .null,
                        "providers": .array(items),
                    ]).serialized(pretty: true))
                return
            }
            Console.print(
                Table.render(
                    header: ["PROVIDER", "KIND", "BASE URL", "KEY", "MODELS (USD per 1M in/out; * default)"], rows: rows
                ))
            Console.print("default model: \(config.defaultModel?.description ?? "(none)")")
            for (primary, chain) in config.fallbacks.sorted(by: { $0.key.description < $1.key.description }) {
                Console.print("fallbacks: \(primary) → \(chain.map(\.description).joined(separator: " → "))")
            }
        }

        static func format(_ value: Double) -> String {
            String(format: "%.3f", value).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
        }
    }
}
