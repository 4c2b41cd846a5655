import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Agents
import Clocks
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Tools

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `AuthenticationMiddleware`: the service token, the identity headers, request ids, and per-tenant limits.
@Suite("Gateway: authentication and limits")
struct AuthenticationMiddlewareTests {
    typealias F = GatewayFixture

    @Test(
        "authentication and identity: 401 without a valid token or identity, 403 for unknown roles or tenants; request ids"
    )
    func authentication() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let cases: [(HTTPFields, HTTPResponse.Status, String)] = [
                (F.headers(token: nil), .unauthorized, "UNAUTHORIZED"),
                (F.headers(token: "wrong"), .unauthorized, "UNAUTHORIZED"),
                ([.authorization: "Bearer \(F.token)"], .unauthorized, "UNAUTHORIZED"),
                (F.headers(roles: "tenant_user,janitor"), .forbidden, "FORBIDDEN"),
                (F.headers(tenant: "initech"), .forbidden, "FORBIDDEN"),
            ]
            for (headers, status, code) in cases {
                try await client.execute(uri: "/v1/agents", method: .get, headers: headers) { response in
                    #expect(response.status == status)
                    try #expect(F.json(response)["error"]?["code"] == .string(code))
                    #expect(response.headers[HTTPField.Name("X-Request-ID")!]?.isEmpty == false)
                }
            }
            try await client.execute(
                uri: "/v1/agents", method: .get, headers: F.headers(extra: [HTTPField.Name("X-Request-ID")!: "req-123"])
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("X-Request-ID")!] == "req-123")
            }
            try await client.execute(uri: "/v1/nowhere", method: .get, headers: F.headers()) { response in
                #expect(response.status == .notFound)
                try #expect(F.json(response)["error"]?["code"] == "NOT_FOUND")
            }
        }
    }

    @Test(
        "service token: an identity header sent twice is refused with 400, never merged; so is a second Authorization")
    func repeatedIdentityHeaders() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            for name in ["X-User-Roles", "X-Tenant-ID", "X-User-ID", "Authorization"] {
                var headers = F.headers(roles: "tenant_user")
                let field = HTTPField.Name(name)!
                // Today's merge would read "tenant_user, platform_admin" and admit a platform route.
                headers.append(
                    HTTPField(name: field, value: name == "X-User-Roles" ? "platform_admin" : headers[field]!))
                try await client.execute(uri: "/v1/agents", method: .get, headers: headers) { response in
                    #expect(response.status == .badRequest, "\(name)")
                    let error = try F.json(response)["error"]
                    #expect(error?["code"] == "VALIDATION_ERROR")
                    #expect(error?["message"]?.stringValue?.contains("send") == true, "\(String(describing: error))")
                }
            }
            var appended = F.headers(roles: "tenant_user")
            appended.append(HTTPField(name: HTTPField.Name("X-User-Roles")!, value: "platform_admin"))
            try await client.execute(
                uri: "/v1/agents/seo-specialist", method: .put, headers: appended, body: F.body(["name": "x"])
            ) { #expect($0.status == .badRequest) }
        }
    }

    @Test("service token: platform roles in X-User-Roles need the platform-level token (403 naming the rule)")
    func platformRolesNeedPlatformToken() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            for roles in ["platform_admin", "tenant_user,super_admin"] {
                var headers = F.headers(roles: roles)
                headers[.authorization] = "Bearer \(F.token)"
                try await client.execute(uri: "/v1/agents", method: .get, headers: headers) { response in
                    #expect(response.status == .forbidden)
                    let message = try F.json(response)["error"]?["message"]?.stringValue ?? ""
                    #expect(message.contains("only from a signed access token or the platform-level service token"))
                }
                headers[.authorization] = "Bearer \(F.platformToken)"
                try await client.execute(uri: "/v1/agents", method: .get, headers: headers) {
                    #expect($0.status == .ok)
                }
            }
            // The platform-level token serves tenant roles too.
            try await client.execute(
                uri: "/v1/agents", method: .get, headers: F.headers(roles: "tenant_user", token: F.platformToken)
            ) { #expect($0.status == .ok) }
        }
    }

    @Test("the Bearer scheme is matched case-insensitively; other schemes are refused")
    func bearerScheme() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            for (authorization, status) in [
                ("bearer \(F.token)", HTTPResponse.Status.ok), ("BEARER \(F.token)", .ok), ("BeArEr  \(F.token)", .ok),
                ("Basic \(F.token)", .unauthorized), ("Bearer", .unauthorized), ("Bearer \(F.token) x", .unauthorized),
                ("Bearer \(F.token)x", .unauthorized),
            ] {
                var headers = F.headers()
                headers[.authorization] = authorization
                try await client.execute(uri: "/v1/agents", method: .get, headers: headers) { response in
                    #expect(response.status == status, "\(authorization)")
                }
            }
        }
    }

    @Test("per-tenant request limits and concurrent-run limits answer 429 with Retry-After")
    func limits() async throws {
        let clock = TestClock()
        var configuration = GatewayConfiguration(
            serviceToken: F.token, requestsPerMinutePerTenant: 3, concurrentRunsPerTenant: 1,
            eventPollInterval: .milliseconds(20))
        configuration.time = TimeSource(clock)
        let fixture = try F(configuration: configuration) { _ in
            try await Task.sleep(for: .seconds(30))
            return ScriptedChatModel.text("late")
        }
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let inputs = F.body(["inputs": ["topic": "a", "target_keyword": "b"]])
            try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: inputs
            ) { #expect($0.status == .accepted) }
            try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(), body: inputs
            ) { response in
                #expect(response.status == .tooManyRequests)
                try #expect(F.json(response)["error"]?["code"] == "RATE_LIMITED")
                #expect(response.headers[.retryAfter] != nil)
            }
            try await client.execute(uri: "/v1/agents", method: .get, headers: F.headers()) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/agents", method: .get, headers: F.headers()) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
            }
            // Three a minute: one request back every 20 s, not before.
            await clock.advance(by: .seconds(19))
            try await client.execute(uri: "/v1/agents", method: .get, headers: F.headers()) {
                #expect($0.status == .tooManyRequests)
            }
            await clock.advance(by: .seconds(41))
            try await client.execute(uri: "/v1/agents", method: .get, headers: F.headers()) {
                #expect($0.status == .ok)
            }
            // Another tenant has its own budget.
            try await client.execute(uri: "/v1/agents", method: .get, headers: F.headers(tenant: "globex")) {
                #expect($0.status == .ok)
            }
        }
        await fixture.services.runs.drain(grace: .zero)
    }
}
