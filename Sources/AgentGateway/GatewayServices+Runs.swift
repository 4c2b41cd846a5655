import AgentRuntime
import Agents
import Foundation

/// The run path of the API for other front doors of the platform (the MCP server): what a caller may see, and runs
/// started, awaited and cancelled exactly as `POST /v1/crews/{id}/runs` does: stored, queued under the tenant's
/// limit, audited and budgeted.
extension GatewayServices {
    /// The crews `principal` may run (every agent of the crew enabled for its tenant), in catalog order.
    public func crews(visibleTo principal: Principal) async -> [CrewDefinition] {
        visibleCrews(await catalog.catalog, principal)
    }

    /// The agents enabled for `principal`'s tenant, in catalog order.
    public func agents(visibleTo principal: Principal) async -> [AgentDefinition] {
        visibleAgents(await catalog.catalog, principal)
    }

    /// Starts `crew` for `principal` (an agent invocation is a crew too: ``CrewRunner/invocation(of:prompt:inputs:)``).
    /// Throws a ``GatewayError``: invalid inputs (validation), the tenant's limit of runs in flight (rate limited), a
    /// replica shutting down (unavailable). `observers` see the run's events as they happen when this process carries
    /// it out; a run queued for another worker is only followed through the store.
    public func startRun(
        _ crew: CrewDefinition, inputs: [String: JSONValue], principal: Principal, observers: [any EventSink] = []
    ) async throws -> StartedRun {
        try Self.checkInputs(crew, inputs)
        let catalog = await catalog.catalog
        let runID = RunID(UUID().uuidString.lowercased())
        let started = try await runs.start(
            crew, inputs: inputs, principal: principal, environment: environment(principal),
            agents: { catalog.agent($0) }, runID: runID, observers: observers)
        return StartedRun(runID: runID, tenant: principal.tenant, local: started.local)
    }

    /// Waits for `run` to end (or to stop for an approval) and says how.
    public func ending(of run: StartedRun) async throws -> RunEnding {
        if let task = run.local {
            switch await task.value {
            case .success(let result):
                return RunEnding(
                    runID: run.runID, status: result.status, output: result.output, outputJSON: result.outputJSON,
                    error: result.error?.description)
            case .failure(let error):
                return RunEnding(
                    runID: run.runID, status: error == .cancelled ? .cancelled : .failed, output: nil, outputJSON: nil,
                    error: error.description)
            }
        }
        guard let record = try await awaitEnd(of: run.runID, tenant: run.tenant) else {
            throw GatewayError(.notFound, "no run \(run.runID)")
        }
        return RunEnding(
            runID: record.id, status: record.status, output: record.output, outputJSON: record.outputJSON,
            error: record.errorMessage.map { message in record.errorCode.map { "\($0): \(message)" } ?? message })
    }

    /// Asks for `runID` of `tenant` to be cancelled wherever it is carried out; a run that has already ended is left
    /// as it is.
    public func cancelRun(_ runID: RunID, tenant: TenantID) async throws {
        _ = try await runs.cancel(runID, tenant: tenant)
    }

    /// Refuses inputs the crew does not declare, and missing required ones, before anything is stored (400 with one
    /// detail per input).
    static func checkInputs(_ crew: CrewDefinition, _ inputs: [String: JSONValue]) throws {
        do { _ = try CrewRunner.resolveInputs(crew, inputs) } catch let error as EngineError {
            let details: JSONValue
            switch error {
            case .missingInputs(let names):
                details = .array(
                    names.map { ["field": .string("inputs.\($0)"), "message": "required input is missing"] })
            case .unknownInputs(let names):
                details = .array(
                    names.map { ["field": .string("inputs.\($0)"), "message": "the crew does not declare this input"] })
            default: details = []
            }
            throw GatewayError(.validation, error.description, details: details)
        }
    }
}

/// A run started through ``GatewayServices/startRun(_:inputs:principal:observers:)``.
public struct StartedRun: Sendable {
    /// The run.
    public let runID: RunID
    /// Its tenant.
    public let tenant: TenantID
    /// Its attempt, when this process carries it out.
    let local: Task<Result<RunResult, EngineError>, Never>?
}

/// How a run ended (or stopped to wait for an approval).
public struct RunEnding: Sendable {
    /// The run.
    public var runID: RunID
    /// Its status.
    public var status: RunStatus
    /// The last task's text.
    public var output: String?
    /// The last task's JSON, when it has a schema.
    public var outputJSON: JSONValue?
    /// Why it failed or was cancelled.
    public var error: String?
}
