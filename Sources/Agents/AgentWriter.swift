import AgentRuntime
import Foundation

/// Writes an agent definition the one way every writer does: `PUT /v1/agents/{id}`, a restore of a stored version,
/// and the playground's `/save`. The file is checked with the whole catalog (its own errors; crews that load now and
/// would not; a model the runtime cannot serve), written atomically, checked again as loaded, stored as the agent's
/// next version, and audited with a diff. Callers serialise writes (one at a time per agents folder).
public struct AgentWriter: Sendable {
    /// The catalog's loader (where the file goes, and what it is validated with).
    public var loader: CatalogLoader
    /// Where versions and audit entries go.
    public var store: any AgentVersionStore & AuditLog
    /// Why the runtime cannot serve a model (nil: it can).
    public var modelProblem: @Sendable (ModelReference?) async -> String?

    /// Creates a writer.
    public init(
        loader: CatalogLoader, store: any AgentVersionStore & AuditLog,
        modelProblem: @escaping @Sendable (ModelReference?) async -> String? = { _ in nil }
    ) {
        self.loader = loader
        self.store = store
        self.modelProblem = modelProblem
    }

    /// What a write did.
    public struct Written: Sendable {
        /// The agent's new version number.
        public var version: Int
        /// The agent as it loaded.
        public var agent: AgentDefinition
        /// The catalog with the new file.
        public var catalog: Catalog
        /// The change, as a unified diff.
        public var diff: String
    }

    /// Why a write was refused (nothing was written, or what was written was put back).
    public enum Refusal: Error, Sendable {
        /// The agent exists in another category (a category is its folder).
        case categoryChange(current: String)
        /// The file has errors (or clashes with the catalog once loaded).
        case invalid([Diagnostic])
        /// Valid alone, but it would break crews that load now, or names a model the runtime cannot serve.
        case unprocessable(reasons: [String], brokenCrews: [Catalog.BrokenCrew], modelProblem: String?)

        /// A one-line explanation.
        public var message: String {
            switch self {
            case .categoryChange(let current):
                return "the agent is in category \(current); the category cannot change here"
            case .invalid(let errors):
                return "the definition has \(max(1, errors.count)) error(s)"
                    + (errors.isEmpty ? "" : ": " + errors.map(\.formatted).joined(separator: "; "))
            case .unprocessable(let reasons, _, _): return reasons.joined(separator: "; ")
            }
        }
    }

    /// Writes `bytes` as agent `id` of `category` for `user` (with `roles`, auditing under `tenant`), after every
    /// check; `tool` and `detail` name the change in the audit log (`config.agent_update`, `config.agent_restore`).
    public func write(
        id: String, category: String, bytes: [UInt8], user: String, roles: [String],
        tenant: TenantID = AuditEntry.platformTenant, tool: String = "config.agent_update", detail: String = ""
    ) async throws -> Written {
        let kind = DefinitionSource.Kind.agent(category: category)
        let path = loader.displayPath(of: kind, stem: id)
        let before = try loader.load()
        if let existing = before.agent(AgentID(id)), existing.category != category {
            throw Refusal.categoryChange(current: existing.category)
        }
        let after = try loader.load(replacing: DefinitionSource(displayPath: path, stem: id, kind: kind, bytes: bytes))
        let errors = after.diagnostics.filter { $0.severity == .error && $0.file == path }
        guard errors.isEmpty, let agent = after.agent(AgentID(id)) else { throw Refusal.invalid(errors) }
        var reasons: [String] = []
        let broken = before.crewsBroken(in: after)
        if !broken.isEmpty {
            reasons.append(
                "it would make \(broken.count == 1 ? "crew" : "crews") \(broken.map(\.id.rawValue).joined(separator: ", ")) invalid"
            )
        }
        let problem = await modelProblem(agent.model)
        if let problem { reasons.append("the runtime cannot serve its model: \(problem)") }
        guard reasons.isEmpty else {
            throw Refusal.unprocessable(reasons: reasons, brokenCrews: broken, modelProblem: problem)
        }

        let file = loader.agentsDirectory.appendingPathComponent(category).appendingPathComponent("\(id).json")
        let previous = try? String(contentsOf: file, encoding: .utf8)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file, options: .atomic)
        func putBack() {
            if let previous {
                try? Data(previous.utf8).write(to: file, options: .atomic)
            } else {
                try? FileManager.default.removeItem(at: file)
            }
        }
        let loaded: Catalog
        do {
            loaded = try loader.load()
        } catch {
            putBack()
            throw error
        }
        let clashes = loaded.diagnostics.filter { $0.severity == .error && $0.file == path }
        guard clashes.isEmpty, let saved = loaded.agent(AgentID(id)) else {
            // Fine alone, but it clashes with the files as they are now (changed since the check).
            putBack()
            throw Refusal.invalid(clashes)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if let previous, try await store.agentVersions(AgentID(id)).isEmpty {
            _ = try await store.appendAgentVersion(AgentID(id), content: previous, user: "file")
        }
        let version = try await store.appendAgentVersion(AgentID(id), content: text, user: user)
        let diff = UnifiedDiff.make(from: previous, to: text, path: path)
        let what: JSONValue = ["kind": "agent", "id": .string(id), "version": .int(version), "path": .string(path)]
        try await store.appendAudit(
            AuditEntry(
                time: Date(), tenant: tenant, user: user, roles: roles, runID: "config", agent: id, tool: tool,
                outcome: "applied", durationMS: nil, arguments: what.serialized(),
                detail: detail.isEmpty ? (previous == nil ? "new agent" : "version \(version)") : detail,
                kind: "agent", diff: diff))
        return Written(version: version, agent: saved, catalog: loaded, diff: diff)
    }
}
