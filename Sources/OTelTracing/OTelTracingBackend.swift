import AgentRuntime
import Foundation
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// OpenTelemetry tracing over OTLP/HTTP (swift-otel), configured by the standard `OTEL_*` environment variables:
/// on when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (and neither
/// `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none`), off otherwise.
public enum OTelTracingBackend {
    /// Whether `environment` asks for traces to be exported.
    public static func isEnabled(_ environment: [String: String]) -> Bool {
        let endpoint = [environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], environment["OTEL_EXPORTER_OTLP_ENDPOINT"]]
            .contains { !($0 ?? "").isEmpty }
        return endpoint && environment["OTEL_SDK_DISABLED"]?.lowercased() != "true"
            && environment["OTEL_TRACES_EXPORTER"]?.lowercased() != "none"
    }

    /// The engine's tracer and the service that batches and exports its spans (run it in the process's service
    /// group; its graceful shutdown flushes what is left). `OTEL_SERVICE_NAME` defaults to `serviceName`; the
    /// exporter's own diagnostics go to `logger`. Only OTLP/HTTP is built in (`OTEL_EXPORTER_OTLP_PROTOCOL`
    /// `http/protobuf`, the default, or `http/json`).
    public static func make(serviceName: String, logger: Logger) throws -> (tracer: any RunTracer, service: any Service)
    {
        // The specification treats an empty variable as unset; swift-otel reads an empty endpoint as one given.
        for (name, value) in ProcessInfo.processInfo.environment where name.hasPrefix("OTEL_") && value.isEmpty {
            unsetenv(name)
        }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.diagnosticLogger = .custom(logger)
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.traces.enabled = true
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return (OTelRunTracer(backend: backend.factory), backend.service)
    }
}
