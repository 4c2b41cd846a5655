import AgentRuntime
import Foundation

/// A ``RunTracer`` that keeps every span it was asked for, with its parent, attributes, events, error and whether it
/// ended: for tests of the engine's spans without an exporter.
public final class RecordingRunTracer: RunTracer, @unchecked Sendable {
    /// One recorded span.
    public struct Span: Sendable {
        /// The name (`chat gpt-4o`, `execute_tool calculator.evaluate`, ...).
        public var name: String
        /// The kind.
        public var kind: SpanKind
        /// Its own context.
        public var context: TraceContext
        /// The parent it was started under, if any.
        public var parent: TraceContext?
        /// Attributes as last set.
        public var attributes: [String: SpanValue]
        /// Event names in order.
        public var events: [String]
        /// The error type, when it failed.
        public var errorType: String?
        /// Whether it ended.
        public var ended: Bool
    }

    private let lock = NSLock()
    private var recorded: [Span] = []

    /// Creates an empty recorder.
    public init() {}

    /// Always true.
    public var isRecording: Bool { true }

    /// The spans in the order they started.
    public var spans: [Span] { lock.withLock { recorded } }

    /// Records a new span.
    public func startSpan(
        _ name: String, kind: SpanKind, parent: TraceContext?, attributes: [String: SpanValue]
    ) -> any TraceSpan {
        let context = TraceContext.random(traceID: parent?.traceID)
        let index = lock.withLock {
            recorded.append(
                Span(
                    name: name, kind: kind, context: context, parent: parent, attributes: attributes, events: [],
                    errorType: nil, ended: false))
            return recorded.count - 1
        }
        return Handle(tracer: self, index: index, context: context)
    }

    fileprivate func update(_ index: Int, _ change: (inout Span) -> Void) {
        lock.withLock { change(&recorded[index]) }
    }

    private struct Handle: TraceSpan {
        let tracer: RecordingRunTracer
        let index: Int
        let context: TraceContext?

        func setAttributes(_ attributes: [String: SpanValue]) {
            tracer.update(index) { $0.attributes.merge(attributes) { $1 } }
        }
        func addEvent(_ name: String, attributes: [String: SpanValue]) {
            tracer.update(index) { $0.events.append(name) }
        }
        func recordError(type: String, message: String) { tracer.update(index) { $0.errorType = type } }
        func end() { tracer.update(index) { $0.ended = true } }
    }
}
