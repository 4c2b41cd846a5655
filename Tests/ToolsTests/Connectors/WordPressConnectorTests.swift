import AgentRuntime
import Foundation
import Testing
import Tools

/// WordPress REST API wire format: /wp-json/wp/v2/posts, Basic auth with an application password.
@Suite("Connector: WordPress")
struct WordPressConnectorTests {
    static let post =
        #"{"id":42,"date":"2026-11-20T10:00:00","status":"draft","link":"https://blog.acme.test/?p=42","title":{"rendered":"Pricing guide"},"excerpt":{"rendered":"<p>How we price</p>"},"content":{"rendered":"<p>Body</p>"}}"#

    @Test("list_posts: Basic auth, paging from X-WP-TotalPages, summarised posts")
    func listPosts() async throws {
        let harness = try ConnectorHarness(
            connector: "wordpress", settings: ["site_url": "https://blog.acme.test", "username": "editor"],
            secrets: ["app_password": "abcd EFGH 1234 ijkl"]
        ) { _ in
            .init(
                headers: ["Content-Type": "application/json", "X-WP-Total": "12", "X-WP-TotalPages": "2"],
                body: "[\(Self.post)]")
        }
        defer { harness.stop() }
        let result = try await harness.tool("wordpress.list_posts", in: WordPressConnector.operations).call(
            ["limit": 10, "status": "draft"], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.path == "/wp-json/wp/v2/posts?per_page=10&page=1&status=draft&context=edit")
        #expect(
            request.headers["authorization"] == "Basic " + Data("editor:abcd EFGH 1234 ijkl".utf8).base64EncodedString()
        )
        #expect(result.data?["next_cursor"] == "2")
        #expect(result.data?["total"] == 12)
        #expect(
            result.data?["posts"]?.serialized()
                == #"[{"id":42,"status":"draft","link":"https://blog.acme.test/?p=42","date":"2026-11-20T10:00:00","title":"Pricing guide","excerpt":"<p>How we price</p>"}]"#
        )
    }

    @Test("create_post sends JSON with draft status by default; update_post posts to the post's URL")
    func writes() async throws {
        let harness = try ConnectorHarness(
            connector: "wordpress", settings: ["site_url": "https://blog.acme.test", "username": "editor"],
            secrets: ["app_password": "pw-123456"]
        ) { request in
            .init(status: request.path.hasSuffix("/posts") ? 201 : 200, body: Self.post)
        }
        defer { harness.stop() }
        let tools = WordPressConnector.operations
        let created = try await harness.tool("wordpress.create_post", in: tools).call(
            ["title": "Pricing guide", "content": "<p>Body</p>"], context: harness.context)
        #expect(created.data?["id"] == 42)
        let body = try JSONParser.value(harness.log.last!.body)
        #expect(body == ["title": "Pricing guide", "content": "<p>Body</p>", "status": "draft"])
        #expect(harness.log.last?.method == "POST")
        _ = try await harness.tool("wordpress.update_post", in: tools).call(
            ["id": 42, "status": "publish"], context: harness.context)
        #expect(harness.log.last?.path == "/wp-json/wp/v2/posts/42")
        #expect(try JSONParser.value(harness.log.last!.body) == ["status": "publish"])
    }

    @Test("error bodies become readable tool errors without the password; 429 waits for Retry-After once")
    func errors() async throws {
        let limited = RateLimitOnce()
        let harness = try ConnectorHarness(
            connector: "wordpress", settings: ["site_url": "https://blog.acme.test", "username": "editor"],
            secrets: ["app_password": "secret-pass-99"]
        ) { request in
            if request.path.contains("/posts/7") {
                return .init(
                    status: 401,
                    body:
                        #"{"code":"incorrect_password","message":"The provided password secret-pass-99 is an invalid application password.","data":{"status":401}}"#
                )
            }
            return limited.respond { .init(headers: ["X-WP-TotalPages": "1"], body: "[]") }
        }
        defer { harness.stop() }
        let tools = WordPressConnector.operations
        await #expect(
            throws: ToolError(
                "wordpress rejected the credentials (HTTP 401): The provided password [REDACTED] is an invalid application password."
            )
        ) {
            _ = try await harness.tool("wordpress.update_post", in: tools).call(
                ["id": 7, "title": "x"], context: harness.context)
        }
        let started = ContinuousClock.now
        let listed = try await harness.tool("wordpress.list_posts", in: tools).call([:], context: harness.context)
        #expect(ContinuousClock.now - started >= .milliseconds(900), "waited for Retry-After")
        #expect(listed.data?["posts"] == [])
    }

    @Test("a tenant that has not connected WordPress gets a readable refusal; a missing secret names its reference")
    func notConnected() async throws {
        let harness = try ConnectorHarness(
            connector: "wordpress", settings: ["site_url": "https://blog.acme.test", "username": "editor"], secrets: [:]
        ) { _ in .init(body: "[]") }
        defer { harness.stop() }
        let tools = WordPressConnector.operations
        var other = harness.context
        other.principal = Principal(tenant: "globex", user: "u", roles: [.tenantAdmin])
        await #expect(throws: ToolError("wordpress is not connected for this tenant")) {
            _ = try await harness.tool("wordpress.list_posts", in: tools).call([:], context: other)
        }
        await #expect(throws: ToolError("wordpress has no \"app_password\" credential configured")) {
            _ = try await harness.tool("wordpress.list_posts", in: tools).call([:], context: harness.context)
        }
        #expect(harness.log.all.isEmpty)
    }
}
