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

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `ApprovalRoutes`: a run's approvals listed and decided over HTTP.
@Suite("Gateway: approvals")
struct ApprovalRoutesTests {
    typealias F = GatewayFixture

    @Test("approvals over HTTP: listed for the run, decided by tenant_admin or above only")
    func approvals() async throws {
        let (fixture, publish) = try F.publishing()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            async let invoked = client.execute(
                uri: "/v1/agents/content-creator/invoke", method: .post, headers: F.headers(),
                body: F.body(["prompt": "Publish the launch post"])
            ) { response in
                (response.status, try F.json(response)["data"])
            }
            var runID = ""
            var approvalID = ""
            for _ in 0..<500 where approvalID.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
                if runID.isEmpty {
                    // Running, or already waiting for the approval.
                    runID = try await client.execute(uri: "/v1/runs", method: .get, headers: F.headers()) {
                        try F.json($0)["data"]?[0]?["run_id"]?.stringValue ?? ""
                    }
                    continue
                }
                approvalID = try await client.execute(
                    uri: "/v1/runs/\(runID)/approvals", method: .get, headers: F.headers(roles: "tenant_user")
                ) { response in
                    guard let first = try F.json(response)["data"]?[0] else { return "" }
                    #expect(first["tool"] == "wordpress.create_post")
                    #expect(first["status"] == "pending")
                    return first["approval_id"]?.stringValue ?? ""
                }
            }
            try #require(!approvalID.isEmpty)
            let decision = F.body(["approve": true, "comment": "looks good"])
            try await client.execute(
                uri: "/v1/runs/\(runID)/approvals/\(approvalID)", method: .post,
                headers: F.headers(roles: "tenant_user"), body: decision
            ) { response in
                #expect(response.status == .forbidden)
                try #expect(F.json(response)["error"]?["code"] == "FORBIDDEN")
            }
            try await client.execute(
                uri: "/v1/runs/\(runID)/approvals", method: .get, headers: F.headers(tenant: "globex")
            ) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/v1/runs/\(runID)/approvals/\(approvalID)", method: .post, headers: F.headers(tenant: "globex"),
                body: decision
            ) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/v1/runs/\(runID)/approvals/\(approvalID)", method: .post, headers: F.headers(),
                body: F.body(["approve": "yes"])
            ) { response in
                #expect(response.status == .badRequest)
                try #expect(F.json(response)["error"]?["details"]?[0]?["field"] == "approve")
            }
            try await client.execute(
                uri: "/v1/runs/\(runID)/approvals/nope", method: .post, headers: F.headers(), body: decision
            ) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/v1/runs/\(runID)/approvals/\(approvalID)", method: .post, headers: F.headers(), body: decision
            ) { response in
                #expect(response.status == .ok)
                try #expect(F.json(response)["data"]?["status"] == "approved")
                try #expect(F.json(response)["data"]?["decided_by"] == "ada")
            }
            try await client.execute(
                uri: "/v1/runs/\(runID)/approvals/\(approvalID)", method: .post, headers: F.headers(), body: decision
            ) { #expect($0.status == .conflict) }
            let (status, data) = try await invoked
            #expect(status == .ok)
            #expect(data?["status"] == "succeeded")
            #expect(data?["run_id"]?.stringValue == runID)
            #expect(publish.callCount == 1)
        }
    }
}
