import AgentRuntime
import AgentRuntimeTesting
import Foundation
import NIOTransport
import Tools

#if canImport(Glibc)
    import Glibc
#endif

/// Orchestration overhead and concurrency of the engine against real HTTP model servers
/// (child processes, so their CPU and memory are not counted here).
enum EngineBenchmark {
    static func run(_ arguments: [String]) throws {
        let options = BenchmarkOptions(arguments)
        let latency = Int(options.value("--latency-ms") ?? "") ?? 200
        let crewCounts = (options.value("--crews") ?? "100,1000").split(separator: ",").compactMap { Int($0) }
        let calls = Int(options.value("--calls") ?? "") ?? 500

        let fast = try ModelServerProcess(latencyMS: 0)
        defer { fast.stop() }
        let slow = try ModelServerProcess(latencyMS: latency)
        defer { slow.stop() }

        let semaphore = DispatchSemaphore(value: 0)
        let box = ErrorBox()
        let fastURL = fast.baseURL
        let slowURL = slow.baseURL
        let slowPID = slow.process.processIdentifier
        Task {
            do {
                try await overhead(server: fastURL, calls: calls)
                for count in crewCounts {
                    try await concurrency(server: slowURL, crews: count, latencyMS: latency, serverPID: slowPID)
                }
            } catch {
                box.error = error
            }
            semaphore.signal()
        }
        semaphore.wait()
        if let error = box.error { throw error }
    }

    static let agent = AgentDefinition(
        id: "analyst", name: "Analyst", category: "bench", role: "Analyst", goal: "Answer",
        backstory: "Answers questions briefly.",
        model: ModelReference(provider: "bench", model: "fake-model"), temperature: 0.2)

    static func environment(_ server: URL, transport: any HTTPTransport) -> EngineEnvironment {
        let settings = ProviderSettings(
            name: "bench", kind: .openai, baseURL: server.appendingPathComponent("v1"), apiKey: nil,
            retry: RetryPolicy(maxRetries: 0))
        let config = RuntimeConfig(
            providers: ["bench": settings], defaultModel: agent.model,
            prices: PriceTable(["bench/*": ModelPrice(input: 1, output: 2)]))
        return EngineEnvironment(
            models: ProviderRegistry(config: config, transport: transport, environment: [:]),
            tools: ToolRegistry.builtins(), streaming: false)
    }

    static func crew(tasks: Int) -> CrewDefinition {
        CrewDefinition(
            id: "bench", name: "Bench", process: .sequential, agents: [agent.id], inputs: [CrewInput(name: "topic")],
            tasks: (1...tasks).map {
                CrewTask(
                    id: TaskID("t\($0)"), description: "Step \($0) about {topic}", expectedOutput: "One line",
                    agent: agent.id)
            })
    }

    /// Per-call time of the whole engine (prompt, events, accounting, provider client) versus a bare HTTP call.
    static func overhead(server: URL, calls: Int) async throws {
        let transport = try AsyncHTTPClientTransport(environment: [:])
        let format = OpenAIChatFormat(
            provider: "bench", endpoint: .standard(baseURL: server.appendingPathComponent("v1")), authentication: .none,
            apiKey: nil)
        let request = try format.makeRequest(
            ChatRequest(
                model: "fake-model",
                messages: [.system(PromptBuilder.system(for: agent)), .user("Step 1 about pricing")]), stream: false)
        for _ in 0..<50 { _ = try await transport.send(request) }  // warm the connection
        let clock = ContinuousClock()
        var raw: [Double] = []
        for _ in 0..<calls {
            raw.append(try await clock.measure { _ = try await transport.send(request) }.microseconds)
        }
        let runner = CrewRunner(environment: environment(server, transport: transport))
        let single = crew(tasks: 1)
        let lookup: @Sendable (AgentID) -> AgentDefinition? = { $0 == agent.id ? agent : nil }
        var engine: [Double] = []
        for index in 0..<calls {
            engine.append(
                try await clock.measure {
                    let result = try await runner.run(
                        single, inputs: ["topic": .string("pricing \(index)")], principal: .local(), agents: lookup,
                        sink: FanOutEventSink([]))
                    precondition(result.status == .succeeded, "\(String(describing: result.error))")
                }.microseconds)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteRunStore(path: directory.appendingPathComponent("runs.sqlite").path)
        var stored: [Double] = []
        for index in 0..<calls {
            stored.append(
                try await clock.measure {
                    let id = RunID(UUID().uuidString)
                    try await store.insert(
                        RunRecord(id: id, tenant: "bench", user: "b", crew: "bench", status: .running, inputs: [:]))
                    let result = try await runner.run(
                        single, inputs: ["topic": .string("pricing \(index)")], principal: .local(), agents: lookup,
                        runID: id, sink: RunStoreEventSink(store: store))
                    try await store.update(
                        RunRecord(id: id, tenant: "bench", user: "b", crew: "bench", status: .running, inputs: [:])
                            .finished(with: result))
                    try await store.saveTasks(result.tasks, of: id)
                }.microseconds)
        }
        // The same through the run lifecycle: the run and its definitions stored, every step journaled before the next.
        let lifecycle = RunLifecycle(store: store)
        var journaled: [Double] = []
        for index in 0..<calls {
            journaled.append(
                try await clock.measure {
                    let (record, definition) = try await lifecycle.submit(
                        single, inputs: ["topic": .string("pricing \(index)")], principal: .local(), agents: lookup)
                    guard
                        case .success(let result) = await lifecycle.execute(
                            record, definition: definition, environment: environment(server, transport: transport)),
                        result.status == .succeeded
                    else { throw BenchmarkError("a journaled run failed") }
                }.microseconds)
        }
        let rawP50 = median(raw)
        let engineP50 = median(engine)
        let storedP50 = median(stored)
        let journaledP50 = median(journaled)
        print(
            "orchestration overhead per LLM call (zero-latency model server on loopback, \(calls) sequential one-call runs, SQLite on disk)"
        )
        print(String(format: "  bare HTTP call (NIO, loopback):                      p50 %7.0f µs", rawP50))
        print(
            String(
                format:
                    "  engine run, one call, no store:                     p50 %7.0f µs  → overhead %6.0f µs per call",
                engineP50, engineP50 - rawP50))
        print(
            String(
                format:
                    "  engine run, one call, SQLite store (events):        p50 %7.0f µs  → overhead %6.0f µs per call",
                storedP50, storedP50 - rawP50))
        print(
            String(
                format:
                    "  run lifecycle, one call, store + journal + exchange: p50 %7.0f µs  → overhead %6.0f µs per call (journal and lifecycle: +%.0f µs)",
                journaledP50, journaledP50 - rawP50, journaledP50 - storedP50))
    }

    /// N concurrent 3-task crews against a server with fixed latency: wall, CPU, peak memory, and efficiency versus the ideal.
    static func concurrency(server: URL, crews: Int, latencyMS: Int, serverPID: Int32) async throws {
        let serverBefore = processCPUSeconds(serverPID)
        let transport = try AsyncHTTPClientTransport(
            settings: HTTPClientSettings(maxConnectionsPerHost: 4096), environment: [:])
        let runner = CrewRunner(environment: environment(server, transport: transport))
        let threeTasks = crew(tasks: 3)
        let lookup: @Sendable (AgentID) -> AgentDefinition? = { $0 == agent.id ? agent : nil }
        let cpuBefore = cpuSeconds()
        let started = ContinuousClock.now
        let statuses = try await withThrowingTaskGroup(of: RunStatus.self) { group in
            for index in 0..<crews {
                group.addTask {
                    try await runner.run(
                        threeTasks, inputs: ["topic": .string("topic \(index)")], principal: .local(), agents: lookup,
                        sink: FanOutEventSink([])
                    ).status
                }
            }
            return try await group.reduce(into: [RunStatus]()) { $0.append($1) }
        }
        let wall = (ContinuousClock.now - started).seconds
        let cpu = cpuSeconds() - cpuBefore
        let serverCPU = processCPUSeconds(serverPID) - serverBefore
        let ideal = 3 * Double(latencyMS) / 1000
        let errors = statuses.filter { $0 != .succeeded }.count
        print("\(crews) concurrent 3-task crews, model latency \(latencyMS) ms (\(crews * 3) calls)")
        print(
            String(
                format:
                    "  wall %.3f s · ideal %.3f s · efficiency %.1f%% · runtime CPU %.2f s (%.0f µs per call) · model-server CPU %.2f s · peak RSS %.1f MB · errors %d",
                wall, ideal, ideal / wall * 100, cpu, cpu / Double(crews * 3) * 1e6, serverCPU, peakMemoryMB(), errors))
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// User + system CPU of another process, from /proc.
    static func processCPUSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func peakMemoryMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

final class ErrorBox: @unchecked Sendable {
    var error: (any Error)?
}

/// `agentruntime-bench model-server` in a child process; killed with SIGKILL when done.
final class ModelServerProcess {
    let process = Process()
    let baseURL: URL

    init(latencyMS: Int, extra: [String] = []) throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("bench-port-\(UUID().uuidString)")
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments = ["model-server", "--latency-ms", String(latencyMS), "--port-file", portFile.path] + extra
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                baseURL = URL(string: "http://127.0.0.1:\(port)")!
                try? FileManager.default.removeItem(at: portFile)
                return
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(process.processIdentifier, SIGKILL)
        throw BenchmarkError("the model server did not start")
    }

    func stop() { kill(process.processIdentifier, SIGKILL) }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `model-server --latency-ms N --port-file F [--any-path]`: the fake OpenAI-compatible model, until killed; with
/// `--any-path`, a service answering every request with `{"ok":true}` after the latency (a slow connector API).
enum ModelServerCommand {
    static func run(_ arguments: [String]) throws {
        let options = BenchmarkOptions(arguments)
        let latency = Int(options.value("--latency-ms") ?? "") ?? 0
        let server =
            try arguments.contains("--any-path")
            ? LoopbackHTTPServer { _ in
                Thread.sleep(forTimeInterval: Double(latency) / 1000)
                return .init(body: #"{"ok":true}"#)
            }
            : FakeModelServer.start(latency: .milliseconds(latency))
        if let file = options.value("--port-file") {
            try String(server.port).write(toFile: file, atomically: true, encoding: .utf8)
        } else {
            print("listening on \(server.baseURL)")
        }
        while true { Thread.sleep(forTimeInterval: 3600) }
    }
}
