import AgentRuntime
import Agents
import Foundation

/// Index build time and query latency of the knowledge base on a generated corpus.
enum KnowledgeBenchmark {
    static func run(_ arguments: [String]) throws {
        let options = BenchmarkOptions(arguments)
        let megabytes = Double(options.value("--megabytes") ?? "") ?? 10
        let queries = Int(options.value("--queries") ?? "") ?? 1000
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("knowledge-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var generator = SeededGenerator(seed: 42)
        let vocabulary = makeVocabulary(count: 20_000, generator: &generator)
        let bytes = try writeCorpus(root: root, megabytes: megabytes, vocabulary: vocabulary, generator: &generator)

        let semaphore = DispatchSemaphore(value: 0)
        let report = ReportBox()
        Task {
            let clock = ContinuousClock()
            var base: KnowledgeBase!
            let build = await clock.measure { base = await KnowledgeBase.load(root: root, pdfToText: nil) }
            let collections = await base.collections().map(\.name)
            let chunks = await base.collections().reduce(0) { $0 + $1.chunks }
            var rng = SeededGenerator(seed: 7)
            var latencies: [Double] = []
            var hits = 0
            for _ in 0..<queries {
                let query = (0..<3).map { _ in vocabulary[zipfIndex(vocabulary.count, &rng)] }.joined(separator: " ")
                var found = 0
                latencies.append(
                    await clock.measure {
                        found = await base.search(query, collections: collections, tenant: nil, limit: 5).count
                    }.microseconds)
                hits += found > 0 ? 1 : 0
            }
            let touched = root.appendingPathComponent("collection-0/doc-0.md")
            try? (String(contentsOf: touched, encoding: .utf8) + "\n\nappended paragraph zyxwv\n").write(
                to: touched, atomically: true, encoding: .utf8)
            let refresh = await clock.measure { _ = await base.refresh() }
            latencies.sort()
            report.text = String(
                format: """
                    knowledge base on a generated corpus: %.1f MB in %d files, %d chunks, %d collections
                      index build (read, chunk, index): %.0f ms
                      incremental refresh after one file changed: %.1f ms
                      query (3 terms, top 5, all collections), %d queries: p50 %.0f µs · p99 %.0f µs · %d%% with results
                    """, Double(bytes) / 1_048_576, fileCount(root), chunks, collections.count, build.milliseconds,
                refresh.milliseconds,
                queries, latencies[latencies.count / 2],
                latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))], hits * 100 / queries)
            semaphore.signal()
        }
        semaphore.wait()
        print(report.text)
    }

    static func fileCount(_ root: URL) -> Int {
        (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String])?.filter { $0.hasSuffix(".md") }
            .count ?? 0
    }

    static func makeVocabulary(count: Int, generator: inout SeededGenerator) -> [String] {
        let syllables = [
            "ka", "lo", "mi", "ren", "sta", "por", "qui", "dex", "lan", "vo", "tri", "gen", "bel", "sor", "nu", "fal",
            "ter", "mon", "cha", "zi",
        ]
        var words = Set<String>()
        while words.count < count {
            let length = 2 + Int(generator.next() % 3)
            words.insert((0..<length).map { _ in syllables[Int(generator.next() % UInt64(syllables.count))] }.joined())
        }
        return Array(words).sorted()
    }

    /// Zipf-like: low indices are far more common.
    static func zipfIndex(_ count: Int, _ generator: inout SeededGenerator) -> Int {
        let uniform = Double(generator.next() % 1_000_000) / 1_000_000
        return min(count - 1, Int(pow(Double(count), uniform)) - 1)
    }

    static func writeCorpus(
        root: URL, megabytes: Double, vocabulary: [String], generator: inout SeededGenerator
    ) throws -> Int {
        let target = Int(megabytes * 1_048_576)
        var written = 0
        var file = 0
        while written < target {
            let folder = root.appendingPathComponent("collection-\(file % 5)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var text = "# Document \(file)\n\n"
            while text.utf8.count < 50_000 {
                text +=
                    "## \(vocabulary[zipfIndex(vocabulary.count, &generator)]) \(vocabulary[zipfIndex(vocabulary.count, &generator)])\n\n"
                for _ in 0..<4 {
                    let words = (0..<(40 + Int(generator.next() % 40))).map { _ in
                        vocabulary[zipfIndex(vocabulary.count, &generator)]
                    }
                    text += words.joined(separator: " ") + ".\n\n"
                }
            }
            try Data(text.utf8).write(to: folder.appendingPathComponent("doc-\(file / 5).md"))
            written += text.utf8.count
            file += 1
        }
        return written
    }
}

/// A deterministic generator (SplitMix64) so corpora are the same on every run.
struct SeededGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class ReportBox: @unchecked Sendable {
    var text = ""
}
