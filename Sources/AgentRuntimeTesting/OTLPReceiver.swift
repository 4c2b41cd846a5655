import AgentRuntime
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real OTLP/HTTP trace receiver this project did not write the decoding of: a small Python server that takes
/// `POST /v1/traces` (protobuf, optionally gzip), decodes it with the `opentelemetry-proto` package from PyPI
/// (pinned, in a virtual environment under the temporary directory), and appends each span as one JSON object per
/// line (`trace_id`, `span_id`, `parent_span_id`, `name`, `kind`, `status_code`, `attributes`, `events`, `resource`)
/// to a file the test reads.
public final class OTLPReceiver: Sendable {
    /// The pinned `opentelemetry-proto` version.
    public static let protoVersion = "1.45.2"
    /// The pinned `protobuf` version it runs on.
    public static let protobufVersion = "6.33.6"

    /// The base URL to give as `OTEL_EXPORTER_OTLP_ENDPOINT`.
    public let endpoint: URL
    private let process: Process
    private let spansFile: URL
    private let directory: TemporaryDirectory

    private init(endpoint: URL, process: Process, spansFile: URL, directory: TemporaryDirectory) {
        self.endpoint = endpoint
        self.process = process
        self.spansFile = spansFile
        self.directory = directory
    }

    /// Starts a receiver on a free loopback port (making the Python environment first when missing).
    public static func start() async throws -> OTLPReceiver {
        let python = try await preparation.value
        let directory = try TemporaryDirectory()
        let script = directory.url.appendingPathComponent("otlp_receiver.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let spans = directory.url.appendingPathComponent("spans.jsonl")
        let portFile = directory.url.appendingPathComponent("port")
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path, spans.path, portFile.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), text.hasSuffix("\n"),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return OTLPReceiver(
                    endpoint: URL(string: "http://127.0.0.1:\(port)")!, process: process, spansFile: spans,
                    directory: directory)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGKILL)
        throw TestPeerError("the OTLP receiver did not start")
    }

    /// The spans received so far, in arrival order.
    public func spans() -> [JSONValue] {
        let text = (try? String(contentsOf: spansFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONParser.value(Array($0.utf8)) }
    }

    /// Waits until `done` holds for the spans received (at most `timeout`); returns them.
    public func spans(
        within timeout: Duration = .seconds(30), until done: ([JSONValue]) -> Bool
    ) async throws -> [JSONValue] {
        let deadline = ContinuousClock.now + timeout
        var received = spans()
        while !done(received), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            received = spans()
        }
        return received
    }

    /// Stops the server.
    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        directory.remove()
    }

    private static let preparation = Task<URL, any Error> {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    with: Result {
                        try PythonVirtualEnvironment.prepare(
                            name: "otlp-\(protoVersion)",
                            packages: ["opentelemetry-proto==\(protoVersion)", "protobuf==\(protobufVersion)"])
                    })
            }
            thread.name = "python-otlp-environment"
            thread.start()
        }
    }

    private static let script = #"""
        import gzip, http.server, json, sys, threading
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

        spans_path, port_path = sys.argv[1], sys.argv[2]
        lock = threading.Lock()

        def value(v):
            kind = v.WhichOneof("value")
            if kind == "array_value":
                return [value(item) for item in v.array_value.values]
            return getattr(v, kind) if kind else None

        def attributes(items):
            return {item.key: value(item.value) for item in items}

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                lines = []
                for resource_spans in request.resource_spans:
                    resource = attributes(resource_spans.resource.attributes)
                    for scope_spans in resource_spans.scope_spans:
                        for span in scope_spans.spans:
                            lines.append(json.dumps({
                                "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                                "parent_span_id": span.parent_span_id.hex(), "name": span.name, "kind": span.kind,
                                "status_code": span.status.code, "attributes": attributes(span.attributes),
                                "events": [event.name for event in span.events], "resource": resource,
                            }))
                with lock:
                    with open(spans_path, "a") as out:
                        out.write("".join(line + "\n" for line in lines))
                answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        with open(port_path + ".tmp", "w") as f:
            f.write(f"{server.server_address[1]}\n")
        import os
        os.rename(port_path + ".tmp", port_path)
        server.serve_forever()
        """#
}
