import AgentRuntime
import Agents
import Foundation
import ServiceLifecycle

/// The tenants, and what else of the settings `serve` reloads while it runs: shared by every copy of the services.
final class LiveSettings: @unchecked Sendable {
    private struct State {
        var tenants: [TenantID: TenantDefinition]
        var files: [String: String] = [:]
        var fingerprint: DefinitionFingerprint?
        var errors: [Diagnostic] = []
        var restartRequired: [String] = []
        var loadedAt: Date
        var version = 1
    }
    /// Guarded by `lock`.
    private var current: State
    private let lock = NSLock()

    init(tenants: [TenantID: TenantDefinition]) {
        current = State(tenants: tenants, loadedAt: Date())
    }

    private func withLock<T>(_ body: (inout State) -> T) -> T {
        lock.withLock { body(&current) }
    }

    var tenants: [TenantID: TenantDefinition] {
        get { withLock { $0.tenants } }
        set { withLock { $0.tenants = newValue } }
    }

    /// The settings' reload status: version, time of the last successful load, errors of a refused one, and the
    /// changes that wait for a restart.
    var status: (version: Int, loadedAt: Date, errors: [Diagnostic], restartRequired: [String]) {
        withLock { ($0.version, $0.loadedAt, $0.errors, $0.restartRequired) }
    }

    /// Takes `fingerprint` as the one last seen: whether it changed, and whether it is the first one seen.
    func see(_ fingerprint: DefinitionFingerprint) -> (changed: Bool, first: Bool) {
        withLock { state in
            let first = state.fingerprint == nil
            guard state.fingerprint != fingerprint else { return (false, first) }
            state.fingerprint = fingerprint
            return (true, first)
        }
    }

    /// Replaces the remembered file texts; returns the previous ones.
    func swapFiles(_ files: [String: String]) -> [String: String] {
        withLock { state in
            defer { state.files = files }
            return state.files
        }
    }

    func record(errors: [Diagnostic], restartRequired: [String], applied: Bool, now: Date) {
        withLock { state in
            state.errors = errors
            state.restartRequired = restartRequired
            if applied {
                state.version += 1
                state.loadedAt = now
            }
        }
    }
}

/// The files besides the agents folder that `serve` watches (tenants, the runtime config), and how to read them
/// again: given by the composition root, which knows their formats and what may change without a restart.
public struct SettingsSource: Sendable {
    /// The files and folders to watch.
    public var paths: [URL]
    /// Reads them again.
    public var load: @Sendable () async -> SettingsLoad

    /// Creates a source.
    public init(paths: [URL], load: @escaping @Sendable () async -> SettingsLoad) {
        self.paths = paths
        self.load = load
    }
}

/// What reading the settings again found.
public struct SettingsLoad: Sendable {
    /// Every file read (display path → text), for the audit's diffs.
    public var files: [String: String]
    /// The tenants, when they load without errors (nil keeps the current ones).
    public var tenants: [TenantID: TenantDefinition]?
    /// Errors (file:line:column): nothing is applied while there is one.
    public var errors: [Diagnostic]
    /// Settings that changed and take effect only after a restart (the listen address, the store URL, ...).
    public var restartRequired: [String]
    /// Applies what can change live (tenant policies, limits; called only without errors).
    public var apply: @Sendable () -> Void

    /// Creates a result.
    public init(
        files: [String: String], tenants: [TenantID: TenantDefinition]?, errors: [Diagnostic],
        restartRequired: [String] = [], apply: @escaping @Sendable () -> Void = {}
    ) {
        self.files = files
        self.tenants = tenants
        self.errors = errors
        self.restartRequired = restartRequired
        self.apply = apply
    }
}

extension GatewayServices {
    /// Looks at the definition folders and the settings once (one tick of ``DefinitionWatcher``): a change that
    /// validates is loaded for new runs and audited (actor `file`, with a diff) and new agent versions are stored; a
    /// change that does not is logged with its diagnostics and the previous definitions keep serving. Serialised with
    /// `PUT /v1/agents/{id}`.
    public func checkDefinitions(now: Date = Date()) async {
        _ = try? await configUpdates.run {
            await checkCatalog(now: now)
            await checkSettings(now: now)
        }
    }

    private func checkCatalog(now: Date) async {
        switch await catalog.reloadIfChanged(now: now) {
        case .unchanged: return
        case .applied(let version, let changes):
            log(
                "definitions: version \(version) loaded (\(changes.map(\.path).joined(separator: ", "))); new runs use it"
            )
            for change in changes { await audit(change, outcome: "applied", detail: "catalog version \(version)") }
        case .rejected(let errors, let changes):
            log(
                "definitions: the change on disk was not loaded (\(errors.count) error(s)); the previous definitions keep serving:\n"
                    + errors.map(\.formatted).joined(separator: "\n"))
            let detail = errors.prefix(20).map(\.formatted).joined(separator: "\n")
            for change in changes { await audit(change, outcome: "rejected", detail: detail) }
        }
    }

    private func checkSettings(now: Date) async {
        guard let settingsSource else { return }
        let seen = live.see(DefinitionFingerprint(of: settingsSource.paths))
        guard seen.changed else { return }
        let loaded = await settingsSource.load()
        let previous = live.swapFiles(loaded.files)
        // The first look (at start) takes the files as they are: the baseline later changes are compared with.
        guard !seen.first else { return }
        let changes = Set(previous.keys).union(loaded.files.keys).sorted().compactMap { path -> DefinitionChange? in
            guard previous[path] != loaded.files[path] else { return nil }
            let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let isConfig = (path as NSString).lastPathComponent == "agentruntime.json"
            return DefinitionChange(
                kind: isConfig ? "config" : "tenant", id: name, path: path, before: previous[path],
                after: loaded.files[path])
        }
        guard !changes.isEmpty else { return }
        if !loaded.errors.isEmpty {
            live.record(errors: loaded.errors, restartRequired: loaded.restartRequired, applied: false, now: now)
            log(
                "settings: the change on disk was not loaded (\(loaded.errors.count) error(s)); the previous settings keep serving:\n"
                    + loaded.errors.map(\.formatted).joined(separator: "\n"))
            let detail = loaded.errors.prefix(20).map(\.formatted).joined(separator: "\n")
            for change in changes { await audit(change, outcome: "rejected", detail: detail) }
            return
        }
        if let tenants = loaded.tenants { live.tenants = tenants }
        loaded.apply()
        live.record(errors: [], restartRequired: loaded.restartRequired, applied: true, now: now)
        log(
            "settings: reloaded (\(changes.map(\.path).joined(separator: ", ")))"
                + (loaded.restartRequired.isEmpty
                    ? "" : "; needs a restart to take effect: \(loaded.restartRequired.joined(separator: ", "))"))
        for change in changes {
            await audit(
                change, outcome: "applied",
                detail: loaded.restartRequired.isEmpty
                    ? "" : "needs a restart: \(loaded.restartRequired.joined(separator: ", "))")
        }
    }

    /// Audits one change picked up from disk (actor `file`). An agent's new text is also stored as its next version
    /// unless it already is the newest (written through the API, or recorded by another replica watching the same
    /// files, which then audited it).
    private func audit(_ change: DefinitionChange, outcome: String, detail: String) async {
        var version: Int?
        do {
            if change.kind == "agent", outcome == "applied", let after = change.after {
                let id = AgentID(change.id)
                let stored = try await store.agentVersions(id)
                if stored.first?.content == after { return }
                if stored.isEmpty, let before = change.before {
                    _ = try await store.appendAgentVersion(id, content: before, user: "file")
                }
                version = try await store.appendAgentVersion(id, content: after, user: "file")
            }
            let tenant = change.kind == "tenant" ? TenantID(change.id) : AuditEntry.platformTenant
            try await store.appendAudit(
                Self.definitionAudit(
                    kind: change.kind, id: change.id, version: version, tenant: tenant, user: "file", roles: [],
                    tool: "config.\(change.kind)_\(change.after == nil ? "delete" : "update")", outcome: outcome,
                    detail: detail, diff: change.diff))
        } catch {
            log("definitions: could not audit the change of \(change.path): \(error)")
        }
    }

    /// An audit entry of a definition change.
    static func definitionAudit(
        kind: String, id: String, version: Int?, tenant: TenantID, user: String, roles: [String], tool: String,
        outcome: String, detail: String, diff: String, time: Date = Date()
    ) -> AuditEntry {
        var members: [(key: String, value: JSONValue)] = [("kind", .string(kind)), ("id", .string(id))]
        if let version { members.append(("version", .int(version))) }
        let what = JSONValue.object(JSONObject(members))
        return AuditEntry(
            time: time, tenant: tenant, user: user, roles: roles, runID: "config", agent: id, tool: tool,
            outcome: outcome, durationMS: nil, arguments: what.serialized(), detail: detail, kind: kind, diff: diff)
    }

    /// Takes the settings files as they are now as the baseline of later changes (the composition root calls it once
    /// at start, so an edit in the first interval is not missed).
    public func primeSettings() async {
        _ = try? await configUpdates.run { await checkSettings(now: Date()) }
    }

    /// The tenants' and runtime config's reload status.
    var settingsStatus: (version: Int, loadedAt: Date, errors: [Diagnostic], restartRequired: [String]) {
        live.status
    }
}

/// Looks at the definition folders and settings every `interval` (`serve` watches `agents/`, `connectors/`,
/// `tenants/` and `agentruntime.json`; see ``GatewayServices/checkDefinitions(now:)``). The clock is injected so that
/// tests move time by hand.
public struct DefinitionWatcher: Service {
    let services: GatewayServices
    let interval: Duration
    let clock: any Clock<Duration>

    /// Creates a watcher.
    public init(services: GatewayServices, interval: Duration, clock: any Clock<Duration> = ContinuousClock()) {
        self.services = services
        self.interval = interval
        self.clock = clock
    }

    /// Checks every `interval` until cancelled or shut down.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await clock.sleep(for: interval, tolerance: nil) } catch { return }
                await services.checkDefinitions()
            }
        }
    }
}
