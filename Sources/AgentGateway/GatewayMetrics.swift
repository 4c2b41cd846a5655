import AgentRuntime
import Foundation

/// Counters and histograms for `/metrics` (Prometheus text format), fed by run events and requests.
public actor GatewayMetrics: EventSink {
    private var runs: [String: Int] = [:]
    private var durationBuckets: [Double: Int] = [:]
    private var durationSum = 0.0
    private var durationCount = 0
    private var llmCalls: [String: Int] = [:]
    private var tokens: [String: Int] = [:]
    private var cost: [String: Double] = [:]
    private var tools: [String: Int] = [:]
    private var requests: [String: Int] = [:]
    private var inFlight = 0
    static let buckets: [Double] = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800]

    /// Creates empty metrics.
    public init() {}

    /// Metrics count no text deltas.
    public nonisolated var wantsTextDeltas: Bool { false }

    /// Counts model calls, tokens, cost and tool outcomes from events (others return without entering the actor).
    public nonisolated func emit(_ event: RunEvent) async {
        switch event.kind {
        case .llmResponse, .toolFinished, .toolDenied: await count(event)
        default: return
        }
    }

    private func count(_ event: RunEvent) {
        switch event.kind {
        case .llmResponse(let model, let usage, let costUSD, _, _):
            let provider = model.split(separator: "/").first.map(String.init) ?? model
            let labels = "provider=\"\(provider)\",model=\"\(model)\""
            llmCalls[labels, default: 0] += 1
            tokens[labels + ",kind=\"input\"", default: 0] += usage.inputTokens
            tokens[labels + ",kind=\"output\"", default: 0] += usage.outputTokens
            cost[labels, default: 0] += costUSD ?? 0
        case .toolFinished(_, _, let outcome, _, _, _):
            tools["outcome=\"\(outcome == .success ? "allowed" : outcome.rawValue)\"", default: 0] += 1
        case .toolDenied: tools["outcome=\"denied\"", default: 0] += 1
        default: break
        }
    }

    func runFinished(crew: String, status: RunStatus, seconds: Double) {
        runs["crew=\"\(crew)\",status=\"\(status.rawValue)\"", default: 0] += 1
        durationSum += seconds
        durationCount += 1
        for bucket in Self.buckets where seconds <= bucket { durationBuckets[bucket, default: 0] += 1 }
    }

    func setInFlight(_ count: Int) { inFlight = count }

    /// Counts a request by the template of the route it matched (`/v1/runs/{run_id}`, or `unmatched`) and its status.
    func request(route: String, status: Int) {
        requests["route=\"\(route)\",status=\"\(status)\"", default: 0] += 1
    }

    /// The Prometheus exposition text.
    public func text() -> String {
        var lines: [String] = []
        func family(_ name: String, _ type: String, _ help: String, _ values: [String: Int]) {
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) \(type)"]
            for (labels, value) in values.sorted(by: { $0.key < $1.key }) {
                lines.append("\(name){\(labels)} \(value)")
            }
        }
        family("agentruntime_runs_total", "counter", "Runs finished, by crew and status.", runs)
        lines += [
            "# HELP agentruntime_run_duration_seconds Run wall time.",
            "# TYPE agentruntime_run_duration_seconds histogram",
        ]
        for bucket in Self.buckets {
            lines.append("agentruntime_run_duration_seconds_bucket{le=\"\(bucket)\"} \(durationBuckets[bucket] ?? 0)")
        }
        lines.append("agentruntime_run_duration_seconds_bucket{le=\"+Inf\"} \(durationCount)")
        lines.append("agentruntime_run_duration_seconds_sum \(durationSum)")
        lines.append("agentruntime_run_duration_seconds_count \(durationCount)")
        family("agentruntime_llm_calls_total", "counter", "Model calls, by provider and model.", llmCalls)
        family("agentruntime_llm_tokens_total", "counter", "Tokens, by provider, model and kind.", tokens)
        lines += [
            "# HELP agentruntime_llm_cost_usd_total Cost in USD, by provider and model.",
            "# TYPE agentruntime_llm_cost_usd_total counter",
        ]
        for (labels, value) in cost.sorted(by: { $0.key < $1.key }) {
            lines.append("agentruntime_llm_cost_usd_total{\(labels)} \(value)")
        }
        family("agentruntime_tool_calls_total", "counter", "Tool calls, by outcome.", tools)
        lines += [
            "# HELP agentruntime_runs_in_flight Runs running now.", "# TYPE agentruntime_runs_in_flight gauge",
            "agentruntime_runs_in_flight \(inFlight)",
        ]
        family("agentruntime_http_requests_total", "counter", "HTTP requests, by route and status.", requests)
        return lines.joined(separator: "\n") + "\n"
    }
}
