import AgentRuntime
import Foundation

/// WordPress REST API (`/wp-json/wp/v2/posts`), authenticated with an
/// application password (HTTP Basic). Settings: `site_url`, `username`;
/// secret: `app_password`. Lists page with `page`/`per_page` and `X-WP-TotalPages`.
public enum WordPressConnector {
    /// The connector's operations: each one's spec and how it is performed.
    public static let operations: [ConnectorOperation] = [
        ConnectorOperation(
            ToolSpec(
                id: "wordpress.list_posts",
                description:
                    "List posts on the tenant's WordPress site, newest first, optionally filtered by status or a search term.",
                parameters: .object(
                    [
                        "status": Schema.string(
                            "Post status", enum: ["publish", "draft", "pending", "future", "private"]),
                        "search": Schema.string("Only posts matching this text"), "limit": Schema.limit,
                        "cursor": Schema.cursor,
                    ]),
                access: .read)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            let page = Int(arguments["cursor"]?.stringValue ?? "1") ?? 1
            let url = ConnectorClient.url(
                connection.base, path: "posts",
                query: [
                    ("per_page", String(ConnectorClient.limit(arguments, default: 10))), ("page", String(page)),
                    ("status", arguments["status"]?.stringValue), ("search", arguments["search"]?.stringValue),
                    (
                        "context",
                        arguments["status"]?.stringValue == nil || arguments["status"] == "publish" ? nil : "edit"
                    ),
                ])
            let response = try await client.send(
                connection.request("GET", url), connector: "wordpress", secrets: [connection.password])
            guard case .array(let posts) = response.json else {
                throw ToolError("wordpress returned an unexpected response")
            }
            let pages = Int(response.headers["x-wp-totalpages"] ?? "1") ?? 1
            let items: [JSONValue] = posts.map(summary)
            var data: JSONObject = [
                "posts": .array(items), "total": .int(Int(response.headers["x-wp-total"] ?? "") ?? items.count),
            ]
            if page < pages { data["next_cursor"] = .string(String(page + 1)) }
            return .json(.object(data))
        },
        ConnectorOperation(
            ToolSpec(
                id: "wordpress.create_post",
                description: "Create a post on the tenant's WordPress site (a draft unless status says otherwise).",
                parameters: .object(
                    [
                        "title": Schema.string("Post title"), "content": Schema.string("Post body as HTML"),
                        "excerpt": Schema.string("Short summary"),
                        "status": Schema.string("Post status", enum: ["draft", "pending", "publish"]),
                    ], required: ["title", "content"]),
                access: .write, requiresApproval: true)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            var body = JSONObject()
            for key in ["title", "content", "excerpt"] { if let value = arguments[key] { body[key] = value } }
            body["status"] = arguments["status"] ?? "draft"
            let url = ConnectorClient.url(connection.base, path: "posts")
            let response = try await client.send(
                connection.request("POST", url, body: .object(body)), connector: "wordpress",
                secrets: [connection.password])
            return .json(summary(response.json))
        },
        ConnectorOperation(
            ToolSpec(
                id: "wordpress.update_post",
                description: "Update the title, content, excerpt or status of an existing WordPress post.",
                parameters: .object(
                    [
                        "id": Schema.integer("Post id", minimum: 1), "title": Schema.string("New title"),
                        "content": Schema.string("New body as HTML"), "excerpt": Schema.string("New summary"),
                        "status": Schema.string("New status", enum: ["draft", "pending", "publish", "private"]),
                    ], required: ["id"]),
                access: .write, requiresApproval: true)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            guard let id = arguments["id"]?.doubleValue else { throw ToolError("\"id\" is required") }
            var body = JSONObject()
            for key in ["title", "content", "excerpt", "status"] { if let value = arguments[key] { body[key] = value } }
            guard !body.members.isEmpty else {
                throw ToolError("nothing to update: give at least one of title, content, excerpt, status")
            }
            let url = ConnectorClient.url(connection.base, path: "posts/\(Int(id))")
            let response = try await client.send(
                connection.request("POST", url, body: .object(body)), connector: "wordpress",
                secrets: [connection.password])
            return .json(summary(response.json))
        },
    ]

    struct Connection {
        var base: URL
        var authorization: String
        var password: String

        func request(_ method: String, _ url: URL, body: JSONValue? = nil) -> HTTPRequest {
            ConnectorClient.jsonRequest(method, url, authentication: ("Authorization", authorization), body: body)
        }
    }

    static func connect(_ client: ConnectorClient, _ context: ToolContext) async throws -> Connection {
        let configuration = try await client.configuration("wordpress", context: context)
        let site = try client.setting("site_url", of: configuration)
        let username = try client.setting("username", of: configuration)
        let password = try await client.secret("app_password", of: configuration, context: context)
        let credentials = Data("\(username):\(password)".utf8).base64EncodedString()
        return Connection(
            base: try client.baseURL(configuration, standard: site, apiPath: "/wp-json/wp/v2"),
            authorization: "Basic \(credentials)",
            password: password)
    }

    /// The fields an agent needs from a post.
    static func summary(_ post: JSONValue) -> JSONValue {
        [
            "id": post["id"] ?? .null, "status": post["status"] ?? .null, "link": post["link"] ?? .null,
            "date": post["date"] ?? .null,
            "title": post["title"]?["rendered"] ?? post["title"]?["raw"] ?? .null,
            "excerpt": post["excerpt"]?["rendered"] ?? .null,
        ]
    }
}
