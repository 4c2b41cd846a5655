import Foundation

/// JSON renderings of run results, records and task outputs (CLI `--json`, the HTTP API).
public enum RunJSON {
    /// Token usage.
    public static func usage(_ usage: TokenUsage) -> JSONValue {
        [
            "input_tokens": .int(usage.inputTokens), "output_tokens": .int(usage.outputTokens),
            "cached_input_tokens": .int(usage.cachedInputTokens),
        ]
    }

    /// One task's output.
    public static func task(_ task: TaskOutput) -> JSONValue {
        [
            "task": .string(task.task.rawValue), "agent": .string(task.agent), "output": .string(task.text),
            "output_json": task.json ?? .null,
            "usage": usage(task.usage), "cost_usd": .double(task.costUSD),
            "duration_ms": .int(Int(task.duration.seconds * 1000)),
        ]
    }

    /// Totals by agent or model.
    public static func totals(_ totals: [String: UsageTotals]) -> JSONValue {
        .object(
            JSONObject(
                totals.sorted { $0.key < $1.key }.map {
                    (
                        key: $0.key,
                        value: [
                            "calls": .int($0.value.calls), "usage": usage($0.value.usage),
                            "cost_usd": .double($0.value.costUSD),
                        ]
                    )
                }))
    }

    /// A finished run's result.
    public static func result(_ result: RunResult) -> JSONValue {
        [
            "run_id": .string(result.runID.rawValue), "crew": .string(result.crew),
            "status": .string(result.status.rawValue),
            "output": result.output.map(JSONValue.string) ?? .null, "output_json": result.outputJSON ?? .null,
            "tasks": .array(result.tasks.map(task)), "usage": usage(result.usage), "cost_usd": .double(result.costUSD),
            "by_agent": totals(result.byAgent), "by_model": totals(result.byModel),
            "error": result.error.map { ["code": .string($0.code), "message": .string($0.description)] } ?? .null,
            "duration_ms": .int(Int(result.duration.seconds * 1000)),
        ]
    }

    /// A stored run.
    public static func record(_ run: RunRecord) -> JSONValue {
        [
            "run_id": .string(run.id.rawValue), "tenant": .string(run.tenant.rawValue), "user": .string(run.user),
            "crew": .string(run.crew),
            "status": .string(run.status.rawValue), "inputs": run.inputs,
            "output": run.output.map(JSONValue.string) ?? .null,
            "output_json": run.outputJSON ?? .null,
            "error": run.errorCode.map { ["code": .string($0), "message": .string(run.errorMessage ?? "")] } ?? .null,
            "usage": usage(run.usage), "cost_usd": .double(run.costUSD),
            "created_at": .string(run.createdAt.formatted(.iso8601)),
            "finished_at": run.finishedAt.map { .string($0.formatted(.iso8601)) } ?? .null,
            "attempts": .int(run.attempts), "attempt_errors": .array(run.attemptErrors.map(JSONValue.string)),
        ]
    }
}
