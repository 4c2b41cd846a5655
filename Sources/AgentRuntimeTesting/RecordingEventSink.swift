import AgentRuntime

/// An ``EventSink`` that keeps every event.
public actor RecordingEventSink: EventSink {
    /// The events in arrival order.
    public private(set) var events: [RunEvent] = []

    /// Creates an empty sink.
    public init() {}

    /// Keeps the event.
    public func emit(_ event: RunEvent) { events.append(event) }

    /// The kind names in order, without text deltas.
    public var kinds: [String] { events.map(\.kindName).filter { $0 != "text_delta" } }
}
