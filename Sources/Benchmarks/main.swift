// agentruntime-bench: benchmarks that print numbers (not timed tests).
//
//   swift run -c release agentruntime-bench catalog [--agents-dir DIR] [--knowledge-dir DIR] [--iterations N]
//   swift run -c release agentruntime-bench providers [--iterations N]
//   swift run -c release agentruntime-bench engine [--calls N] [--crews 100,1000] [--latency-ms 200]
//   swift run -c release agentruntime-bench knowledge [--megabytes 10] [--queries N]
//   swift run -c release agentruntime-bench redaction [--iterations N]
//   swift run -c release agentruntime-bench tracing [--calls N]
//   swift run -c release agentruntime-bench gateway [--runs 1000] [--tasks 1] [--latency-ms 200]
//   swift build -c release && .build/release/agentruntime-bench serve [--tasks 6] [--latencies 0,200] [--concurrency 100,1000]
//       [--sequential 20] [--clients nio,urlsession] [--ask-runs 3]
//   swift build -c release && .build/release/agentruntime-bench replicas [--replicas 1,2,3] [--runs 300] [--tasks 6]
//       [--latency-ms 200] [--sequential 30]
//
// Build in release mode for meaningful figures.

import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let benchmarks: [String: ([String]) throws -> Void] = [
    "catalog": CatalogBenchmark.run,
    "providers": ProviderBenchmark.run,
    "engine": EngineBenchmark.run,
    "knowledge": KnowledgeBenchmark.run,
    "gateway": GatewayBenchmark.run,
    "serve": ServeBenchmark.run,
    "replicas": ReplicasBenchmark.run,
    "redaction": RedactionBenchmark.run,
    "tracing": TracingBenchmark.run,
    "model-server": ModelServerCommand.run,
    "load-client": LoadClientCommand.run,
]

guard let name = arguments.first, let benchmark = benchmarks[name] else {
    FileHandle.standardError.write(
        Data("usage: agentruntime-bench <\(benchmarks.keys.sorted().joined(separator: "|"))> [options]\n".utf8))
    exit(2)
}
do {
    try benchmark(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
