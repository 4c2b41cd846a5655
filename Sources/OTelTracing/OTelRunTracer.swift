import AgentRuntime
import Foundation
import Tracing

/// The engine's ``RunTracer`` port over a swift-distributed-tracing `Tracer` (the OpenTelemetry tracer of
/// ``OTelTracingBackend``, or any other): a ``TraceContext`` becomes the tracer's context through its own
/// propagator (W3C `traceparent`), and back.
public struct OTelRunTracer<Backend: Tracer>: RunTracer {
    /// The tracer spans are started with.
    public let backend: Backend

    /// Wraps `backend`.
    public init(backend: Backend) { self.backend = backend }

    /// Always true: spans are recorded (the backend's sampler may still drop them).
    public var isRecording: Bool { true }

    /// Starts a span under `parent` (a new trace when nil).
    public func startSpan(
        _ name: String, kind: AgentRuntime.SpanKind, parent: TraceContext?, attributes: [String: SpanValue]
    ) -> any TraceSpan {
        var context = ServiceContext.topLevel
        if let parent {
            backend.extract(["traceparent": parent.traceparent], into: &context, using: HeaderExtractor())
        }
        let span = backend.startSpan(name, context: context, ofKind: Self.kind(kind))
        span.attributes = Self.attributes(attributes, onto: span.attributes)
        var carrier: [String: String] = [:]
        backend.inject(span.context, into: &carrier, using: HeaderInjector())
        return Recording(span: span, context: carrier["traceparent"].flatMap(TraceContext.init(traceparent:)))
    }

    private static func kind(_ kind: AgentRuntime.SpanKind) -> Tracing.SpanKind {
        switch kind {
        case .internal: return .internal
        case .client: return .client
        case .server: return .server
        }
    }

    static func attributes(_ values: [String: SpanValue], onto base: SpanAttributes) -> SpanAttributes {
        var attributes = base
        for (key, value) in values {
            switch value {
            case .string(let text): attributes[key] = text
            case .int(let number): attributes[key] = Int64(number)
            case .double(let number): attributes[key] = number
            case .bool(let flag): attributes[key] = flag
            case .strings(let texts): attributes[key] = texts
            }
        }
        return attributes
    }

    /// A started span of the backend.
    struct Recording: TraceSpan {
        let span: Backend.Span
        let context: TraceContext?

        func setAttributes(_ attributes: [String: SpanValue]) {
            span.attributes = OTelRunTracer.attributes(attributes, onto: span.attributes)
        }

        func addEvent(_ name: String, attributes: [String: SpanValue]) {
            span.addEvent(SpanEvent(name: name, attributes: OTelRunTracer.attributes(attributes, onto: [:])))
        }

        func recordError(type: String, message: String) {
            span.attributes["error.type"] = type
            span.setStatus(SpanStatus(code: .error, message: message))
        }

        func end() { span.end() }
    }
}

/// Reads header values from a dictionary.
struct HeaderExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

/// Writes header values into a dictionary.
struct HeaderInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}
