import AgentRuntime
import Testing

/// Decodes a recorded stream body through a wire format, whole and split at every byte.
enum StreamReplay {
    /// The deltas from feeding `chunks` to the format's decoder (the last is `.completed`).
    static func decode<Format: ChatWireFormat>(
        _ format: Format, _ request: ChatRequest, chunks: [[UInt8]]
    ) throws -> [ChatDelta] {
        var decoder = format.makeStreamDecoder(for: request)
        var parser = ServerSentEventParser(framing: decoder.framing)
        var deltas: [ChatDelta] = []
        for chunk in chunks {
            for event in parser.feed(chunk) { deltas += try decoder.decode(event) }
        }
        for event in parser.finish() { deltas += try decoder.decode(event) }
        deltas.append(.completed(try decoder.finish()))
        return deltas
    }

    /// Decodes `body` whole, then split into two chunks at every byte, and checks each split gives the same deltas.
    static func decodeAtEverySplit<Format: ChatWireFormat>(
        _ format: Format, _ request: ChatRequest, body: String,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async throws -> [ChatDelta] {
        let bytes = Array(body.utf8)
        let whole = try decode(format, request, chunks: [bytes])
        for split in 0...bytes.count {
            // Thousands of decodes: let other tests' tasks run on the shared cooperative threads.
            if split % 64 == 0 { await Task.yield() }
            let parts = [Array(bytes[..<split]), Array(bytes[split...])]
            let deltas = try decode(format, request, chunks: parts)
            if deltas != whole {
                Issue.record("split at byte \(split) decoded differently", sourceLocation: sourceLocation)
                break
            }
        }
        // And one byte at a time.
        #expect(try decode(format, request, chunks: bytes.map { [$0] }) == whole, sourceLocation: sourceLocation)
        return whole
    }

    /// The completed response at the end of `deltas`.
    static func completed(_ deltas: [ChatDelta]) -> ChatResponse? {
        if case .completed(let response)? = deltas.last { return response }
        return nil
    }

    /// The text deltas joined.
    static func text(_ deltas: [ChatDelta]) -> String {
        deltas.compactMap { if case .text(let text) = $0 { return text } else { return nil } }.joined()
    }
}
