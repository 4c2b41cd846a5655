import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Logging
import NIOTransport
import OTelTracing

/// The cost of tracing per model call: the same one-call runs (run, task and chat spans) against a zero-latency
/// model server with tracing off, and on with swift-otel's batch processor exporting OTLP/HTTP to a loopback sink.
enum TracingBenchmark {
    static func run(_ arguments: [String]) throws {
        let options = BenchmarkOptions(arguments)
        let calls = Int(options.value("--calls") ?? "") ?? 1000
        let server = try ModelServerProcess(latencyMS: 0)
        defer { server.stop() }
        let exported = Counter()
        let sink = try LoopbackHTTPServer { request in
            if request.path == "/v1/traces" { exported.add(request.body.count) }
            return .init(headers: ["Content-Type": "application/x-protobuf"], body: "")
        }
        defer { sink.stop() }
        setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.baseURL.absoluteString, 1)
        setenv("OTEL_BSP_SCHEDULE_DELAY", "200", 1)
        let semaphore = DispatchSemaphore(value: 0)
        let box = ErrorBox()
        let url = server.baseURL
        Task {
            do { try await measure(server: url, calls: calls, exported: exported) } catch { box.error = error }
            semaphore.signal()
        }
        semaphore.wait()
        if let error = box.error { throw error }
    }

    static func measure(server: URL, calls: Int, exported: Counter) async throws {
        let transport = TraceContextTransport(base: try AsyncHTTPClientTransport(environment: [:]))
        let (tracer, service) = try OTelTracingBackend.make(
            serviceName: "bench", logger: Logger(label: "bench", factory: { SwiftLogNoOpLogHandler($0) }))
        let exporter = Task { try await service.run() }
        defer { exporter.cancel() }
        let lookup: @Sendable (AgentID) -> AgentDefinition? = {
            $0 == EngineBenchmark.agent.id ? EngineBenchmark.agent : nil
        }
        let single = EngineBenchmark.crew(tasks: 1)
        var off = EngineBenchmark.environment(server, transport: transport)
        var on = off
        on.tracer = tracer
        off.tracer = NoRunTracer()
        let clock = ContinuousClock()
        func runs(_ environment: EngineEnvironment, _ count: Int) async throws -> [Double] {
            let runner = CrewRunner(environment: environment)
            var samples: [Double] = []
            for index in 0..<count {
                samples.append(
                    try await clock.measure {
                        let result = try await runner.run(
                            single, inputs: ["topic": .string("pricing \(index)")], principal: .local(),
                            agents: lookup, sink: FanOutEventSink([]))
                        precondition(result.status == .succeeded, "\(String(describing: result.error))")
                    }.microseconds)
            }
            return samples
        }
        _ = try await runs(off, 100)  // warm up
        _ = try await runs(on, 100)
        // Interleaved rounds, so drift on a shared machine hits both alike.
        var offSamples: [Double] = []
        var onSamples: [Double] = []
        for _ in 0..<10 {
            offSamples += try await runs(off, calls / 10)
            onSamples += try await runs(on, calls / 10)
        }
        let spans = 10_000
        var span: [Double] = []
        let parent = TraceContext.random()
        for _ in 0..<spans {
            span.append(
                clock.measure {
                    let started = tracer.startSpan(
                        "chat fake-model", kind: .client, parent: parent,
                        attributes: ["gen_ai.operation.name": "chat", "gen_ai.request.model": "fake-model"])
                    started.setAttributes(["gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5])
                    started.end()
                }.microseconds)
        }
        try await Task.sleep(for: .seconds(1))
        let offP50 = EngineBenchmark.median(offSamples)
        let onP50 = EngineBenchmark.median(onSamples)
        print(
            "tracing cost per model call (\(offSamples.count) one-call runs each, zero-latency model server on loopback)"
        )
        print(String(format: "  tracing off (NoRunTracer):                      p50 %7.0f µs", offP50))
        print(
            String(
                format:
                    "  tracing on (swift-otel, OTLP/HTTP to loopback): p50 %7.0f µs  → +%5.0f µs per call (3 spans)",
                onP50, onP50 - offP50))
        print(
            String(
                format: "  one span started, attributed and ended:         p50 %7.1f µs, p99 %7.1f µs",
                EngineBenchmark.median(span), CatalogBenchmark.percentile(span.sorted(), 0.99)))
        print("  exported to the loopback sink: \(exported.value) bytes of OTLP protobuf")
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var total = 0
        func add(_ bytes: Int) { lock.withLock { total += bytes } }
        var value: Int { lock.withLock { total } }
    }
}
