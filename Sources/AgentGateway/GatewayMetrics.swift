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
    /// Per tenant, provider and model: tokens by kind, cost, calls (see ``TenantMetrics``).
    private var tenantTokens: [String: Int] = [:]
    private var tenantCost: [String: Double] = [:]
    /// Model-call latency by provider.
    private var latency: [String: Histogram] = [:]
    /// Tool calls by connector and outcome.
    private var toolOutcomes: [String: Int] = [:]
    private var retries: [String: Int] = [:]
    /// Label values seen per kind (tenant, connector, model), each capped at ``maxLabelValues`` (then `other`).
    private var seen: [String: Set<String>] = [:]
    /// The most distinct values one label takes; later ones count as `other`.
    static let maxLabelValues = 200
    static let latencyBuckets: [Double] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120]

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

    /// `value` as a label value of `kind`, or `other` once the label has ``maxLabelValues`` values: label cardinality
    /// stays bounded whatever tenants, models or tool names come along.
    private func bounded(_ kind: String, _ value: String) -> String {
        if seen[kind, default: []].contains(value) { return value }
        guard seen[kind, default: []].count < Self.maxLabelValues else { return "other" }
        seen[kind, default: []].insert(value)
        return value
    }

    /// Counts a run's event for its tenant: tokens and cost by provider and model, model-call latency by provider,
    /// tool outcomes by connector.
    func count(_ event: RunEvent, tenant: TenantID) {
        switch event.kind {
        case .llmResponse(let model, let usage, let costUSD, let latencyMS, _):
            let provider = bounded("provider", model.split(separator: "/").first.map(String.init) ?? model)
            let labels =
                "tenant=\"\(bounded("tenant", tenant.rawValue))\",provider=\"\(provider)\",model=\"\(bounded("model", model))\""
            tenantTokens[labels + ",kind=\"input\"", default: 0] += usage.inputTokens
            tenantTokens[labels + ",kind=\"output\"", default: 0] += usage.outputTokens
            tenantCost[labels, default: 0] += costUSD ?? 0
            latency["provider=\"\(provider)\"", default: Histogram(bounds: Self.latencyBuckets)]
                .observe(Double(latencyMS) / 1000)
        case .toolFinished(_, let tool, let outcome, _, _, _):
            toolOutcomes[
                "connector=\"\(bounded("connector", Self.connector(of: tool)))\",outcome=\"\(outcome.rawValue)\"",
                default: 0] += 1
        case .toolDenied(_, let tool, _, _):
            toolOutcomes[
                "connector=\"\(bounded("connector", Self.connector(of: tool)))\",outcome=\"denied\"", default: 0] += 1
        default: break
        }
    }

    /// Counts a provider call that failed and is tried again.
    func providerRetry(_ retry: ProviderRetry) {
        let provider = bounded("provider", retry.provider ?? "unknown")
        retries["provider=\"\(provider)\",code=\"\(retry.code)\"", default: 0] += 1
    }

    /// The connector a tool belongs to: `slack` for `slack.post_message`, `mcp.<server>` for an MCP tool,
    /// `delegation` for a manager's synthesised tools, `unknown` for a name of no connector (a tool the model made up).
    static func connector(of tool: String) -> String {
        if tool == DelegationKind.delegate.toolName || tool == DelegationKind.ask.toolName { return "delegation" }
        let parts = tool.split(separator: ".")
        if parts.first == "mcp", parts.count >= 3 { return "mcp.\(parts[1])" }
        return parts.count >= 2 ? String(parts[0]) : "unknown"
    }

    /// A sink counting `tenant`'s run events.
    public nonisolated func forTenant(_ tenant: TenantID) -> some EventSink {
        TenantMetrics(metrics: self, tenant: tenant)
    }

    /// Counts a request by the template of the route it matched (`/v1/runs/{run_id}`, or `unmatched`) and its status.
    func request(route: String, status: Int) {
        requests["route=\"\(route)\",status=\"\(status)\"", default: 0] += 1
    }

    /// The Prometheus exposition text; `queue` adds the run queue's gauges (read from the store at scrape time).
    public func text(queue: QueueGauges? = nil) -> String {
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
        family(
            "agentruntime_tenant_tokens_total", "counter",
            "Tokens, by tenant, provider, model and kind (input, output).",
            tenantTokens)
        lines += [
            "# HELP agentruntime_tenant_cost_usd_total Cost in USD, by tenant, provider and model.",
            "# TYPE agentruntime_tenant_cost_usd_total counter",
        ]
        for (labels, value) in tenantCost.sorted(by: { $0.key < $1.key }) {
            lines.append("agentruntime_tenant_cost_usd_total{\(labels)} \(value)")
        }
        lines += [
            "# HELP agentruntime_llm_call_duration_seconds Model-call latency, by provider.",
            "# TYPE agentruntime_llm_call_duration_seconds histogram",
        ]
        for (labels, histogram) in latency.sorted(by: { $0.key < $1.key }) {
            lines += histogram.lines("agentruntime_llm_call_duration_seconds", labels: labels)
        }
        family(
            "agentruntime_tool_outcomes_total", "counter",
            "Tool calls, by connector and outcome (success, error, repeated, denied).", toolOutcomes)
        family(
            "agentruntime_provider_retries_total", "counter", "Provider calls retried, by provider and failure code.",
            retries)
        if let queue {
            lines += [
                "# HELP agentruntime_queue_depth Runs waiting in the run queue (all replicas).",
                "# TYPE agentruntime_queue_depth gauge", "agentruntime_queue_depth \(queue.queued)",
                "# HELP agentruntime_runs_by_status Runs not yet ended, by status (all replicas).",
                "# TYPE agentruntime_runs_by_status gauge",
            ]
            for (status, count) in queue.byStatus.sorted(by: { $0.key < $1.key }) {
                lines.append("agentruntime_runs_by_status{status=\"\(status)\"} \(count)")
            }
            if let live = queue.liveLeases, let expired = queue.expiredLeases {
                lines += [
                    "# HELP agentruntime_leases Runs held by a worker's lease, live or expired (all replicas).",
                    "# TYPE agentruntime_leases gauge", "agentruntime_leases{state=\"live\"} \(live)",
                    "agentruntime_leases{state=\"expired\"} \(expired)",
                ]
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Counts one tenant's run events into ``GatewayMetrics`` (the events themselves carry no tenant).
struct TenantMetrics: EventSink {
    let metrics: GatewayMetrics
    let tenant: TenantID

    var wantsTextDeltas: Bool { false }

    func emit(_ event: RunEvent) async {
        switch event.kind {
        case .llmResponse, .toolFinished, .toolDenied: await metrics.count(event, tenant: tenant)
        default: return
        }
    }
}

/// A Prometheus histogram: cumulative buckets, sum and count.
struct Histogram: Sendable {
    let bounds: [Double]
    private var counts: [Int]
    private var sum = 0.0
    private var count = 0

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count)
    }

    mutating func observe(_ value: Double) {
        for (index, bound) in bounds.enumerated() where value <= bound { counts[index] += 1 }
        sum += value
        count += 1
    }

    func lines(_ name: String, labels: String) -> [String] {
        var lines = zip(bounds, counts).map { "\(name)_bucket{\(labels),le=\"\($0)\"} \($1)" }
        lines.append("\(name)_bucket{\(labels),le=\"+Inf\"} \(count)")
        lines.append("\(name)_sum{\(labels)} \(sum)")
        lines.append("\(name)_count{\(labels)} \(count)")
        return lines
    }
}

/// The run queue as `/metrics` shows it: runs per unfinished status and, with the PostgreSQL store, the leases.
public struct QueueGauges: Sendable {
    /// Runs per status (queued, running, awaiting_approval, interrupted).
    public var byStatus: [String: Int]
    /// Runs held under a live lease, when the store knows.
    public var liveLeases: Int?
    /// Runs whose worker's lease has expired (a worker is gone; another takes them), when the store knows.
    public var expiredLeases: Int?

    /// Queued runs.
    public var queued: Int { byStatus[RunStatus.queued.rawValue] ?? 0 }

    /// Creates gauges.
    public init(byStatus: [String: Int], liveLeases: Int? = nil, expiredLeases: Int? = nil) {
        self.byStatus = byStatus
        self.liveLeases = liveLeases
        self.expiredLeases = expiredLeases
    }
}
