import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Tools

/// Authorization inside a tenant: a tenant user sees, follows and cancels only the runs it started; a tenant admin
/// all of its tenant's; approvals are decided by the tenant's approver roles or a platform role.
@Suite("Gateway: authorization inside a tenant")
struct RunAuthorizationTests {
    typealias F = GatewayFixture

    /// A tenant user's headers (tenant acme).
    static func user(_ name: String) -> HTTPFields { F.headers(roles: "tenant_user", user: name) }

    @Test(
        "a tenant user sees, lists, follows and cancels only its own runs (another user's run is not found); a tenant admin sees them all"
    )
    func ownRuns() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            func start(_ headers: HTTPFields) async throws -> String {
                try await client.execute(
                    uri: "/v1/agents/seo-specialist/invoke", method: .post, headers: headers,
                    body: F.body(["prompt": "Audit the homepage"])
                ) { response in
                    #expect(response.status == .ok)
                    return try F.json(response)["data"]?["run_id"]?.stringValue ?? ""
                }
            }
            let adas = try await start(Self.user("ada"))
            let bobs = [try await start(Self.user("bob")), try await start(Self.user("bob"))]
            let admin = F.headers(roles: "tenant_admin", user: "carol")

            for path in ["", "/events", "/approvals"] {
                try await client.execute(uri: "/v1/runs/\(adas)\(path)", method: .get, headers: Self.user("bob")) {
                    response in
                    #expect(response.status == .notFound, "GET /v1/runs/{id}\(path) of another user")
                    try #expect(F.json(response)["error"]?["message"] == .string("no run \"\(adas)\""))
                }
                try await client.execute(uri: "/v1/runs/\(adas)\(path)", method: .get, headers: Self.user("ada")) {
                    #expect($0.status == .ok, "GET /v1/runs/{id}\(path) of its own")
                }
                try await client.execute(uri: "/v1/runs/\(adas)\(path)", method: .get, headers: admin) {
                    #expect($0.status == .ok, "GET /v1/runs/{id}\(path) as tenant_admin")
                }
            }
            // Not found for another user; for its owner and an admin the run is there (and has ended).
            try await client.execute(uri: "/v1/runs/\(adas)/cancel", method: .post, headers: Self.user("bob")) {
                #expect($0.status == .notFound)
            }
            for headers in [Self.user("ada"), admin] {
                try await client.execute(uri: "/v1/runs/\(adas)/cancel", method: .post, headers: headers) {
                    #expect($0.status == .conflict)
                }
            }

            // Listing: filtered in the store, so pages and totals hold only the caller's runs.
            try await client.execute(uri: "/v1/runs?limit=1&page=2", method: .get, headers: Self.user("bob")) {
                response in
                let json = try F.json(response)
                #expect(json["meta"]?["total"] == 2)
                #expect(json["data"]?.arrayValue?.count == 1)
                #expect(json["data"]?[0]?["run_id"]?.stringValue.map(bobs.contains) == true)
            }
            try await client.execute(uri: "/v1/runs", method: .get, headers: Self.user("ada")) { response in
                let json = try F.json(response)
                #expect(json["meta"]?["total"] == 1)
                #expect(json["data"]?[0]?["run_id"]?.stringValue == adas)
            }
            try await client.execute(uri: "/v1/runs", method: .get, headers: admin) {
                try #expect(F.json($0)["meta"]?["total"] == 3)
            }
            try await client.execute(uri: "/v1/runs", method: .get, headers: F.headers(roles: "platform_admin")) {
                try #expect(F.json($0)["meta"]?["total"] == 3)
            }
        }
    }

    @Test("an Idempotency-Key another user of the tenant already used does not hand over that user's run")
    func idempotencyKeyOfAnotherUser() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "shared-key"]
            let body = F.body([
                "inputs": ["website_url": "https://acme.test", "competitors": "globex.test"], "wait": true,
            ])
            let adas = try await client.execute(
                uri: "/v1/crews/seo-audit/runs", method: .post,
                headers: F.headers(roles: "tenant_user", extra: key, user: "ada"), body: body
            ) { response in
                #expect(response.status == .ok)
                return try F.json(response)["data"]?["run_id"]?.stringValue ?? ""
            }
            try await client.execute(
                uri: "/v1/crews/seo-audit/runs", method: .post,
                headers: F.headers(roles: "tenant_user", extra: key, user: "bob"), body: body
            ) { response in
                #expect(response.status == .conflict)
                #expect(!String(buffer: response.body).contains(adas))
            }
            // Its owner gets it back as before.
            try await client.execute(
                uri: "/v1/crews/seo-audit/runs", method: .post,
                headers: F.headers(roles: "tenant_user", extra: key, user: "ada"), body: body
            ) { try #expect(F.json($0)["data"]?["run_id"]?.stringValue == adas) }
        }
    }

    @Test(
        "approvals: another user's run's approvals are not found for a tenant user; deciding needs the tenant's approver roles or a platform role"
    )
    func approvals() async throws {
        let (fixture, _) = try F.publishing()
        defer { fixture.directory.remove() }
        // Acme's tenant file names no approver role: only platform roles decide its approvals.
        var services = fixture.services
        services.tenants["acme"]?.approverRoles = []
        let app = Application(router: Gateway.router(services))
        try await app.test(.router) { client in
            let owner = F.headers(roles: "tenant_admin", user: "ada")
            async let invoked = client.execute(
                uri: "/v1/agents/content-creator/invoke", method: .post, headers: owner,
                body: F.body(["prompt": "Publish the launch post"])
            ) { $0.status }
            var runID = ""
            var approvalID = ""
            for _ in 0..<500 where approvalID.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
                if runID.isEmpty {
                    runID = try await client.execute(uri: "/v1/runs", method: .get, headers: owner) {
                        try F.json($0)["data"]?[0]?["run_id"]?.stringValue ?? ""
                    }
                    continue
                }
                approvalID = try await client.execute(uri: "/v1/runs/\(runID)/approvals", method: .get, headers: owner)
                { try F.json($0)["data"]?[0]?["approval_id"]?.stringValue ?? "" }
            }
            try #require(!approvalID.isEmpty)
            try await client.execute(uri: "/v1/runs/\(runID)/approvals", method: .get, headers: Self.user("bob")) {
                #expect($0.status == .notFound)
            }
            let decide = "/v1/runs/\(runID)/approvals/\(approvalID)"
            let decision = F.body(["approve": true])
            for headers in [owner, Self.user("bob")] {
                try await client.execute(uri: decide, method: .post, headers: headers, body: decision) { response in
                    #expect(response.status == .forbidden)
                    let message = try F.json(response)["error"]?["message"]?.stringValue ?? ""
                    #expect(message.contains("approver_roles") && message.contains("platform role"), "\(message)")
                }
            }
            try await client.execute(
                uri: decide, method: .post, headers: F.headers(roles: "platform_admin", user: "pat"), body: decision
            ) { response in
                #expect(response.status == .ok)
                try #expect(F.json(response)["data"]?["decided_by"] == "pat")
            }
            #expect(try await invoked == .ok)
        }
    }

    @Test("a tenant whose approver_roles name tenant_user lets a tenant user decide the approvals of its own runs")
    func approverRoles() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        var services = fixture.services
        services.tenants["acme"]?.approverRoles = [.tenantUser]
        // A run of ada's waiting for a decision, stored as the engine stores it.
        let store = services.store
        for user in ["ada", "bob"] {
            try await store.insert(
                RunRecord(
                    id: RunID("r-\(user)"), tenant: "acme", user: user, crew: "invoke:content-creator",
                    status: .awaitingApproval, inputs: [:]))
            try await store.insertApproval(
                ApprovalRequest(
                    id: "a-\(user)", runID: RunID("r-\(user)"),
                    principal: Principal(tenant: "acme", user: user, roles: [.tenantUser]), agent: "content-creator",
                    tool: "wordpress.create_post", arguments: "{}", requestedAt: Date()),
                expiresAt: Date().addingTimeInterval(3600))
        }
        let app = Application(router: Gateway.router(services))
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/runs/r-ada/approvals/a-ada", method: .post, headers: Self.user("ada"),
                body: F.body(["approve": false, "comment": "not now"])
            ) { response in
                #expect(response.status == .ok)
                try #expect(F.json(response)["data"]?["status"] == "rejected")
            }
            try await client.execute(
                uri: "/v1/runs/r-bob/approvals/a-bob", method: .post, headers: Self.user("ada"),
                body: F.body(["approve": true])
            ) { #expect($0.status == .notFound) }
        }
    }
}
