import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import Tools

#if canImport(Glibc)
    import Glibc
#endif

/// N concurrent runs posted over HTTP (`POST /v1/crews/{id}/runs`, `wait: true`) to the gateway, whose agents call a
/// fake OpenAI-compatible model server (a child process) with fixed latency. Prints throughput, the latency the
/// gateway adds on top of the model's, errors and peak memory.
enum GatewayBenchmark {
    static func run(_ arguments: [String]) throws {
        let options = BenchmarkOptions(arguments)
        let runs = Int(options.value("--runs") ?? "") ?? 1000
        let tasks = Int(options.value("--tasks") ?? "") ?? 1
        let latency = Int(options.value("--latency-ms") ?? "") ?? 200
        let model = try ModelServerProcess(latencyMS: latency)
        defer { model.stop() }
        let modelURL = model.baseURL
        let modelPID = model.process.processIdentifier
        let semaphore = DispatchSemaphore(value: 0)
        let box = ErrorBox()
        Task {
            do {
                try await measure(runs: runs, tasks: tasks, latencyMS: latency, model: modelURL, modelPID: modelPID)
            } catch {
                box.error = error
            }
            semaphore.signal()
        }
        semaphore.wait()
        if let error = box.error { throw error }
    }

    static let token = "bench-token"

    /// A catalog on disk with one agent and one crew of `tasks` sequential tasks, loaded like the real one.
    static func catalog(tasks: Int, in directory: URL) throws -> CatalogHolder {
        let agents = directory.appendingPathComponent("agents")
        try FileManager.default.createDirectory(
            at: agents.appendingPathComponent("bench"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: agents.appendingPathComponent("crews"), withIntermediateDirectories: true)
        let agent: JSONValue = [
            "id": "analyst", "name": "Analyst", "category": "bench", "role": "Analyst", "goal": "Answer briefly",
            "backstory": "Answers questions in one line.", "model": "bench/fake-model", "temperature": 0.2,
        ]
        let taskList: [JSONValue] = (1...tasks).map { index in
            [
                "id": .string("t\(index)"), "description": .string("Step \(index) about {topic}"),
                "expected_output": "One line", "agent": "analyst",
            ]
        }
        let crew: JSONValue = [
            "id": "bench", "name": "Bench", "description": "Benchmark crew", "process": "sequential",
            "agents": ["analyst"],
            "inputs": ["topic": ["description": "What to answer about"]], "tasks": .array(taskList),
        ]
        try agent.serialized().write(
            to: agents.appendingPathComponent("bench/analyst.json"), atomically: true, encoding: .utf8)
        try crew.serialized().write(
            to: agents.appendingPathComponent("crews/bench.json"), atomically: true, encoding: .utf8)
        let loader = CatalogLoader(
            agentsDirectory: agents, knowledgeDirectory: nil, knownTools: ToolRegistry.standardIDs)
        let loaded = try loader.load()
        guard loaded.errorCount == 0, loaded.crew("bench") != nil else {
            throw BenchmarkError(
                "the benchmark catalog did not load: \(loaded.diagnostics.map { "\($0.file) \($0.pointer): \($0.message)" }.joined(separator: "; "))"
            )
        }
        return CatalogHolder(catalog: loaded, loader: loader)
    }

    static func measure(runs: Int, tasks: Int, latencyMS: Int, model: URL, modelPID: Int32) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "bench-gateway-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let holder = try catalog(tasks: tasks, in: directory)
        let settings = ProviderSettings(
            name: "bench", kind: .openai, baseURL: model.appendingPathComponent("v1"), apiKey: nil,
            retry: RetryPolicy(maxRetries: 0))
        let config = RuntimeConfig(
            providers: ["bench": settings], defaultModel: ModelReference(provider: "bench", model: "fake-model"),
            prices: PriceTable(["bench/*": ModelPrice(input: 1, output: 2)]))
        let registry = ProviderRegistry(
            config: config, transport: URLSessionTransport(maximumConnectionsPerHost: 4096), environment: [:])
        let store = try SQLiteRunStore(path: directory.appendingPathComponent("runs.sqlite").path)
        let tenants: [TenantID: TenantDefinition] = ["bench": TenantDefinition(id: "bench", name: "Bench")]
        let environment = EngineEnvironment(
            models: registry, tools: ToolRegistry.builtins(), policy: TenantToolPolicy(tenants: tenants),
            streaming: false)
        let services = GatewayServices(
            configuration: GatewayConfiguration(
                serviceToken: token, requestsPerMinutePerTenant: 1_000_000, concurrentRunsPerTenant: 100_000),
            catalog: holder, tenants: tenants, environment: { _ in environment }, store: store, secrets: nil)
        let bound = PortBox()
        let server = Task { try await Gateway.run(services, host: "127.0.0.1", port: 0) { port in bound.set(port) } }
        defer { server.cancel() }
        let port = try await bound.wait()

        // The load comes from a child process with one blocking socket per request, so the gateway's CPU and memory
        // are its own and the client costs next to nothing (URLSession with a thousand connections would cost more than the gateway).
        let warm = try await LoadClientProcess.start(port: port, runs: 5)
        guard warm.failures == 0 else { throw BenchmarkError("warm-up runs failed: \(warm.firstFailure ?? "?")") }
        let storedBefore = try await store.count(tenant: "bench", user: nil, status: .succeeded, crew: "bench")
        let modelBefore = EngineBenchmark.processCPUSeconds(modelPID)
        let cpuBefore = EngineBenchmark.cpuSeconds()
        let started = ContinuousClock.now
        let load = try await LoadClientProcess.start(port: port, runs: runs)
        let wall = (ContinuousClock.now - started).seconds
        let cpu = EngineBenchmark.cpuSeconds() - cpuBefore
        let modelCPU = EngineBenchmark.processCPUSeconds(modelPID) - modelBefore
        let ideal = Double(tasks * latencyMS) / 1000
        let added = load.seconds.map { ($0 - ideal) * 1000 }.sorted()
        let errors = load.failures
        guard !added.isEmpty else { throw BenchmarkError("no results from the load client") }
        let stored = try await store.count(tenant: "bench", user: nil, status: .succeeded, crew: "bench")
        print(
            "\(runs) concurrent runs posted over HTTP (POST /v1/crews/bench/runs, wait: true), \(tasks) task(s) each, model latency \(latencyMS) ms"
        )
        print(
            String(
                format: "  wall %.3f s · throughput %.0f runs/s · ideal per run %.0f ms", wall, Double(runs) / wall,
                ideal * 1000))
        print(
            String(
                format: "  added latency per run (response time − model time): p50 %.0f ms · p99 %.0f ms · max %.0f ms",
                added[added.count / 2], added[min(added.count - 1, added.count * 99 / 100)], added.last ?? 0))
        print(
            String(
                format:
                    "  errors %d%@ · runs stored as succeeded %d · gateway CPU %.2f s (%.2f ms per run) · load-client CPU %.2f s · model-server CPU %.2f s · gateway peak RSS %.1f MB",
                errors, load.firstFailure.map { " (first: \($0))" } ?? "", stored - storedBefore, cpu,
                cpu / Double(runs) * 1000, load.cpuSeconds, modelCPU,
                EngineBenchmark.peakMemoryMB()))
    }
}

/// `agentruntime-bench load-client --port P --runs N [--sequential] [--model-calls K]`: posts N runs at once, one
/// thread and one blocking socket each (`--sequential`: one after another), and prints `ok <seconds>` or
/// `fail <reason>` per request, then `cpu <seconds>`. `--ports P1,P2,…` instead of `--port` spreads the runs over
/// several servers (replicas), round-robin. With `--model-calls K`, P is a model server instead: N
/// sessions at once, each K streamed chat completions one after another over one keep-alive connection.
enum LoadClientCommand {
    static func run(_ arguments: [String]) throws {
        let options = BenchmarkOptions(arguments)
        let ports = (options.value("--ports") ?? options.value("--port") ?? "").split(separator: ",").compactMap {
            Int($0)
        }
        guard !ports.isEmpty else { throw BenchmarkError("--port (or --ports) is required") }
        let runs = Int(options.value("--runs") ?? "") ?? 1000
        let modelCalls = Int(options.value("--model-calls") ?? "")
        if arguments.contains("--sequential") {
            for index in 0..<runs {
                let began = ContinuousClock.now
                let outcome = exchange(port: ports[index % ports.count], request: Array(runRequest(index).utf8))
                print(outcome == nil ? "ok \((ContinuousClock.now - began).seconds)" : "fail \(outcome!)")
            }
            print("cpu \(EngineBenchmark.cpuSeconds())")
            return
        }
        let lines = LockedLines()
        let group = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for index in 0..<runs {
            group.enter()
            let thread = Thread {
                start.wait()
                let began = ContinuousClock.now
                let port = ports[index % ports.count]
                let outcome =
                    modelCalls.map { modelSession(port: port, calls: $0) }
                    ?? exchange(port: port, request: Array(runRequest(index).utf8))
                let seconds = (ContinuousClock.now - began).seconds
                lines.append(outcome == nil ? "ok \(seconds)" : "fail \(outcome!)")
                group.leave()
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        let began = ContinuousClock.now
        for _ in 0..<runs { start.signal() }
        group.wait()
        print("wall \((ContinuousClock.now - began).seconds)")
        for line in lines.all { print(line) }
        print("cpu \(EngineBenchmark.cpuSeconds())")
    }

    /// `POST /v1/crews/bench/runs` waiting for the result, over a connection of its own.
    static func runRequest(_ index: Int) -> String {
        let body = #"{"inputs": {"topic": "pricing \#(index)"}, "wait": true}"#
        return
            "POST /v1/crews/bench/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(GatewayBenchmark.token)\r\n"
            + "X-Tenant-ID: bench\r\nX-User-ID: bench-user\r\nX-User-Roles: tenant_user\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
    }

    /// A connected blocking socket to 127.0.0.1:`port`, or what went wrong.
    static func connectSocket(port: Int) -> Result<Int32, BenchmarkError> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(BenchmarkError("socket: errno \(errno)")) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            return .failure(BenchmarkError("connect: errno \(errno)"))
        }
        return .success(fd)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return "write: errno \(errno)" }
            sent += count
        }
        return nil
    }

    /// `calls` streamed chat completions over one keep-alive connection; nil when every one ended well.
    static func modelSession(port: Int, calls: Int) -> String? {
        let fd: Int32
        switch connectSocket(port: port) {
        case .success(let socket): fd = socket
        case .failure(let error): return error.description
        }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        for call in 0..<calls {
            let body = #"{"model":"fake-model","stream":true,"messages":[{"role":"user","content":"Step \#(call)"}]}"#
            let request =
                "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                + body
            if let failure = writeAll(fd, Array(request.utf8)) { return failure }
            var response: [UInt8] = []
            while !response.reversed().starts(with: Array("0\r\n\r\n".utf8).reversed()) {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count <= 0 { return "read: connection ended (errno \(errno))" }
                response.append(contentsOf: buffer[0..<count])
            }
            guard response.starts(with: Array("HTTP/1.1 200".utf8)) else {
                return String(decoding: response.prefix(120), as: UTF8.self)
            }
        }
        return nil
    }

    /// One request over a new connection; nil when the answer is 200 with a succeeded run, else what went wrong.
    static func exchange(port: Int, request: [UInt8]) -> String? {
        let fd: Int32
        switch connectSocket(port: port) {
        case .success(let socket): fd = socket
        case .failure(let error): return error.description
        }
        defer { close(fd) }
        if let failure = writeAll(fd, request) { return failure }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 { return "read: errno \(errno)" }
            if count == 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200") else {
            return String(text.prefix(200)).replacingOccurrences(of: "\r\n", with: " ")
        }
        guard text.contains(#""status":"succeeded""#) else { return "run did not succeed: " + String(text.suffix(300)) }
        return nil
    }
}

/// Lines collected from many threads.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

/// Runs `load-client` as a child process and reads its results.
enum LoadClientProcess {
    struct Results {
        var seconds: [Double] = []
        var failures = 0
        var firstFailure: String?
        var cpuSeconds = 0.0
        /// From the first request sent to the last answer received (without the client process's start).
        var wall = 0.0
    }

    /// Waits for the child on a thread of its own, keeping the (two-thread) cooperative pool free for the gateway.
    static func start(port: Int, runs: Int) async throws -> Results {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try run(port: port, runs: runs) }) }.start()
        }
    }

    static func run(port: Int, runs: Int, extra: [String] = []) throws -> Results {
        try run(ports: [port], runs: runs, extra: extra)
    }

    /// Runs spread round-robin over `ports`.
    static func run(ports: [Int], runs: Int, extra: [String] = []) throws -> Results {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments =
            ["load-client", "--ports", ports.map(String.init).joined(separator: ","), "--runs", String(runs)] + extra
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var results = Results()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("ok "), let seconds = Double(line.dropFirst(3)) {
                results.seconds.append(seconds)
            } else if line.hasPrefix("wall "), let seconds = Double(line.dropFirst(5)) {
                results.wall = seconds
            } else if line.hasPrefix("cpu "), let seconds = Double(line.dropFirst(4)) {
                results.cpuSeconds = seconds
            } else if line.hasPrefix("fail ") {
                results.failures += 1
                if results.firstFailure == nil { results.firstFailure = String(line.dropFirst(5)) }
            }
        }
        results.failures += max(0, runs - results.seconds.count - results.failures)
        return results
    }
}
