import AgentRuntime
import Agents
import Foundation
import Tools

/// Loads and validates the whole catalog from disk repeatedly; prints the
/// first (cold) load and the distribution of warm loads in milliseconds.
enum CatalogBenchmark {
    static func run(_ arguments: [String]) throws {
        let options = BenchmarkOptions(arguments)
        let agents = URL(fileURLWithPath: options.value("--agents-dir") ?? "agents")
        let knowledge = URL(fileURLWithPath: options.value("--knowledge-dir") ?? "knowledge")
        let iterations = Int(options.value("--iterations") ?? "") ?? 50
        let loader = CatalogLoader(
            agentsDirectory: agents, knowledgeDirectory: knowledge, knownTools: ToolRegistry.standardIDs)

        let clock = ContinuousClock()
        var catalog = try loader.load()
        let cold = clock.measure { catalog = try! loader.load() }
        var samples: [Double] = []
        for _ in 0..<iterations {
            let elapsed = clock.measure { catalog = try! loader.load() }
            samples.append(elapsed.milliseconds)
        }
        samples.sort()
        let mean = samples.reduce(0, +) / Double(samples.count)
        print(
            "catalog: \(catalog.fileCount) files, \(catalog.agents.count) agents, \(catalog.crews.count) crews, \(catalog.errorCount) errors, \(catalog.warningCount) warnings"
        )
        print(
            String(
                format:
                    "load+validate: first %.2f ms; over %d runs: min %.2f ms, p50 %.2f ms, p90 %.2f ms, mean %.2f ms",
                cold.milliseconds, iterations, samples[0], percentile(samples, 0.5), percentile(samples, 0.9), mean))
        print(
            String(
                format: "per agent file: %.1f µs (p50)",
                percentile(samples, 0.5) * 1000 / Double(max(1, catalog.fileCount))))
        print("target: < 50 ms for 100 agents (release build)")
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }
}

/// `--name value` pairs.
struct BenchmarkOptions {
    let arguments: [String]
    init(_ arguments: [String]) { self.arguments = arguments }

    func value(_ name: String) -> String? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
