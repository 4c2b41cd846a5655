/// One Server-Sent Event (or one NDJSON line).
public struct ServerSentEvent: Hashable, Sendable {
    /// The `event:` name; nil for the default `message` type.
    public var event: String?
    /// The `data:` lines joined with `\n`.
    public var data: String
    /// The last `id:` seen.
    public var id: String?

    /// Creates an event.
    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// Incremental parser for `text/event-stream` (and newline-delimited JSON).
///
/// It works on bytes and carries partial lines across chunks, so an event
/// split at any byte — inside a UTF-8 sequence, between `\r` and `\n` —
/// decodes exactly as if it had arrived whole. Lines end with LF, CRLF or CR;
/// `:` comments (pings) are skipped; multi-line `data:` fields are joined.
public struct ServerSentEventParser: Sendable {
    /// How the byte stream is framed.
    public enum Framing: Sendable {
        /// `text/event-stream`.
        case serverSentEvents
        /// One JSON document per line (`application/x-ndjson`).
        case newlineDelimitedJSON
    }

    private let framing: Framing
    private var line: [UInt8] = []
    private var skipLineFeed = false
    private var eventName: String?
    private var data: [UInt8] = []
    private var hasData = false
    private var lastID: String?
    /// Comment lines seen so far (keep-alive pings).
    public private(set) var commentCount = 0

    /// Creates a parser.
    public init(framing: Framing = .serverSentEvents) { self.framing = framing }

    /// Feeds a chunk; returns the events it completed.
    public mutating func feed(_ chunk: [UInt8]) -> [ServerSentEvent] {
        chunk.withUnsafeBufferPointer { feed($0) }
    }

    /// Feeds a chunk; returns the events it completed.
    public mutating func feed(_ chunk: ArraySlice<UInt8>) -> [ServerSentEvent] {
        chunk.withUnsafeBufferPointer { feed($0) }
    }

    private mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        var index = 0
        let count = bytes.count
        if skipLineFeed, count > 0 {
            skipLineFeed = false
            if bytes[0] == 0x0A { index = 1 }
        }
        while index < count {
            // Find the next line terminator and append the run before it in one go.
            var end = index
            while end < count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
            line.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<end]))
            guard end < count else { break }
            endLine(into: &events)
            if bytes[end] == 0x0D {
                if end + 1 < count {
                    index = bytes[end + 1] == 0x0A ? end + 2 : end + 1
                } else {
                    skipLineFeed = true
                    index = end + 1
                }
            } else {
                index = end + 1
            }
        }
        return events
    }

    /// Ends the stream: a final line without a terminator, and an event without its blank line, are delivered.
    public mutating func finish() -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        if !line.isEmpty { endLine(into: &events) }
        if framing == .serverSentEvents { dispatch(into: &events) }
        return events
    }

    private mutating func endLine(into events: inout [ServerSentEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        switch framing {
        case .newlineDelimitedJSON:
            let text = String(decoding: line, as: UTF8.self)
            if !text.allSatisfy(\.isWhitespace) { events.append(ServerSentEvent(data: text)) }
        case .serverSentEvents:
            if line.isEmpty {
                dispatch(into: &events)
                return
            }
            if line[0] == UInt8(ascii: ":") {
                commentCount += 1
                return
            }
            let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
            let field = String(decoding: line[..<colon], as: UTF8.self)
            var valueStart = colon == line.endIndex ? colon : colon + 1
            if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
            let value = line[valueStart...]
            switch field {
            case "data":
                if hasData { data.append(0x0A) }
                data.append(contentsOf: value)
                hasData = true
            case "event":
                eventName = String(decoding: value, as: UTF8.self)
            case "id":
                if !value.contains(0) { lastID = String(decoding: value, as: UTF8.self) }
            default:
                break  // `retry:` and unknown fields are ignored.
            }
        }
    }

    private mutating func dispatch(into events: inout [ServerSentEvent]) {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventName = nil
        }
        guard hasData else { return }
        events.append(ServerSentEvent(event: eventName, data: String(decoding: data, as: UTF8.self), id: lastID))
    }
}
