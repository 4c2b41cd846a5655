import Foundation

/// The port to tracing: the engine starts a span per run, task, model call and tool call, named and attributed after
/// the OpenTelemetry GenAI conventions (`invoke_agent <name>`, `chat <model>`, `execute_tool <name>`). Adapters live
/// at the edge (OpenTelemetry); the default, ``NoRunTracer``, records nothing and costs nearly nothing.
public protocol RunTracer: Sendable {
    /// Starts a span as a child of `parent` (a new trace when nil).
    func startSpan(
        _ name: String, kind: SpanKind, parent: TraceContext?, attributes: [String: SpanValue]
    ) -> any TraceSpan

    /// Whether spans are recorded at all (false: the engine skips building their attributes).
    var isRecording: Bool { get }
}

/// One span being recorded. Ended exactly once.
public protocol TraceSpan: Sendable {
    /// The span's own context: the parent of its children and of the requests sent inside it.
    var context: TraceContext? { get }
    /// Adds or replaces attributes.
    func setAttributes(_ attributes: [String: SpanValue])
    /// Records a named event on the span (a retry, a denial).
    func addEvent(_ name: String, attributes: [String: SpanValue])
    /// Marks the span failed with a low-cardinality error type and a message.
    func recordError(type: String, message: String)
    /// Ends the span now.
    func end()
}

/// What a span stands for, as OpenTelemetry's span kinds.
public enum SpanKind: String, Hashable, Sendable {
    /// Work inside this process.
    case `internal`
    /// A request to another service (a model provider).
    case client
    /// Handling a request from another service.
    case server
}

/// An attribute value.
public enum SpanValue: Hashable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    /// Text.
    case string(String)
    /// An integer.
    case int(Int)
    /// A number.
    case double(Double)
    /// A flag.
    case bool(Bool)
    /// A list of texts.
    case strings([String])

    /// A text value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer value.
    public init(integerLiteral value: Int) { self = .int(value) }
}

/// Records nothing.
public struct NoRunTracer: RunTracer {
    /// Creates the tracer.
    public init() {}
    /// Always false.
    public var isRecording: Bool { false }
    /// A span that does nothing.
    public func startSpan(
        _ name: String, kind: SpanKind, parent: TraceContext?, attributes: [String: SpanValue]
    ) -> any TraceSpan { NoSpan() }

    private struct NoSpan: TraceSpan {
        var context: TraceContext? { nil }
        func setAttributes(_ attributes: [String: SpanValue]) {}
        func addEvent(_ name: String, attributes: [String: SpanValue]) {}
        func recordError(type: String, message: String) {}
        func end() {}
    }
}

extension RunTracer {
    /// Runs `body` inside a new child span of the current one (``TraceContext/current``), with the span's context
    /// current inside it; the span ends when `body` returns or throws (an error marks it failed).
    public func withSpan<Result: Sendable>(
        _ name: @autoclosure () -> String, kind: SpanKind = .internal,
        attributes: @autoclosure () -> [String: SpanValue] = [:],
        _ body: (any TraceSpan) async throws -> Result
    ) async throws -> Result {
        guard isRecording else {
            return try await body(NoRunTracer().startSpan("", kind: kind, parent: nil, attributes: [:]))
        }
        let span = startSpan(name(), kind: kind, parent: TraceContext.current, attributes: attributes())
        do {
            let result = try await TraceContext.$current.withValue(span.context ?? TraceContext.current) {
                try await body(span)
            }
            span.end()
            return result
        } catch {
            span.recordError(type: Self.errorType(error), message: String(describing: error))
            span.end()
            throw error
        }
    }

    /// A low-cardinality name for an error (an engine error's code, else its type).
    static func errorType(_ error: any Error) -> String {
        if let engine = error as? EngineError { return engine.code }
        if let provider = error as? ProviderError { return provider.code.rawValue }
        return String(describing: type(of: error))
    }
}
