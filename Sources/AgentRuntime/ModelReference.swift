/// A model named as `provider/model`, e.g. `openai/gpt-4o-mini` or
/// `ollama/llama3.2`. The model part may itself contain slashes
/// (`openrouter/meta-llama/llama-3-70b`).
public struct ModelReference: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The provider key, e.g. `openai`, `anthropic`, `gemini`, `ollama`.
    public var provider: String
    /// The provider's model name.
    public var model: String

    /// Creates a reference from its parts.
    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    /// Parses `provider/model`; nil unless both parts are non-empty and free of whitespace.
    public init?(parsing text: String) {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let provider = String(text[..<slash])
        let model = String(text[text.index(after: slash)...])
        guard !provider.isEmpty, !model.isEmpty,
            !text.contains(where: \.isWhitespace),
            provider.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        else { return nil }
        self.init(provider: provider.lowercased(), model: model)
    }

    /// `provider/model`.
    public var description: String { "\(provider)/\(model)" }

    /// Decodes from a `provider/model` string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let reference = ModelReference(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected provider/model, found \"\(text)\"")
        }
        self = reference
    }

    /// Encodes as a `provider/model` string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
