import AgentRuntime
import Foundation
import NIOTransport
import Tools

#if canImport(Glibc)
    import Glibc
#endif

/// What the HTTP client costs where it matters: the real `agentctl` binary (`ask`, and `serve` under load) against
/// a model server in another process, once with each HTTP client. Every process is a child, so each one's CPU is
/// its own: serve's from /proc, `ask`'s from the kernel's accounting of reaped children.
///
///   swift build -c release && .build/release/agentruntime-bench serve [--tasks 6] [--latencies 0,200]
///       [--concurrency 100,1000] [--sequential 20] [--clients nio,urlsession] [--ask-runs 3]
enum ServeBenchmark {
    static func run(_ arguments: [String]) throws {
        let options = BenchmarkOptions(arguments)
        let tasks = Int(options.value("--tasks") ?? "") ?? 6
        let latencies = (options.value("--latencies") ?? "0,200").split(separator: ",").compactMap { Int($0) }
        let concurrency = (options.value("--concurrency") ?? "100,1000").split(separator: ",").compactMap { Int($0) }
        let sequential = Int(options.value("--sequential") ?? "") ?? 20
        let clients = (options.value("--clients") ?? "nio,urlsession").split(separator: ",").map(String.init)
        let askRuns = Int(options.value("--ask-runs") ?? "") ?? 3
        let agentctl = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()
            .appendingPathComponent("agentctl")
        guard FileManager.default.isExecutableFile(atPath: agentctl.path) else {
            throw BenchmarkError("\(agentctl.path) not found: build every product first (swift build -c release)")
        }
        print(
            "HTTP client cost, measured on the release agentctl (clients: \(clients.joined(separator: ", ")); URLSession is the client before the NIO transport)"
        )
        if askRuns > 0 {
            try ask(agentctl: agentctl, clients: clients, runs: askRuns)
            try connector(clients: clients)
        }
        for latency in latencies {
            let model = try ModelServerProcess(latencyMS: latency)
            defer { model.stop() }
            let modelPort = model.baseURL.port!
            if latency > 0 {
                for count in concurrency {
                    try modelCapacity(port: modelPort, sessions: count, calls: tasks, latencyMS: latency)
                }
            }
            for client in clients {
                let serve = try ServeProcess(agentctl: agentctl, model: model.baseURL, tasks: tasks, client: client)
                defer { serve.stop() }
                try measureSequential(
                    serve, model: model, runs: latency == 0 ? max(sequential, 100) : sequential, tasks: tasks,
                    latencyMS: latency, client: client)
                for count in concurrency {
                    try measureConcurrent(
                        serve, model: model, runs: count, tasks: tasks, latencyMS: latency, client: client)
                }
            }
        }
    }

    // MARK: agentctl ask and a connector call against a server that answers after 1 s

    static func ask(agentctl: URL, clients: [String], runs: Int) throws {
        let model = try ModelServerProcess(latencyMS: 1000)
        defer { model.stop() }
        print(
            "agentctl ask against a model that answers after 1 s (CPU of the agentctl process, median of \(runs); before: 0.98 s)"
        )
        for client in clients {
            for streamed in [true, false] {
                var cpu: [Double] = []
                var wall: [Double] = []
                for _ in 0..<runs {
                    let process = Process()
                    process.executableURL = agentctl
                    process.arguments = ["ask", "hello", "--model", "bench/fake-model"] + (streamed ? [] : ["--json"])
                    process.environment = [
                        "OPENAI_API_KEY": "", "AGENTRUNTIME_HTTP_CLIENT": client,
                        "AGENTRUNTIME_CONFIG": try benchConfig(model.baseURL, maxConnections: 64).path,
                        "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin",
                    ]
                    process.standardOutput = FileHandle.nullDevice
                    process.standardError = FileHandle.nullDevice
                    let before = childrenCPUSeconds()
                    let started = ContinuousClock.now
                    try process.run()
                    process.waitUntilExit()
                    wall.append((ContinuousClock.now - started).seconds)
                    cpu.append(childrenCPUSeconds() - before)
                    guard process.terminationStatus == 0 else {
                        throw BenchmarkError("agentctl ask exited with \(process.terminationStatus)")
                    }
                }
                print(
                    String(
                        format: "  %-10@ %-12@ CPU %.3f s · wall %.2f s", client as NSString,
                        (streamed ? "streamed" : "not streamed") as NSString,
                        EngineBenchmark.median(cpu), EngineBenchmark.median(wall)))
            }
        }
    }

    static func connector(clients: [String]) throws {
        let server = try ModelServerProcess(latencyMS: 1000, extra: ["--any-path"])
        defer { server.stop() }
        let url = server.baseURL.appendingPathComponent("wp-json/wp/v2/posts")
        print("one connector call through ConnectorClient to a service that answers after 1 s (CPU of this process)")
        for client in clients {
            let transport: any HTTPTransport =
                client == "urlsession" ? URLSessionTransport() : try AsyncHTTPClientTransport(environment: [:])
            let connectors = ConnectorClient(
                transport: RedirectingTransport(transport), settings: TenantConnectorSettings(tenants: [:]))
            for method in ["GET", "POST"] {
                var request = HTTPRequest(method: method, url: url, headers: ["Content-Type": "application/json"])
                if method == "POST" {
                    request.body = Array(#"{"properties":{"email":"ada@example.com","firstname":"Ada"}}"#.utf8)
                }
                let call = request
                let samples = try blocking { () async throws -> [Double] in
                    // The first call opens the connection; the others reuse it.
                    let first = EngineBenchmark.cpuSeconds()
                    _ = try await connectors.send(call, connector: "bench")
                    var samples: [Double] = [EngineBenchmark.cpuSeconds() - first]
                    for _ in 0..<3 {
                        let before = EngineBenchmark.cpuSeconds()
                        _ = try await connectors.send(call, connector: "bench")
                        samples.append(EngineBenchmark.cpuSeconds() - before)
                    }
                    return samples
                }
                print(
                    String(
                        format: "  %-10@ %-4@ CPU %.3f s on a new connection, %.3f s on a kept-alive one (median of 3)",
                        client as NSString, method as NSString,
                        samples[0], EngineBenchmark.median(Array(samples.dropFirst()))))
            }
        }
    }

    // MARK: serve

    static func measureSequential(
        _ serve: ServeProcess, model: ModelServerProcess, runs: Int, tasks: Int, latencyMS: Int, client: String
    ) throws {
        let warm = try LoadClientProcess.run(port: serve.port, runs: 5, extra: ["--sequential"])
        guard warm.failures == 0 else { throw BenchmarkError("warm-up runs failed: \(warm.firstFailure ?? "?")") }
        let idleBefore = EngineBenchmark.processCPUSeconds(serve.pid)
        Thread.sleep(forTimeInterval: 3)
        let idle = (EngineBenchmark.processCPUSeconds(serve.pid) - idleBefore) / 3
        let serveBefore = EngineBenchmark.processCPUSeconds(serve.pid)
        let modelBefore = EngineBenchmark.processCPUSeconds(model.process.processIdentifier)
        let load = try LoadClientProcess.run(port: serve.port, runs: runs, extra: ["--sequential"])
        let serveCPU = EngineBenchmark.processCPUSeconds(serve.pid) - serveBefore
        let modelCPU = EngineBenchmark.processCPUSeconds(model.process.processIdentifier) - modelBefore
        let calls = Double(runs * tasks)
        let perRun = EngineBenchmark.median(load.seconds)
        let added = (perRun - Double(tasks * latencyMS) / 1000) / Double(tasks)
        print(
            String(
                format:
                    "serve · %@ · model latency %d ms · %d %d-call crews one after another: serve CPU %.1f ms per crew (%.2f ms per model call) · response %.0f ms per crew (%.2f ms per call over the model's latency, model server's own CPU %.2f ms per call included) · serve idle CPU %.1f ms/s · errors %d",
                client, latencyMS, runs, tasks, serveCPU / Double(runs) * 1000, serveCPU / calls * 1000, perRun * 1000,
                added * 1000,
                modelCPU / calls * 1000, idle * 1000, load.failures))
    }

    static func measureConcurrent(
        _ serve: ServeProcess, model: ModelServerProcess, runs: Int, tasks: Int, latencyMS: Int, client: String
    ) throws {
        let serveBefore = EngineBenchmark.processCPUSeconds(serve.pid)
        let modelBefore = EngineBenchmark.processCPUSeconds(model.process.processIdentifier)
        let load = try LoadClientProcess.run(port: serve.port, runs: runs)
        let wall = load.wall
        let serveCPU = EngineBenchmark.processCPUSeconds(serve.pid) - serveBefore
        let modelCPU = EngineBenchmark.processCPUSeconds(model.process.processIdentifier) - modelBefore
        let throughput = Double(runs) / wall
        let times = load.seconds.sorted()
        var line = String(
            format:
                "serve · %@ · model latency %d ms · %d concurrent %d-call crews: wall %.2f s (first request to last answer) · %.0f crews/s",
            client, latencyMS, runs, tasks, wall, throughput)
        if !times.isEmpty {
            line += String(
                format: " · response p50 %.0f ms, p99 %.0f ms, max %.0f ms", times[times.count / 2] * 1000,
                times[min(times.count - 1, times.count * 99 / 100)] * 1000, times.last! * 1000)
        }
        if latencyMS > 0 {
            let ideal = Double(runs) / (Double(tasks * latencyMS) / 1000)
            line += String(format: " (ideal %.0f: %.0f%%)", ideal, throughput / ideal * 100)
        }
        line += String(
            format:
                " · serve CPU %.2f s (%.1f ms per crew, %.0f%% of 2 cores) · model-server CPU %.2f s · serve peak RSS %.0f MB · errors %d%@",
            serveCPU, serveCPU / Double(runs) * 1000, serveCPU / wall / 2 * 100, modelCPU, serve.peakMemoryMB(),
            load.failures,
            load.firstFailure.map { " (first: \($0.prefix(120)))" } ?? "")
        print(line)
    }

    /// The model server alone, under the same pattern (N sessions, each `calls` streamed calls one after another
    /// over one keep-alive connection): what it can serve, so that serve's figures can be read against it.
    static func modelCapacity(port: Int, sessions: Int, calls: Int, latencyMS: Int) throws {
        let load = try LoadClientProcess.run(port: port, runs: sessions, extra: ["--model-calls", String(calls)])
        let wall = load.wall
        let ideal = Double(calls * latencyMS) / 1000
        print(
            String(
                format:
                    "model server alone · latency %d ms · %d concurrent sessions of %d streamed calls: wall %.2f s (ideal %.2f s: %.0f%% of ideal) · errors %d%@",
                latencyMS, sessions, calls, wall, ideal, ideal / wall * 100, load.failures,
                load.firstFailure.map { " (first: \($0.prefix(120)))" } ?? ""))
    }

    /// `agentruntime.json` for the benchmark: one OpenAI-compatible provider on the model server.
    static func benchConfig(_ model: URL, maxConnections: Int) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "bench-config-\(UUID().uuidString).json")
        let config: JSONValue = [
            "default_model": "bench/fake-model",
            "providers": [
                "bench": [
                    "kind": "openai", "base_url": .string(model.appendingPathComponent("v1").absoluteString),
                    "max_retries": 0,
                ]
            ],
            "prices": ["bench/*": ["input": 1, "output": 2]],
            "http": ["max_connections_per_host": .int(maxConnections)],
        ]
        try config.serialized().write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Runs async work from this synchronous command and waits for it.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task {
            box.result = await Result { try await work() }
            semaphore.signal()
        }
        semaphore.wait()
        return try box.result!.get()
    }
}

final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// `agentctl serve` in a child process, on a workspace of its own: one agent, one crew of `tasks` sequential tasks,
/// tenant `bench`, the model server as provider `bench`, a SQLite store (or `store`). Killed with SIGKILL when done.
final class ServeProcess {
    let process = Process()
    let port: Int
    let workspace: URL
    var pid: Int32 { process.processIdentifier }

    init(
        agentctl: URL, model: URL, tasks: Int, client: String, store: String = "runs.sqlite", extra: [String] = []
    ) throws {
        workspace = FileManager.default.temporaryDirectory.appendingPathComponent("bench-serve-\(UUID().uuidString)")
        _ = try GatewayBenchmark.catalog(tasks: tasks, in: workspace)
        let tenants = workspace.appendingPathComponent("tenants")
        try FileManager.default.createDirectory(at: tenants, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: workspace.appendingPathComponent("knowledge"), withIntermediateDirectories: true)
        try #"{"id": "bench", "name": "Bench", "connectors": {}, "tool_deny": []}"#.write(
            to: tenants.appendingPathComponent("bench.json"), atomically: true, encoding: .utf8)
        let config = try ServeBenchmark.benchConfig(model, maxConnections: 2048)
        let log = workspace.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = agentctl
        process.currentDirectoryURL = workspace
        process.arguments =
            [
                "serve", "--port", "0", "--agents-dir", "agents", "--tenants-dir", "tenants", "--knowledge-dir",
                "knowledge", "--config", config.path,
                "--store", store, "--token-ref", "env:BENCH_TOKEN", "--concurrent-runs", "100000",
                "--requests-per-minute", "100000000",
            ] + extra
        process.environment = [
            "BENCH_TOKEN": GatewayBenchmark.token, "AGENTRUNTIME_HTTP_CLIENT": client,
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on http://127.0.0.1:"),
                let port = Int(text[range.upperBound...].prefix { $0.isNumber })
            {
                self.port = port
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(process.processIdentifier, SIGKILL)
        throw BenchmarkError("agentctl serve did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    /// Peak resident memory of the serve process, from /proc.
    func peakMemoryMB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        try? FileManager.default.removeItem(at: workspace)
    }
}
