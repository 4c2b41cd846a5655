import AgentRuntime
import Agents
import Foundation
import Hummingbird

/// Operators' views of the service (platform roles only). Paths are relative to `/v1`.
struct AdminRoutes: Sendable {
    /// What the handlers use.
    let services: GatewayServices

    /// The routes, each with its handler.
    var endpoints: RouteCollection<GatewayContext> {
        RouteCollection(context: GatewayContext.self)
            .get("admin/catalog", use: catalog)
    }

    /// The definitions serving now: the catalog's version and load time, its counts and diagnostics, and the errors of
    /// the last change on disk that was refused (the previous catalog kept serving); the same for tenants and the
    /// runtime config, with the changes that wait for a restart.
    private func catalog(_ request: Request, _ context: GatewayContext) async throws -> Response {
        _ = try context.caller(atLeast: .platformAdmin)
        let holder = services.catalog
        let catalog = await holder.catalog
        let rejected = await holder.rejectedDiagnostics
        let rejectedAt = await holder.rejectedAt
        let settings = services.settingsStatus
        let degraded = !rejected.isEmpty || !settings.errors.isEmpty
        return Reply.data([
            "status": .string(degraded ? "degraded" : "ok"),
            "version": .int(await holder.version),
            "loaded_at": .string(await holder.loadedAt.formatted(.iso8601)),
            "agents": .int(catalog.agents.count), "crews": .int(catalog.crews.count), "files": .int(catalog.fileCount),
            "watched": .array(holder.watchedPaths.map { .string($0.path) }),
            "diagnostics": .array(rejected.map(Self.render)),
            "rejected_at": rejectedAt.map { JSONValue.string($0.formatted(.iso8601)) } ?? .null,
            "serving_diagnostics": .array(catalog.diagnostics.map(Self.render)),
            "settings": [
                "version": .int(settings.version), "loaded_at": .string(settings.loadedAt.formatted(.iso8601)),
                "watched": .array((services.settingsSource?.paths ?? []).map { .string($0.path) }),
                "diagnostics": .array(settings.errors.map(Self.render)),
                "restart_required": .array(settings.restartRequired.map { .string($0) }),
            ],
        ])
    }

    /// A diagnostic as JSON.
    static func render(_ diagnostic: Diagnostic) -> JSONValue {
        [
            "file": .string(diagnostic.file), "line": .int(diagnostic.line), "column": .int(diagnostic.column),
            "severity": .string(diagnostic.severity.rawValue), "code": .string(diagnostic.code.rawValue),
            "message": .string(diagnostic.message), "pointer": .string(diagnostic.pointer),
            "formatted": .string(diagnostic.formatted),
        ]
    }
}
