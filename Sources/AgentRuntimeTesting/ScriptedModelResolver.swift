import AgentRuntime

/// A ``ModelResolver`` that hands out one scripted model for every reference.
public struct ScriptedModelResolver: ModelResolver {
    /// The model.
    public let model: any ChatModel
    /// The price applied to every call.
    public let price: ModelPrice?

    /// Creates a resolver.
    public init(_ model: any ChatModel, price: ModelPrice? = ModelPrice(input: 1, output: 2)) {
        self.model = model
        self.price = price
    }

    /// The scripted model under the requested (or a default) name.
    public func resolve(_ reference: ModelReference?, principal: Principal) async throws -> ResolvedModel {
        ResolvedModel(
            reference: reference ?? ModelReference(provider: "scripted", model: "default"), model: model, price: price)
    }
}
