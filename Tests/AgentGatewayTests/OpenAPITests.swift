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

/// `openapi.json` against the gateway itself: the routes registered on its router, the parameters and bodies the
/// handlers enforce, and the responses they send.
@Suite("Gateway: openapi.json")
struct OpenAPITests {
    typealias F = GatewayFixture

    @Test("openapi.json describes exactly the routes the gateway serves")
    func openAPI() throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let document = try OpenAPIDocument()
        for (route, operation) in document.operations {
            #expect(operation["responses"] != nil, "\(route) has no responses")
        }
        // The routes as registered on the router (method and path template), not a list kept beside it.
        let registered = Gateway.router(fixture.services).routes.map { "\($0.method.rawValue) \($0.path)" }
        #expect(registered.contains("GET /v1/runs/{run_id}/events") && registered.contains("GET /health"))
        let documented = Set(document.operations.map(\.route))
        #expect(
            Set(registered).subtracting(documented).isEmpty,
            "registered but not in openapi.json: \(Set(registered).subtracting(documented).sorted())")
        #expect(
            documented.subtracting(registered).isEmpty,
            "in openapi.json but not registered: \(documented.subtracting(registered).sorted())")
        #expect(document.root["openapi"]?.stringValue?.hasPrefix("3.") == true)
    }

    @Test("each route's path parameters are declared, required, and named as in its template")
    func pathParameters() throws {
        let document = try OpenAPIDocument()
        for (route, operation) in document.operations {
            let template = String(route.split(separator: " ")[1])
            let named = Set(
                template.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            let declared = document.parameters(operation).filter { $0["in"] == "path" }
            #expect(Set(declared.compactMap { $0["name"]?.stringValue }) == named, "\(route)")
            #expect(declared.allSatisfy { $0["required"] == true }, "\(route): path parameters are required")
        }
    }

    @Test(
        "the PUT /v1/agents/{agent_id} body documents the fields the agent decoder requires and allows, and a body missing one is refused"
    )
    func agentBody() async throws {
        let document = try OpenAPIDocument()
        let schema = try #require(
            document.resolve(
                document.operation("PUT", "/v1/agents/{agent_id}")?["requestBody"]?["content"]?["application/json"]?[
                    "schema"]))
        #expect(Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue)) == Set(AgentFields.required))
        guard case .object(let properties)? = schema["properties"] else {
            Issue.record("no properties")
            return
        }
        #expect(Set(properties.keys) == Set(AgentFields.allowed))
        #expect(schema["additionalProperties"] == false)

        let fixture = try F()
        defer { fixture.directory.remove() }
        let original = try String(
            contentsOf: fixture.directory.url.appendingPathComponent("agents/marketing/seo-specialist.json"),
            encoding: .utf8)
        guard case .object(let definition) = try JSONParser.value(Array(original.utf8)) else {
            Issue.record("not an object")
            return
        }
        try await fixture.app.test(.router) { client in
            for field in AgentFields.required {
                var incomplete = definition
                incomplete[field] = nil
                try await client.execute(
                    uri: "/v1/agents/seo-specialist", method: .put, headers: F.headers(roles: "platform_admin"),
                    body: F.body(.object(incomplete))
                ) { response in
                    #expect(response.status == .badRequest, "without \(field)")
                    #expect(document.problems(.put, "/v1/agents/{agent_id}", response).isEmpty)
                }
            }
        }
    }

    @Test("the documented page and limit bounds are the ones the list routes enforce")
    func pageBounds() async throws {
        let document = try OpenAPIDocument()
        let fixture = try F()
        defer { fixture.directory.remove() }
        let checked = try await fixture.app.test(.router) { client in
            var checked: [String] = []
            for (route, operation) in document.operations {
                let query = Dictionary(
                    document.parameters(operation).filter { $0["in"] == "query" }.compactMap { p in
                        p["name"]?.stringValue.map { ($0, p) }
                    }
                ) { a, _ in a }
                guard let page = query["page"]?["schema"], let limit = query["limit"]?["schema"] else { continue }
                let path = String(route.split(separator: " ")[1])
                let bounds = try [page, limit].map { schema in
                    (
                        minimum: Int(try #require(schema["minimum"]?.doubleValue, "\(route): no minimum")),
                        maximum: Int(try #require(schema["maximum"]?.doubleValue, "\(route): no maximum"))
                    )
                }
                let cases: [(page: Int, limit: Int, status: HTTPResponse.Status)] = [
                    (bounds[0].maximum, bounds[1].maximum, .ok), (bounds[0].minimum, bounds[1].minimum, .ok),
                    (bounds[0].maximum + 1, bounds[1].minimum, .badRequest),
                    (bounds[0].minimum - 1, bounds[1].minimum, .badRequest),
                    (bounds[0].minimum, bounds[1].maximum + 1, .badRequest),
                    (bounds[0].minimum, bounds[1].minimum - 1, .badRequest),
                ]
                for (page, limit, status) in cases {
                    try await client.execute(
                        uri: "\(path)?page=\(page)&limit=\(limit)", method: .get, headers: F.headers()
                    ) { response in
                        #expect(response.status == status, "\(route) page=\(page) limit=\(limit)")
                        #expect(document.problems(.get, path, response).isEmpty)
                    }
                }
                checked.append(route)
            }
            return checked
        }
        #expect(Set(checked) == ["GET /v1/runs", "GET /v1/agents", "GET /v1/crews"])
    }

    @Test(
        "real responses on every route have a documented status and media type, and the documented schema's required fields"
    )
    func responses() async throws {
        let document = try OpenAPIDocument()
        let publish = ClosureTool(ToolRegistry.standardSpecs.first { $0.id == "wordpress.create_post" }!) { _ in
            ToolResult(content: "published")
        }
        // Asked to publish, the model calls the tool (which waits for an approval); everything else gets an answer.
        let fixture = try F(tools: [publish]) { request in
            let publishing = request.messages.contains {
                if case .user(let text) = $0 { text.contains("Publish the launch post") } else { false }
            }
            let answered = request.messages.contains { if case .tool = $0 { true } else { false } }
            if publishing, !answered, request.tools.contains(where: { $0.name == "wordpress-create_post" }) {
                return ScriptedChatModel.calls([
                    ("wordpress-create_post", #"{"title": "Launch", "content": "<p>Hi</p>"}"#)
                ])
            }
            return try await F.answer(request)
        }
        defer { fixture.directory.remove() }
        let registered = Set(Gateway.router(fixture.services).routes.map { "\($0.method.rawValue) \($0.path)" })
        let original = try String(
            contentsOf: fixture.directory.url.appendingPathComponent("agents/marketing/seo-specialist.json"),
            encoding: .utf8)
        guard case .object(var definition) = try JSONParser.value(Array(original.utf8)) else {
            Issue.record("not an object")
            return
        }
        definition["role"] = "Principal SEO Strategist"
        let updated = JSONValue.object(definition)
        definition["temperature"] = 7
        let invalid = JSONValue.object(definition)
        let breaking = try DefinitionRoutesTests.agent(fixture, "orchestration/agent-coordinator") {
            $0["tools"] = ["knowledge.search"]
        }.changed

        let exercised = try await fixture.app.test(.router) { client in
            var exercised: Set<String> = []
            /// Checks a response against `openapi.json` and returns its JSON body (nil for other media types).
            func check(
                _ response: TestResponse, _ method: HTTPTypes.HTTPRequest.Method, _ route: String,
                _ status: HTTPResponse.Status
            ) -> JSONValue? {
                exercised.insert("\(method.rawValue) \(route)")
                #expect(response.status == status, "\(method) \(route)")
                let problems = document.problems(method, route, response)
                #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
                return try? F.json(response)
            }
            /// Sends a request to `uri` (an instance of `route`) and checks its response.
            @discardableResult
            func send(
                _ method: HTTPTypes.HTTPRequest.Method, _ uri: String, _ route: String,
                headers: HTTPFields = F.headers(), body: JSONValue? = nil,
                expect status: HTTPResponse.Status
            ) async throws -> JSONValue? {
                let response = try await client.executeRequest(
                    uri: uri, method: method, headers: headers, body: body.map(F.body))
                return check(response, method, route, status)
            }
            let admin = F.headers(roles: "platform_admin")

            try await send(.get, "/health", "/health", headers: [:], expect: .ok)
            try await send(.get, "/health/ready", "/health/ready", headers: [:], expect: .ok)
            try await send(.get, "/metrics", "/metrics", headers: [:], expect: .ok)

            let runs = "/v1/crews/{crew_id}/runs"
            let finished =
                try await send(.post, "/v1/crews/content-approval/runs", runs, body: F.contentApproval, expect: .ok)?[
                    "data"]?["run_id"]?.stringValue ?? ""
            try await send(
                .post, "/v1/crews/content-approval/runs", runs,
                body: ["inputs": ["topic": "a", "target_keyword": "b"]], expect: .accepted)
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "spec-1"]
            try await send(
                .post, "/v1/crews/content-approval/runs", runs, headers: F.headers(extra: key), body: F.contentApproval,
                expect: .ok)
            // The same key again, waiting: the stored run with its tasks.
            try await send(
                .post, "/v1/crews/content-approval/runs", runs, headers: F.headers(extra: key), body: F.contentApproval,
                expect: .ok)
            try await send(
                .post, "/v1/crews/content-approval/runs", runs, body: ["inputs": ["topic": "x"]], expect: .badRequest)
            try await send(.post, "/v1/crews/nope/runs", runs, body: [:], expect: .notFound)
            try await send(
                .post, "/v1/crews/content-approval/runs", runs, headers: F.headers(token: nil), body: [:],
                expect: .unauthorized)

            try await send(.get, "/v1/runs?status=succeeded", "/v1/runs", expect: .ok)
            try await send(.get, "/v1/runs?status=done", "/v1/runs", expect: .badRequest)
            try await send(.get, "/v1/runs/\(finished)", "/v1/runs/{run_id}", expect: .ok)
            try await send(.get, "/v1/runs/nope", "/v1/runs/{run_id}", expect: .notFound)
            try await send(.get, "/v1/runs/\(finished)/events", "/v1/runs/{run_id}/events", expect: .ok)
            try await send(
                .get, "/v1/runs/\(finished)/events", "/v1/runs/{run_id}/events", headers: F.headers(tenant: "globex"),
                expect: .notFound)
            try await send(.post, "/v1/runs/\(finished)/cancel", "/v1/runs/{run_id}/cancel", expect: .conflict)
            try await send(.post, "/v1/runs/\(finished)/resume", "/v1/runs/{run_id}/resume", expect: .conflict)
            try await send(
                .post, "/v1/runs/\(finished)/resume", "/v1/runs/{run_id}/resume",
                headers: F.headers(roles: "tenant_user"), expect: .forbidden)
            try await send(.get, "/v1/runs/\(finished)/approvals", "/v1/runs/{run_id}/approvals", expect: .ok)

            // A run that waits for an approval: listed, then decided; the invocation then answers.
            async let invoked = client.executeRequest(
                uri: "/v1/agents/content-creator/invoke", method: .post, headers: F.headers(),
                body: F.body(["prompt": "Publish the launch post"]))
            var runID = ""
            var approvalID = ""
            for _ in 0..<500 where approvalID.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
                if runID.isEmpty {
                    let listed = try await client.executeRequest(
                        uri: "/v1/runs?crew=invoke:content-creator", method: .get, headers: F.headers(), body: nil)
                    runID = (try? F.json(listed))?["data"]?[0]?["run_id"]?.stringValue ?? ""
                    continue
                }
                let approvals = try await client.executeRequest(
                    uri: "/v1/runs/\(runID)/approvals", method: .get, headers: F.headers(), body: nil)
                approvalID = (try? F.json(approvals))?["data"]?[0]?["approval_id"]?.stringValue ?? ""
            }
            try #require(!approvalID.isEmpty)
            try await send(.get, "/v1/runs/\(runID)/approvals", "/v1/runs/{run_id}/approvals", expect: .ok)
            let decide = "/v1/runs/{run_id}/approvals/{approval_id}"
            try await send(
                .post, "/v1/runs/\(runID)/approvals/\(approvalID)", decide, body: ["approve": "yes"],
                expect: .badRequest)
            try await send(
                .post, "/v1/runs/\(runID)/approvals/nope", decide, body: ["approve": true], expect: .notFound)
            try await send(
                .post, "/v1/runs/\(runID)/approvals/\(approvalID)", decide, body: ["approve": true, "comment": "fine"],
                expect: .ok)
            try await send(
                .post, "/v1/runs/\(runID)/approvals/\(approvalID)", decide, body: ["approve": true], expect: .conflict)
            _ = check(try await invoked, .post, "/v1/agents/{agent_id}/invoke", .ok)
            try await send(
                .post, "/v1/agents/ghost/invoke", "/v1/agents/{agent_id}/invoke", body: ["prompt": "hi"],
                expect: .notFound)
            try await send(
                .post, "/v1/agents/seo-specialist/invoke", "/v1/agents/{agent_id}/invoke", body: ["prompt": " "],
                expect: .badRequest)

            try await send(.get, "/v1/agents?category=marketing", "/v1/agents", expect: .ok)
            try await send(.get, "/v1/agents/seo-specialist", "/v1/agents/{agent_id}", expect: .ok)
            try await send(.get, "/v1/agents/nobody", "/v1/agents/{agent_id}", expect: .notFound)
            try await send(
                .put, "/v1/agents/seo-specialist", "/v1/agents/{agent_id}", headers: admin, body: updated, expect: .ok)
            try await send(
                .put, "/v1/agents/seo-specialist", "/v1/agents/{agent_id}", headers: admin, body: invalid,
                expect: .badRequest)
            try await send(
                .put, "/v1/agents/agent-coordinator", "/v1/agents/{agent_id}", headers: admin, body: breaking,
                expect: .unprocessableContent)
            try await send(
                .put, "/v1/agents/seo-specialist", "/v1/agents/{agent_id}", body: updated, expect: .forbidden)
            try await send(
                .get, "/v1/agents/seo-specialist/versions", "/v1/agents/{agent_id}/versions", headers: admin,
                expect: .ok)
            try await send(
                .get, "/v1/agents/nobody/versions", "/v1/agents/{agent_id}/versions", headers: admin, expect: .notFound)
            let version = "/v1/agents/{agent_id}/versions/{version}"
            try await send(.get, "/v1/agents/seo-specialist/versions/1", version, headers: admin, expect: .ok)
            try await send(.get, "/v1/agents/seo-specialist/versions/99", version, headers: admin, expect: .notFound)
            try await send(.get, "/v1/agents/seo-specialist/versions/x", version, headers: admin, expect: .badRequest)
            let restore = "/v1/agents/{agent_id}/versions/{version}/restore"
            try await send(.post, "/v1/agents/seo-specialist/versions/1/restore", restore, headers: admin, expect: .ok)
            try await send(.post, "/v1/agents/seo-specialist/versions/1/restore", restore, expect: .forbidden)
            try await send(.get, "/v1/admin/catalog", "/v1/admin/catalog", headers: admin, expect: .ok)
            try await send(.get, "/v1/admin/catalog", "/v1/admin/catalog", expect: .forbidden)
            try await send(.get, "/v1/audit?kind=agent", "/v1/audit", headers: admin, expect: .ok)
            try await send(.get, "/v1/audit?limit=1", "/v1/audit", expect: .ok)
            try await send(.get, "/v1/audit?from=yesterday", "/v1/audit", expect: .badRequest)
            try await send(.get, "/v1/audit", "/v1/audit", headers: F.headers(roles: "tenant_user"), expect: .forbidden)
            try await send(.get, "/v1/crews", "/v1/crews", expect: .ok)
            for crew in ["content-approval", "seo-audit"] {
                try await send(.get, "/v1/crews/\(crew)", "/v1/crews/{crew_id}", expect: .ok)
            }
            try await send(.get, "/v1/crews/nope", "/v1/crews/{crew_id}", expect: .notFound)
            try await send(.get, "/v1/tools?agent=content-creator", "/v1/tools", expect: .ok)
            try await send(.get, "/v1/tools?agent=ghost", "/v1/tools", expect: .notFound)
            try await send(.get, "/v1/usage?group_by=model", "/v1/usage", expect: .ok)
            try await send(.get, "/v1/usage?from=2026-12-01&to=2026-12-07", "/v1/usage", headers: admin, expect: .ok)
            try await send(.get, "/v1/usage?group_by=team", "/v1/usage", expect: .badRequest)
            try await send(.get, "/v1/usage", "/v1/usage", headers: F.headers(roles: "tenant_user"), expect: .forbidden)
            return exercised
        }
        #expect(exercised == registered, "not exercised: \(registered.subtracting(exercised).sorted())")
    }

    @Test(
        "the response check finds a missing required field, a wrong type, an undocumented status and an undocumented media type"
    )
    func responseCheck() throws {
        let document = try OpenAPIDocument()
        let json = "application/json; charset=utf-8"
        func problems(
            _ status: Int, _ body: JSONValue, contentType: String = "application/json; charset=utf-8"
        ) -> [String] {
            document.problems(
                "POST", "/v1/runs/{run_id}/cancel", status: status, contentType: contentType,
                body: Array(body.serialized().utf8))
        }
        #expect(problems(202, ["data": ["run_id": "r", "status": "cancelling"]]).isEmpty)
        #expect(
            problems(202, ["data": ["run_id": "r"]]).contains { $0.contains("missing required property \"status\"") })
        #expect(
            problems(202, ["data": ["run_id": 1, "status": "cancelling"]]).contains { $0.contains("/data/run_id") })
        #expect(
            problems(409, ["error": ["code": "CONFLICT", "message": "ended"]]).contains { $0.contains("\"details\"") })
        #expect(
            problems(409, ["error": ["code": "TEAPOT", "message": "", "details": []]]).contains {
                $0.contains("/error/code")
            })
        #expect(!problems(418, ["data": ["run_id": "r", "status": "cancelling"]]).isEmpty)
        #expect(!problems(202, ["data": ["run_id": "r", "status": "cancelling"]], contentType: "text/plain").isEmpty)
        #expect(
            !document.problems(
                "GET", "/v1/runs/{run_id}/events", status: 200, contentType: json, body: Array("{}".utf8)
            ).isEmpty)
        #expect(
            document.problems(
                "GET", "/v1/runs/{run_id}/events", status: 200, contentType: "text/event-stream", body: []
            ).isEmpty)
    }
}
