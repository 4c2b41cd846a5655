import AgentGateway
import AgentRuntime
import Agents
import Foundation
import Tools

#if canImport(FoundationNetworking)
import FoundationNetworking
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
        try FileManager.default.createDirectory(at: agents.appendingPathComponent("bench"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: agents.appendingPathComponent("crews"), withIntermediateDirectories: true)
        let agent: JSONValue = [
            "id": "analyst", "name": "Analyst", "category": "bench", "role": "Analyst", "goal": "Answer briefly",
            "backstory": "Answers questions in one line.", "model": "bench/fake-model", "temperature": 0.2,
        ]
        let taskList: [JSONValue] = (1...tasks).map { index in
            ["id": .string("t\(index)"), "description": .string("Step \(index) about {topic}"), "expected_output": "One line", "agent": "analyst"]
        }
        let crew: JSONValue = [
            "id": "bench", "name": "Bench", "description": "Benchmark crew", "process": "sequential", "agents": ["analyst"],
            "inputs": ["topic": ["description": "What to answer about"]], "tasks": .array(taskList),
        ]
        try agent.serialized().write(to: agents.appendingPathComponent("bench/analyst.json"), atomically: true, encoding: .utf8)
        try crew.serialized().write(to: agents.appendingPathComponent("crews/bench.json"), atomically: true, encoding: .utf8)
        let loader = CatalogLoader(agentsDirectory: agents, knowledgeDirectory: nil, knownTools: ToolCatalog.standard.ids)
        let loaded = try loader.load()
        guard loaded.errorCount == 0, loaded.crew("bench") != nil else {
            throw BenchmarkError("the benchmark catalog did not load: \(loaded.diagnostics.map { "\($0.file) \($0.pointer): \($0.message)" }.joined(separator: "; "))")
        }
        return CatalogHolder(catalog: loaded, loader: loader)
    }

    static func measure(runs: Int, tasks: Int, latencyMS: Int, model: URL, modelPID: Int32) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-gateway-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let holder = try catalog(tasks: tasks, in: directory)
        let settings = ProviderSettings(name: "bench", kind: .openai, baseURL: model.appendingPathComponent("v1"), apiKey: nil, retry: RetryPolicy(maxRetries: 0))
        let config = RuntimeConfig(providers: ["bench": settings], defaultModel: ModelReference(provider: "bench", model: "fake-model"),
                                   prices: PriceTable(["bench/*": ModelPrice(input: 1, output: 2)]))
        let registry = ProviderRegistry(config: config, transport: URLSessionTransport(maximumConnectionsPerHost: 4096), environment: [:])
        let store = try SQLiteRunStore(path: directory.appendingPathComponent("runs.sqlite").path)
        let tenants: [TenantID: TenantDefinition] = ["bench": TenantDefinition(id: "bench", name: "Bench")]
        let environment = EngineEnvironment(models: registry, tools: ToolRegistry.builtins(), policy: TenantToolPolicy(tenants: tenants), streaming: false)
        let services = GatewayServices(
            configuration: GatewayConfiguration(serviceToken: token, requestsPerMinutePerTenant: 1_000_000, concurrentRunsPerTenant: 100_000),
            catalog: holder, tenants: tenants, environment: { _ in environment }, store: store, secrets: nil)
        let bound = PortBox()
        let server = Task { try await Gateway.run(services, host: "127.0.0.1", port: 0) { port in bound.set(port) } }
        defer { server.cancel() }
        let port = try await bound.wait()

        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 4096
        configuration.timeoutIntervalForRequest = 300
        let session = URLSession(configuration: configuration)
        let url = URL(string: "http://127.0.0.1:\(port)/v1/crews/bench/runs")!
        @Sendable func post(_ index: Int) async -> (seconds: Double, ok: Bool) {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            request.setValue("bench", forHTTPHeaderField: "X-Tenant-ID")
            request.setValue("bench-user", forHTTPHeaderField: "X-User-ID")
            request.setValue("tenant_user", forHTTPHeaderField: "X-User-Roles")
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(#"{"inputs": {"topic": "pricing \#(index)"}, "wait": true}"#.utf8)
            let started = ContinuousClock.now
            do {
                let (data, response) = try await session.data(for: request)
                let ok = (response as? HTTPURLResponse)?.statusCode == 200
                    && (try? JSONParser.value(Array(data)))?["data"]?["status"] == "succeeded"
                return ((ContinuousClock.now - started).seconds, ok)
            } catch {
                return ((ContinuousClock.now - started).seconds, false)
            }
        }
        // Warm up: connections, the store, the catalog.
        for index in 0..<5 { _ = await post(-1 - index) }

        let storedBefore = try await store.count(tenant: "bench", status: .succeeded, crew: "bench")
        let modelBefore = EngineBenchmark.processCPUSeconds(modelPID)
        let cpuBefore = EngineBenchmark.cpuSeconds()
        let started = ContinuousClock.now
        let results = await withTaskGroup(of: (seconds: Double, ok: Bool).self) { group in
            for index in 0..<runs { group.addTask { await post(index) } }
            return await group.reduce(into: [(seconds: Double, ok: Bool)]()) { $0.append($1) }
        }
        let wall = (ContinuousClock.now - started).seconds
        let cpu = EngineBenchmark.cpuSeconds() - cpuBefore
        let modelCPU = EngineBenchmark.processCPUSeconds(modelPID) - modelBefore
        let ideal = Double(tasks * latencyMS) / 1000
        let added = results.map { ($0.seconds - ideal) * 1000 }.sorted()
        let errors = results.filter { !$0.ok }.count
        let stored = try await store.count(tenant: "bench", status: .succeeded, crew: "bench")
        print("\(runs) concurrent runs posted over HTTP (POST /v1/crews/bench/runs, wait: true), \(tasks) task(s) each, model latency \(latencyMS) ms")
        print(String(format: "  wall %.3f s · throughput %.0f runs/s · ideal per run %.0f ms", wall, Double(runs) / wall, ideal * 1000))
        print(String(format: "  added latency per run (response time − model time): p50 %.0f ms · p99 %.0f ms · max %.0f ms",
                     added[added.count / 2], added[min(added.count - 1, added.count * 99 / 100)], added.last ?? 0))
        print(String(format: "  errors %d · runs stored as succeeded %d · CPU of gateway + load client %.2f s · model-server CPU %.2f s · peak RSS (gateway + client) %.1f MB",
                     errors, stored - storedBefore, cpu, modelCPU, EngineBenchmark.peakMemoryMB()))
    }
}

/// The port the server bound, handed from its start callback to the benchmark.
final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?

    func set(_ value: Int) { lock.withLock { port = value } }

    func wait() async throws -> Int {
        for _ in 0..<500 {
            if let port = lock.withLock({ port }) { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchmarkError("the gateway did not start")
    }
}
