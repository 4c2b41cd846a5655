import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Tools

/// Who a run acts for, where runs are stored, and which model to force.
struct EngineOptions: ParsableArguments {
    @Option(name: .long, help: "Run as this tenant.") var tenant: String = "local"
    @Option(name: .long, help: "The caller's role: tenant_user, tenant_admin, platform_admin, super_admin.") var role:
        String = "tenant_admin"
    @Option(name: .long, help: "Use this provider/model for every agent (and the manager).") var model: String?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The run store: a SQLite file (PATH or sqlite:PATH) or postgres://user@host:port/database.",
            discussion:
                "Default: $AGENTRUNTIME_STORE, else \"store\" in the runtime config, else .agentruntime/runs.sqlite."))
    var store: String?

    func validate() throws {
        if Role(rawValue: role) == nil {
            throw ValidationError(
                "--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(role)\"")
        }
        if let model, ModelReference(parsing: model) == nil {
            throw ValidationError("--model must be provider/model (e.g. openai/gpt-4o-mini), found \"\(model)\"")
        }
    }

    var principal: Principal {
        Principal(tenant: TenantID(tenant), user: "cli", roles: [Role(rawValue: role) ?? .tenantUser])
    }

    /// The run store's location: `--store`, else `AGENTRUNTIME_STORE`, else `store` in the runtime config, else
    /// `.agentruntime/runs.sqlite`.
    func storeLocation(runtime: RuntimeOptions) throws -> String { try Self.storeLocation(store, runtime: runtime) }

    /// The run store's location given the `--store` flag (see ``storeLocation(runtime:)``).
    static func storeLocation(_ flag: String?, runtime: RuntimeOptions) throws -> String {
        try flag ?? ProcessInfo.processInfo.environment["AGENTRUNTIME_STORE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? runtime.loadConfig().store ?? ".agentruntime/runs.sqlite"
    }

    func openStore(runtime: RuntimeOptions) async throws -> any PlatformStore {
        try await Composition.store(location: storeLocation(runtime: runtime), runtime: runtime)
    }

    /// The engine environment (see ``Composition``) for this principal: its tenant's limits, and `--model` forced.
    func environment(
        runtime: RuntimeOptions, catalog: CatalogOptions, tenants: TenantCatalog, store: (any PlatformStore)?,
        streaming: Bool
    ) async throws -> EngineEnvironment {
        var (environment, registry, _, _) = try await Composition.environment(
            runtime: runtime, catalog: catalog, tenants: tenants, store: store, streaming: streaming)
        if let reference = model.flatMap(ModelReference.init(parsing:)) {
            environment.models = OverridingModelResolver(base: registry, reference: reference)
        }
        environment.limits = tenants.tenants[principal.tenant]?.limits ?? registry.config.limits
        environment.spendCaps = tenants.tenants[principal.tenant]?.spendCaps ?? SpendCaps()
        return environment
    }

    /// Exits unless the tenant exists and may use every agent of `crew`.
    func checkTenant(_ tenants: TenantCatalog, crew: CrewDefinition, agents: (AgentID) -> AgentDefinition?) throws {
        guard let tenant = tenants.tenants[principal.tenant] else {
            Console.error(
                "error: unknown tenant \"\(self.tenant)\" (tenants: \(tenants.tenants.keys.map(\.rawValue).sorted().joined(separator: ", ")); add tenants/\(self.tenant).json)"
            )
            throw ExitCode(ExitStatus.notFound)
        }
        for id in crew.agents + [crew.manager].compactMap({ $0 }) {
            if let agent = agents(id), !tenant.allows(agent) {
                Console.error("error: agent \(id) is not enabled for tenant \(tenant.id)")
                throw ExitCode(ExitStatus.invalid)
            }
        }
    }
}

/// Uses one model for every agent.
struct OverridingModelResolver: ModelResolver {
    let base: any ModelResolver
    let reference: ModelReference

    func resolve(_ reference: ModelReference?, principal: Principal) async throws -> ResolvedModel {
        try await base.resolve(self.reference, principal: principal)
    }
}

/// `key=value` pairs and a JSON inputs file, as run inputs.
enum InputParser {
    static func parse(pairs: [String], file: String?) throws -> [String: JSONValue] {
        var inputs: [String: JSONValue] = [:]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read inputs file \(file)")
            }
            do {
                guard case .object(let object) = try JSONParser.value([UInt8](data)) else {
                    throw ValidationError("inputs file \(file) must hold a JSON object")
                }
                for member in object { inputs[member.key] = member.value }
            } catch let error as JSONSyntaxError {
                throw ValidationError(
                    "inputs file \(file):\(error.location.line):\(error.location.column): \(error.message)")
            }
        }
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--input must be key=value, found \"\(pair)\"")
            }
            inputs[String(pair[..<equals])] = .string(String(pair[pair.index(after: equals)...]))
        }
        return inputs
    }
}

/// Prints a run's progress on stderr.
struct ProgressPrinter: EventSink {
    let verbose: Bool

    /// Progress lines show no streamed text.
    var wantsTextDeltas: Bool { false }

    func emit(_ event: RunEvent) async {
        let who = event.agentPathText
        let data = event.payload
        let line: String?
        switch event.kind {
        case .runStarted(let crew, _): line = "run \(event.runID) · crew \(crew)"
        case .taskStarted(let task, let agent): line = "▶ task \(task) · \(agent)"
        case .toolStarted(_, let tool, let arguments): line = "  [\(who)] tool \(tool) \(arguments.prefix(160))"
        case .toolFinished(_, let tool, let outcome, let duration, let result, _):
            line =
                outcome == .success && !verbose
                ? nil : "  [\(who)] tool \(tool) \(outcome.rawValue) (\(duration) ms): \(result.prefix(200))"
        case .toolDenied(_, let tool, let reason, _): line = "  [\(who)] tool \(tool) denied: \(reason)"
        case .awaitingApproval(let approval, _, let tool, let arguments):
            line =
                "  [\(who)] tool \(tool) awaits approval \(approval): \(arguments.prefix(160))\n    approve: agentctl approvals approve \(approval)   reject: agentctl approvals reject \(approval)"
        case .approvalDecided(_, let tool, let approved, let by, let comment):
            line =
                "  [\(who)] tool \(tool) \(approved ? "approved" : "rejected") by \(by)\(comment.isEmpty ? "" : ": \(comment)")"
        case .delegationStarted(let coworker, let kind, let task):
            line = "  [\(who)] \(kind == .ask ? "asks" : "delegates to") \(coworker): \(task.prefix(160))"
        case .delegationFinished(let coworker, _): line = "  [\(who)] \(coworker) answered"
        case .llmResponse(let model, let usage, let cost, let latency, _):
            line =
                "  [\(who)] \(model) · \(usage.inputTokens) in + \(usage.outputTokens) out tokens · \(cost.map { String(format: "$%.6f", $0) } ?? "cost unknown") · \(latency) ms"
        case .guardrailVerdict(_, let passed, let feedback):
            line = "  [\(who)] check \(passed ? "passed" : "failed"): \(feedback.prefix(200))"
        case .taskFinished(let task, _, _, let usage, let cost):
            line = "✓ task \(task) · \(usage.totalTokens) tokens · \(String(format: "$%.6f", cost))"
        case .runFinished(let status, _): line = "run \(status.rawValue)"
        case .runFailed(let code, let message): line = "✗ run failed (\(code)): \(message)"
        case .runCancelled(let reason): line = "run cancelled: \(reason)"
        case .prompt, .llmRequest, .textDelta: line = nil
        }
        _ = data
        if let line { Console.error(line) }
    }
}

extension ExitStatus {
    /// The run failed.
    static let runFailed: Int32 = 4
    /// The run was cancelled (Ctrl-C).
    static let cancelled: Int32 = 130
}
