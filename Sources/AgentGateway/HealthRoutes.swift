import AgentRuntime
import Hummingbird

/// Liveness and readiness, without authentication (for the orchestrator's probes).
struct HealthRoutes: Sendable {
    /// What readiness checks.
    let services: GatewayServices

    /// The routes, each with its handler.
    var endpoints: RouteCollection<GatewayContext> {
        RouteCollection(context: GatewayContext.self)
            .get("health", use: live)
            .get("health/ready", use: ready)
    }

    /// Liveness only (it tells nothing but that the process answers).
    var liveness: RouteCollection<GatewayContext> {
        RouteCollection(context: GatewayContext.self).get("health", use: live)
    }

    /// Readiness only (it names the checks that fail: the store, the secret store, providers).
    var readiness: RouteCollection<GatewayContext> {
        RouteCollection(context: GatewayContext.self).get("health/ready", use: ready)
    }

    /// Liveness: the process answers.
    private func live(_ request: Request, _ context: GatewayContext) -> Response { Reply.data(["status": "ok"]) }

    /// Readiness: every check (catalog, store, secret store when there is one, providers); 503 naming them when one fails.
    private func ready(_ request: Request, _ context: GatewayContext) async throws -> Response {
        var checks: [(String, Bool, String)] = []
        let catalog = await services.catalog.catalog
        checks.append(
            (
                "catalog", !catalog.agents.isEmpty,
                "\(catalog.agents.count) agents, \(catalog.crews.count) crews, \(catalog.errorCount) errors"
            ))
        do {
            try await services.store.checkAvailable()
            checks.append(("store", true, "reachable"))
        } catch {
            checks.append(("store", false, (error as? StoreError)?.message ?? "not reachable"))
        }
        if let secrets = services.secrets {
            do {
                _ = try await secrets.secret("health/probe", scope: .platform)
                checks.append(("secret_store", true, "reachable"))
            } catch {
                checks.append(("secret_store", false, "unreachable"))
            }
        }
        let (providersOK, providersDetail) = await services.providersReady(catalog)
        checks.append(("providers", providersOK, providersDetail))
        // A change on disk that was refused leaves the previous definitions serving: still ready, but degraded.
        let rejected = await services.catalog.rejectedDiagnostics
        let version = await services.catalog.version
        let loadedAt = await services.catalog.loadedAt
        let settingsErrors = services.settingsStatus.errors
        let degraded = !rejected.isEmpty || !settingsErrors.isEmpty
        checks.append(
            (
                "definitions", true,
                degraded
                    ? "degraded: the last change on disk was refused (\(rejected.count + settingsErrors.count) error(s)); version \(version) keeps serving (GET /v1/admin/catalog)"
                    : "version \(version) loaded \(loadedAt.formatted(.iso8601))"
            ))
        let ok = checks.allSatisfy(\.1)
        let body: JSONValue = [
            "status": .string(ok ? (degraded ? "degraded" : "ready") : "not_ready"),
            "checks": .object(
                JSONObject(checks.map { (key: $0.0, value: ["ok": .bool($0.1), "detail": .string($0.2)]) })),
        ]
        return ok
            ? Reply.data(body)
            : Reply.json(
                ["error": ["code": "UNAVAILABLE", "message": "not ready", "details": body]], status: .serviceUnavailable
            )
    }
}
