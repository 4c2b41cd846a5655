/// One recorded model exchange.
public struct ModelExchange: Hashable, Sendable {
    /// The run.
    public var runID: RunID
    /// 1, 2, 3, ... in call order.
    public var sequence: Int
    /// The model's `provider/model`.
    public var model: String
    /// The canonical request (see ``ChatRequest/fingerprint``).
    public var request: String
    /// The response.
    public var response: ChatResponse

    /// Creates an exchange.
    public init(runID: RunID, sequence: Int, model: String, request: String, response: ChatResponse) {
        self.runID = runID
        self.sequence = sequence
        self.model = model
        self.request = request
        self.response = response
    }
}

/// Wraps a resolver so every model call is reported to `record` (request fingerprint and response).
public struct RecordingModelResolver: ModelResolver {
    /// The resolver whose models are recorded.
    public let base: any ModelResolver
    /// Receives each completed exchange.
    public let record: @Sendable (ModelReference, ChatRequest, ChatResponse) async -> Void

    /// Creates a recording resolver.
    public init(
        base: any ModelResolver, record: @escaping @Sendable (ModelReference, ChatRequest, ChatResponse) async -> Void
    ) {
        self.base = base
        self.record = record
    }

    /// The base model, recorded.
    public func resolve(_ reference: ModelReference?, principal: Principal) async throws -> ResolvedModel {
        var resolved = try await base.resolve(reference, principal: principal)
        resolved.model = RecordingChatModel(base: resolved.model, reference: resolved.reference, record: record)
        return resolved
    }
}

struct RecordingChatModel: ChatModel {
    let base: any ChatModel
    let reference: ModelReference
    let record: @Sendable (ModelReference, ChatRequest, ChatResponse) async -> Void

    func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let response = try await base.complete(request)
        await record(reference, request, response)
        return response
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatDelta, any Error> {
        .producing { continuation in
            for try await delta in base.stream(request) {
                if case .completed(let response) = delta { await record(reference, request, response) }
                continuation.yield(delta)
            }
        }
    }
}

/// Serves recorded answers for requests identical to recorded ones, and calls
/// the live model only for requests that changed. Counts both.
public actor ReplayLedger {
    private var recorded: [String: [ChatResponse]] = [:]
    /// Calls answered from the recording.
    public private(set) var served = 0
    /// Calls sent to a live model.
    public private(set) var live = 0

    /// Creates a ledger from a run's exchanges.
    public init(_ exchanges: [ModelExchange]) {
        for exchange in exchanges.sorted(by: { $0.sequence < $1.sequence }) {
            recorded[exchange.request, default: []].append(exchange.response)
        }
    }

    /// The recorded answer for `fingerprint`, if any is left (repeated identical requests are answered in order).
    func take(_ fingerprint: String) -> ChatResponse? {
        guard var answers = recorded[fingerprint], !answers.isEmpty else { return nil }
        let answer = answers.removeFirst()
        recorded[fingerprint] = answers
        served += 1
        return answer
    }

    func countLive() { live += 1 }
}

/// A resolver that answers from a ``ReplayLedger`` first and falls back to `base`.
public struct ReplayModelResolver: ModelResolver {
    /// The live resolver.
    public let base: any ModelResolver
    /// The recording.
    public let ledger: ReplayLedger

    /// Creates a replaying resolver.
    public init(base: any ModelResolver, ledger: ReplayLedger) {
        self.base = base
        self.ledger = ledger
    }

    /// A model that replays before it calls.
    public func resolve(_ reference: ModelReference?, principal: Principal) async throws -> ResolvedModel {
        let base = self.base
        let ledger = self.ledger
        // A live model that cannot be resolved (no key) is only an error if a changed request needs it.
        let resolved = try? await base.resolve(reference, principal: principal)
        let live: @Sendable () async throws -> ResolvedModel = {
            if let resolved { return resolved }
            return try await base.resolve(reference, principal: principal)
        }
        return ResolvedModel(
            reference: resolved?.reference ?? reference ?? ModelReference(provider: "replay", model: "default"),
            model: ReplayChatModel(ledger: ledger, live: live), price: resolved?.price,
            fallbackPrices: resolved?.fallbackPrices ?? [:])
    }
}

struct ReplayChatModel: ChatModel {
    let ledger: ReplayLedger
    let live: @Sendable () async throws -> ResolvedModel

    func complete(_ request: ChatRequest) async throws -> ChatResponse {
        if let answer = await ledger.take(request.fingerprint) { return answer }
        await ledger.countLive()
        return try await live().model.complete(request)
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatDelta, any Error> {
        .producing { continuation in
            if let answer = await ledger.take(request.fingerprint) {
                if let text = answer.text, !text.isEmpty { continuation.yield(.text(text)) }
                continuation.yield(.completed(answer))
            } else {
                await ledger.countLive()
                for try await delta in try await live().model.stream(request) { continuation.yield(delta) }
            }
        }
    }
}
