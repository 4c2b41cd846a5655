import AgentRuntime
import Foundation

/// The redactor's cost: making one for a run's secrets (every form precomputed), and redacting a typical 4 KB event
/// (a `tool_finished` listing posts) with and without an echoed credential in it.
enum RedactionBenchmark {
    static func run(_ arguments: [String]) throws {
        let options = BenchmarkOptions(arguments)
        let iterations = Int(options.value("--iterations") ?? "") ?? 20000
        let secrets = [
            "abcd EFGH/1234+ijkl mnop", "0f1e2d3c4b5a69788796a5b4c3d2e1f0-us21", "sk-proj-abcdefghijklmnopqrstuvwx0123",
        ]
        let posts = (0..<24).map { index in
            #"{"id":\#(index),"status":"publish","link":"https://blog.acme.test/?p=\#(index)","date":"2026-11-20T10:00:00","title":"Post number \#(index) about pricing","excerpt":"<p>How we price things, part \#(index).</p>"}"#
        }
        let clean =
            #"{"run_id":"0b7d2c9e","sequence":12,"kind":"tool_finished","data":{"tool":"wordpress.list_posts","result":"[\#(posts.joined(separator: ","))]"}}"#
        let basic = Data("editor:\(secrets[0])".utf8).base64EncodedString()
        let echoed = clean.replacingOccurrences(of: "part 3.", with: "auth Basic \(basic) part 3.")
        let clock = ContinuousClock()
        var made: [Double] = []
        for _ in 0..<200 { made.append(clock.measure { _ = Redactor(secrets: secrets) }.microseconds) }
        let redactor = Redactor(secrets: secrets)
        print("redaction (\(iterations) iterations each; µs per operation, p50 / p99)")
        print("make a redactor for \(secrets.count) secrets   \(stats(made))")
        var sink = 0
        for (name, text) in [("no secret", clean), ("echoed Basic credential", echoed)] {
            var full: [Double] = []
            var values: [Double] = []
            for _ in 0..<iterations {
                full.append(clock.measure { sink &+= redactor.redact(text).utf8.count }.microseconds)
                values.append(
                    clock.measure { sink &+= redactor.redact(text, keyShapes: false).utf8.count }.microseconds)
            }
            print(
                "\(text.utf8.count) B event, \(name): secrets and key shapes \(stats(full))   secrets only \(stats(values))"
            )
        }
        precondition(sink > 0)
    }

    static func stats(_ samples: [Double]) -> String {
        let sorted = samples.sorted()
        return String(
            format: "%7.1f / %7.1f", CatalogBenchmark.percentile(sorted, 0.5), CatalogBenchmark.percentile(sorted, 0.99)
        )
    }
}
