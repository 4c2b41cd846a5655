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

/// `RunRoutes`: starting, waiting, polling, idempotency, SSE (stored and live), cancelling, resuming, invoking one agent.
@Suite("Gateway: runs")
struct RunRoutesTests {
    typealias F = GatewayFixture

    @Test("runs: wait for a result, or start and poll; tenants see only their own; validation errors list fields")
    func runs() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let finished = try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: F.body(F.contentApproval)
            ) { response in
                #expect(response.status == .ok)
                let data = try F.json(response)["data"]
                #expect(data?["status"] == "succeeded")
                if case .array(let tasks)? = data?["tasks"] { #expect(tasks.count == 4) }
                return data?["run_id"]?.stringValue ?? ""
            }
            let started = try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: F.body(["inputs": ["topic": "a", "target_keyword": "b"]])
            ) { response in
                #expect(response.status == .accepted)
                return try F.json(response)["data"]?["run_id"]?.stringValue ?? ""
            }
            var status = ""
            for _ in 0..<200 where status != "succeeded" {
                status = try await client.execute(uri: "/v1/runs/\(started)", method: .get, headers: F.headers()) {
                    try F.json($0)["data"]?["status"]?.stringValue ?? ""
                }
                if status != "succeeded" { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(status == "succeeded")
            try await client.execute(
                uri: "/v1/runs?status=succeeded&crew=content-approval", method: .get, headers: F.headers()
            ) { response in
                try #expect(F.json(response)["meta"]?["total"] == 2)
            }
            try await client.execute(uri: "/v1/runs/\(finished)", method: .get, headers: F.headers(tenant: "globex")) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/runs", method: .get, headers: F.headers(tenant: "globex")) {
                try #expect(F.json($0)["meta"]?["total"] == 0)
            }
            try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: F.body(["inputs": ["topic": "x", "tpoic": "y"]])
            ) { response in
                #expect(response.status == .badRequest)
                let error = try F.json(response)["error"]
                #expect(error?["code"] == "VALIDATION_ERROR")
                #expect(
                    error?["details"] == [["field": "inputs.tpoic", "message": "the crew does not declare this input"]])
            }
            try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: F.body(["inputs": ["topic": "x"]])
            ) { response in
                try #expect(
                    F.json(response)["error"]?["details"] == [
                        ["field": "inputs.target_keyword", "message": "required input is missing"]
                    ])
            }
            try await client.execute(uri: "/v1/crews/nope/runs", method: .post, headers: F.headers(), body: F.body([:]))
            { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/v1/runs?page=9223372036854775807&limit=200", method: .get, headers: F.headers()
            ) { #expect($0.status == .badRequest) }
            try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: ByteBuffer(string: "{\"inputs\": ")
            ) { response in
                #expect(response.status == .badRequest)
                try #expect(F.json(response)["error"]?["code"] == "VALIDATION_ERROR")
            }
            try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: ByteBuffer(string: "{\"x\": \"" + String(repeating: "a", count: 1 << 20) + "\"}")
            ) { response in
                #expect(response.status == .contentTooLarge)
                try #expect(F.json(response)["error"]?["code"] == "PAYLOAD_TOO_LARGE")
            }
        }
    }

    @Test("an Idempotency-Key returns the same run for the same key and tenant")
    func idempotency() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            var ids: [String] = []
            for tenant in ["acme", "acme", "globex"] {
                let id = try await client.execute(
                    uri: "/v1/crews/seo-audit/runs", method: .post,
                    headers: F.headers(tenant: tenant, extra: [HTTPField.Name("Idempotency-Key")!: "key-1"]),
                    body: F.body(["inputs": ["website_url": "https://acme.test", "competitors": "globex.test"]])
                ) { response in
                    try F.json(response)["data"]?["run_id"]?.stringValue ?? "?"
                }
                ids.append(id)
            }
            #expect(ids[0] == ids[1])
            #expect(ids[0] != ids[2])
            // A first attempt that fails does not use up its key.
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "key-2"]
            try await client.execute(
                uri: "/v1/crews/seo-audit/runs", method: .post, headers: F.headers(extra: key),
                body: F.body(["inputs": [:]])
            ) { #expect($0.status == .badRequest) }
            let retried = try await client.execute(
                uri: "/v1/crews/seo-audit/runs", method: .post, headers: F.headers(extra: key),
                body: F.body([
                    "inputs": ["website_url": "https://acme.test", "competitors": "globex.test"], "wait": true,
                ])
            ) { response in
                #expect(response.status == .ok)
                return try F.json(response)["data"]?["run_id"]?.stringValue ?? "?"
            }
            // Waiting on a key whose run exists answers with the finished run.
            try await client.execute(
                uri: "/v1/crews/seo-audit/runs", method: .post, headers: F.headers(extra: key),
                body: F.body(["wait": true])
            ) { response in
                #expect(response.status == .ok)
                try #expect(F.json(response)["data"]?["run_id"]?.stringValue == retried)
                try #expect(F.json(response)["data"]?["status"] == "succeeded")
            }
        }
    }

    @Test("events stream as Server-Sent Events with ids, and resume after Last-Event-ID")
    func events() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let id = try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: F.body(F.contentApproval)
            ) {
                try F.json($0)["data"]?["run_id"]?.stringValue ?? ""
            }
            let all = try await client.execute(uri: "/v1/runs/\(id)/events", method: .get, headers: F.headers()) {
                response in
                #expect(response.headers[.contentType] == "text/event-stream")
                return String(buffer: response.body)
            }
            let ids = all.components(separatedBy: "\n").filter { $0.hasPrefix("id: ") }.compactMap {
                Int($0.dropFirst(4))
            }
            #expect(ids.first == 1 && ids.count > 10)
            #expect(all.contains("event: run_started") && all.contains("event: run_finished"))
            let resumed = try await client.execute(
                uri: "/v1/runs/\(id)/events", method: .get,
                headers: F.headers(extra: [HTTPField.Name("Last-Event-ID")!: String(ids[5])])
            ) {
                String(buffer: $0.body)
            }
            let resumedIDs = resumed.components(separatedBy: "\n").filter { $0.hasPrefix("id: ") }.compactMap {
                Int($0.dropFirst(4))
            }
            #expect(resumedIDs == Array(ids.dropFirst(6)))
            try await client.execute(uri: "/v1/runs/\(id)/events", method: .get, headers: F.headers(tenant: "globex")) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test(
        "SSE opened while the run is in flight: events arrive live with the streamed text, numbered 1..N like the stored ones; a reconnect gets exactly the rest"
    )
    func live() async throws {
        let fixture = try F(streaming: true) { request in
            try await Task.sleep(for: .milliseconds(150))
            return try await F.answer(request)
        }
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let id = try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: F.body(["inputs": ["topic": "pricing", "target_keyword": "guide"]])
            ) {
                try F.json($0)["data"]?["run_id"]?.stringValue ?? ""
            }
            let stream = try await client.execute(uri: "/v1/runs/\(id)/events", method: .get, headers: F.headers()) {
                String(buffer: $0.body)
            }
            #expect(stream.contains("event: text_delta"), "the streamed text arrives live")
            #expect(stream.contains("event: run_finished"))
            let ids = stream.components(separatedBy: "\n").filter { $0.hasPrefix("id: ") }.compactMap {
                Int($0.dropFirst(4))
            }
            #expect(ids == Array(1...ids.count), "numbered without gaps, in order")
            let stored = try await fixture.services.store.events(of: RunID(id), after: 0).map(\.sequence)
            #expect(stored == ids)
            let resumed = try await client.execute(
                uri: "/v1/runs/\(id)/events", method: .get,
                headers: F.headers(extra: [HTTPField.Name("Last-Event-ID")!: String(ids[3])])
            ) {
                String(buffer: $0.body)
            }
            #expect(
                resumed.components(separatedBy: "\n").filter { $0.hasPrefix("id: ") }.compactMap {
                    Int($0.dropFirst(4))
                } == Array(ids.dropFirst(4)))
        }
    }

    @Test("cancelling a running run; cancelling a finished one is a conflict")
    func cancel() async throws {
        let fixture = try F { _ in
            try await Task.sleep(for: .seconds(30))
            return ScriptedChatModel.text("late")
        }
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let id = try await client.execute(
                uri: "/v1/crews/content-approval/runs", method: .post, headers: F.headers(),
                body: F.body(["inputs": ["topic": "a", "target_keyword": "b"]])
            ) {
                try F.json($0)["data"]?["run_id"]?.stringValue ?? ""
            }
            try await client.execute(uri: "/v1/runs/\(id)/cancel", method: .post, headers: F.headers(tenant: "globex"))
            { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/runs/\(id)/cancel", method: .post, headers: F.headers()) {
                #expect($0.status == .accepted)
            }
            var status = ""
            for _ in 0..<300 where status != "cancelled" {
                status = try await client.execute(uri: "/v1/runs/\(id)", method: .get, headers: F.headers()) {
                    try F.json($0)["data"]?["status"]?.stringValue ?? ""
                }
                if status != "cancelled" { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(status == "cancelled")
            try await client.execute(uri: "/v1/runs/\(id)/cancel", method: .post, headers: F.headers()) { response in
                #expect(response.status == .conflict)
                try #expect(F.json(response)["error"]?["code"] == "CONFLICT")
            }
        }
    }

    @Test(
        "POST /v1/runs/{id}/resume carries an interrupted run on from its journal; finished, foreign or unknown runs are refused"
    )
    func resume() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let store = fixture.services.store
        let catalog = await fixture.services.catalog.catalog
        let crew = try #require(catalog.crew("content-approval"))
        let principal = Principal(tenant: "acme", user: "ada", roles: [.tenantAdmin])
        // A run a shutdown interrupted: stored with its definition, then marked interrupted and released.
        let lifecycle = RunLifecycle(store: store)
        let (record, _) = try await lifecycle.submit(
            crew, inputs: ["topic": "pricing", "target_keyword": "pricing guide"], principal: principal,
            agents: { catalog.agent($0) })
        try await lifecycle.interrupt(record.id)
        try await fixture.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/runs/\(record.id)/resume", method: .post, headers: F.headers(roles: "tenant_user")
            ) { #expect($0.status == .forbidden) }
            try await client.execute(
                uri: "/v1/runs/\(record.id)/resume", method: .post, headers: F.headers(tenant: "globex")
            ) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/runs/nope/resume", method: .post, headers: F.headers()) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/runs/\(record.id)/resume", method: .post, headers: F.headers()) {
                response in
                #expect(response.status == .accepted)
                let data = try F.json(response)["data"]
                #expect(data?["status"] == "running")
                #expect(data?["attempt"] == 2)
            }
            var status = ""
            for _ in 0..<500 where status != "succeeded" {
                try await Task.sleep(for: .milliseconds(10))
                status = try await client.execute(uri: "/v1/runs/\(record.id)", method: .get, headers: F.headers()) {
                    try F.json($0)["data"]?["status"]?.stringValue ?? ""
                }
            }
            #expect(status == "succeeded")
            try await client.execute(uri: "/v1/runs/\(record.id)", method: .get, headers: F.headers()) { response in
                let data = try F.json(response)["data"]
                #expect(data?["attempts"] == 2)
                #expect(data?["attempt_errors"]?[0]?.stringValue?.hasPrefix("attempt 1: interrupted") == true)
            }
            try await client.execute(uri: "/v1/runs/\(record.id)/resume", method: .post, headers: F.headers()) {
                response in
                #expect(response.status == .conflict)
                try #expect(F.json(response)["error"]?["code"] == "CONFLICT")
            }
        }
    }

    @Test("invoke: one agent, one task; a prompt is required and the agent must exist")
    func invoke() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/agents/seo-specialist/invoke", method: .post, headers: F.headers(roles: "tenant_user"),
                body: F.body(["prompt": "Audit the homepage"])
            ) { response in
                #expect(response.status == .ok)
                let data = try F.json(response)["data"]
                #expect(data?["status"] == "succeeded")
                #expect(data?["output"]?.stringValue?.contains("Audit the homepage") == true)
            }
            try await client.execute(
                uri: "/v1/agents/seo-specialist/invoke", method: .post, headers: F.headers(),
                body: F.body(["prompt": " "])
            ) { response in
                #expect(response.status == .badRequest)
                try #expect(F.json(response)["error"]?["details"]?[0]?["field"] == "prompt")
            }
            try await client.execute(
                uri: "/v1/agents/ghost/invoke", method: .post, headers: F.headers(), body: F.body(["prompt": "hi"])
            ) { #expect($0.status == .notFound) }
        }
    }
}
