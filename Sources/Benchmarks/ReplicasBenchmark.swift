import AgentRuntime
import AgentRuntimeTesting
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Replicas on one PostgreSQL database, measured on the release `agentctl`: crews per second and CPU per crew with
/// 1, 2 and 3 `serve` replicas (every replica an API and a worker; the crews posted round-robin, waiting for their
/// results), and what the PostgreSQL store adds per model call over SQLite (one replica, crews one after another,
/// model answering at once). PostgreSQL is a throwaway cluster from the system's packages (`fsync=off`, as in the
/// tests); its own CPU is reported apart.
///
///   swift build -c release && .build/release/agentruntime-bench replicas [--replicas 1,2,3] [--runs 300]
///       [--tasks 6] [--latency-ms 200] [--sequential 30]
enum ReplicasBenchmark {
    static func run(_ arguments: [String]) throws {
        let options = BenchmarkOptions(arguments)
        let counts = (options.value("--replicas") ?? "1,2,3").split(separator: ",").compactMap { Int($0) }
        let runs = Int(options.value("--runs") ?? "") ?? 300
        let tasks = Int(options.value("--tasks") ?? "") ?? 6
        let latency = Int(options.value("--latency-ms") ?? "") ?? 200
        let sequential = Int(options.value("--sequential") ?? "") ?? 30
        let agentctl = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()
            .appendingPathComponent("agentctl")
        guard FileManager.default.isExecutableFile(atPath: agentctl.path) else {
            throw BenchmarkError("\(agentctl.path) not found: build every product first (swift build -c release)")
        }
        let cluster = try ServeBenchmark.blocking { try await PostgresTestServer.startPrivate() }
        defer { cluster.remove() }
        print(
            "replicas on one PostgreSQL database (release agentctl, \(ProcessInfo.processInfo.activeProcessorCount) cores)"
        )
        let model = try ModelServerProcess(latencyMS: latency)
        defer { model.stop() }
        for count in counts {
            let store = try ServeBenchmark.blocking { try await cluster.makeDatabase() }
            var replicas: [ServeProcess] = []
            defer { for replica in replicas { replica.stop() } }
            for _ in 0..<count {
                replicas.append(
                    try ServeProcess(
                        agentctl: agentctl, model: model.baseURL, tasks: tasks, client: "nio", store: store))
            }
            let ports = replicas.map(\.port)
            let warm = try LoadClientProcess.run(ports: ports, runs: 5 * count)
            guard warm.failures == 0 else { throw BenchmarkError("warm-up failed: \(warm.firstFailure ?? "?")") }
            let serveBefore = replicas.map { EngineBenchmark.processCPUSeconds($0.pid) }.reduce(0, +)
            let databaseBefore = databaseCPUSeconds(cluster)
            let load = try LoadClientProcess.run(ports: ports, runs: runs)
            let serveCPU = replicas.map { EngineBenchmark.processCPUSeconds($0.pid) }.reduce(0, +) - serveBefore
            let databaseCPU = databaseCPUSeconds(cluster) - databaseBefore
            let times = load.seconds.sorted()
            let ideal = Double(runs) / (Double(tasks * latency) / 1000)
            print(
                String(
                    format:
                        "  %d replica%@ · %d concurrent %d-call crews at %d ms: %.0f crews/s (ideal %.0f) · wall %.2f s · response p50 %.0f ms, p99 %.0f ms · serve CPU %.1f ms per crew (all replicas) · PostgreSQL CPU %.1f ms per crew · errors %d%@",
                    count, count == 1 ? "" : "s", runs, tasks, latency, Double(runs) / load.wall, ideal, load.wall,
                    (times.isEmpty ? 0 : times[times.count / 2]) * 1000,
                    (times.isEmpty ? 0 : times[min(times.count - 1, times.count * 99 / 100)]) * 1000,
                    serveCPU / Double(runs) * 1000, databaseCPU / Double(runs) * 1000, load.failures,
                    load.firstFailure.map { " (first: \($0.prefix(120)))" } ?? ""))
        }
        try storeLatency(agentctl: agentctl, cluster: cluster, tasks: tasks, runs: sequential)
    }

    /// One replica, crews one after another, a model that answers at once: the response time per crew on each
    /// store, and the difference per model call.
    static func storeLatency(agentctl: URL, cluster: PostgresTestServer, tasks: Int, runs: Int) throws {
        let model = try ModelServerProcess(latencyMS: 0)
        defer { model.stop() }
        var perCrew: [String: Double] = [:]
        var perCrewCPU: [String: Double] = [:]
        for (name, store) in [
            ("SQLite", "runs.sqlite"), ("PostgreSQL", try ServeBenchmark.blocking { try await cluster.makeDatabase() }),
        ] {
            let serve = try ServeProcess(
                agentctl: agentctl, model: model.baseURL, tasks: tasks, client: "nio", store: store)
            defer { serve.stop() }
            _ = try LoadClientProcess.run(port: serve.port, runs: 10, extra: ["--sequential"])
            let before = EngineBenchmark.processCPUSeconds(serve.pid)
            let load = try LoadClientProcess.run(port: serve.port, runs: runs, extra: ["--sequential"])
            guard load.failures == 0 else { throw BenchmarkError("\(name): \(load.firstFailure ?? "?")") }
            perCrew[name] = EngineBenchmark.median(load.seconds)
            perCrewCPU[name] = (EngineBenchmark.processCPUSeconds(serve.pid) - before) / Double(runs)
        }
        let sqlite = perCrew["SQLite"] ?? 0
        let postgres = perCrew["PostgreSQL"] ?? 0
        print(
            String(
                format:
                    "  store latency · %d %d-call crews one after another, model answering at once: SQLite %.1f ms per crew, PostgreSQL %.1f ms per crew (median) · PostgreSQL adds %.2f ms per model call · serve CPU per crew %.1f / %.1f ms",
                runs, tasks, sqlite * 1000, postgres * 1000, (postgres - sqlite) / Double(tasks) * 1000,
                (perCrewCPU["SQLite"] ?? 0) * 1000, (perCrewCPU["PostgreSQL"] ?? 0) * 1000))
    }

    /// CPU of the cluster's server and every backend it runs (children of the postmaster), from /proc.
    static func databaseCPUSeconds(_ cluster: PostgresTestServer) -> Double {
        guard
            let text = try? String(
                contentsOf: cluster.directory.appendingPathComponent("data/postmaster.pid"), encoding: .utf8),
            let postmaster = Int32(text.split(separator: "\n").first ?? "")
        else { return 0 }
        var total = EngineBenchmark.processCPUSeconds(postmaster)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, Int32(fields[1]) == postmaster { total += EngineBenchmark.processCPUSeconds(pid) }
        }
        return total
    }
}
