import AgentRuntime
import Foundation

/// Slack Web API (`https://slack.com/api`), authenticated with the workspace's
/// bot token as a Bearer token. Secret: `bot_token`. Slack answers most errors
/// with HTTP 200 and `{"ok":false,"error":"<code>"}`; those become tool errors
/// naming the code. Lists page with `cursor` and `response_metadata.next_cursor`.
public enum SlackConnector {
    /// The connector's operations: each one's spec and how it is performed.
    public static let operations: [ConnectorOperation] = [
        ConnectorOperation(
            ToolSpec(
                id: "slack.post_message",
                description: "Post a message to a Slack channel.",
                parameters: .object(
                    ["channel": Schema.string("Channel id or name"), "text": Schema.string("Message text (mrkdwn)")],
                    required: ["channel", "text"]),
                access: .write)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            guard let channel = arguments["channel"]?.stringValue, !channel.isEmpty else {
                throw ToolError("\"channel\" is required")
            }
            guard let text = arguments["text"]?.stringValue, !text.isEmpty else {
                throw ToolError("\"text\" is required")
            }
            let body: JSONValue = ["channel": .string(channel), "text": .string(text)]
            let url = ConnectorClient.url(connection.base, path: "chat.postMessage")
            let json = try await connection.call(client, connection.request("POST", url, body: body))
            return .json(["ok": true, "channel": json["channel"] ?? .null, "ts": json["ts"] ?? .null])
        },
        ConnectorOperation(
            ToolSpec(
                id: "slack.list_channels",
                description: "List the Slack channels of the tenant's workspace.",
                parameters: .object(["limit": Schema.limit, "cursor": Schema.cursor]),
                access: .read)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            let cursor = arguments["cursor"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            let url = ConnectorClient.url(
                connection.base, path: "conversations.list",
                query: [
                    ("limit", String(ConnectorClient.limit(arguments, default: 100))), ("cursor", cursor),
                    ("exclude_archived", "true"), ("types", "public_channel,private_channel"),
                ])
            let json = try await connection.call(client, connection.request("GET", url))
            guard case .array(let channels)? = json["channels"] else {
                throw ToolError("slack returned an unexpected response")
            }
            var data: JSONObject = ["channels": .array(channels.map(summary))]
            if let next = json["response_metadata"]?["next_cursor"]?.stringValue, !next.isEmpty {
                data["next_cursor"] = .string(next)
            }
            return .json(.object(data))
        },
    ]

    struct Connection {
        var base: URL
        var token: String

        func request(_ method: String, _ url: URL, body: JSONValue? = nil) -> HTTPRequest {
            ConnectorClient.jsonRequest(
                method, url, authentication: ("Authorization", "Bearer \(token)"), body: body,
                contentType: "application/json; charset=utf-8")
        }

        /// Sends `request` and turns an `ok:false` answer (HTTP 200) into a tool error.
        func call(_ client: ConnectorClient, _ request: HTTPRequest) async throws -> JSONValue {
            let response = try await client.send(
                request, connector: "slack", secrets: [token], describeError: SlackConnector.describeError)
            guard response.json["ok"] == true else {
                let message = SlackConnector.describeError(response.json) ?? "unexpected response"
                throw ToolError(
                    "slack rejected the request: \(Redactor(secrets: [token]).redact(message))",
                    isTransient: response.json["error"] == "ratelimited")
            }
            return response.json
        }
    }

    static func connect(_ client: ConnectorClient, _ context: ToolContext) async throws -> Connection {
        let configuration = try await client.configuration("slack", context: context)
        let token = try await client.secret("bot_token", of: configuration, context: context)
        return Connection(
            base: try client.baseURL(configuration, standard: "https://slack.com", apiPath: "/api"), token: token)
    }

    /// The fields an agent needs from a conversation.
    static func summary(_ channel: JSONValue) -> JSONValue {
        [
            "id": channel["id"] ?? .null, "name": channel["name"] ?? .null,
            "is_private": channel["is_private"] ?? .null,
            "is_member": channel["is_member"] ?? .null, "num_members": channel["num_members"] ?? .null,
            "topic": channel["topic"]?["value"] ?? .null, "purpose": channel["purpose"]?["value"] ?? .null,
        ]
    }

    /// What to do about the common error codes.
    static let hints: [String: String] = [
        "channel_not_found": "no such channel, or the bot cannot see it; use a channel id from slack.list_channels",
        "not_in_channel": "the bot is not a member of that channel; invite it with /invite first",
        "is_archived": "the channel is archived",
        "msg_too_long": "the message text is too long",
        "no_text": "the message has no text",
        "invalid_auth": "the bot token is invalid",
        "not_authed": "no bot token was sent",
        "account_inactive": "the bot token belongs to a deactivated app or user",
        "token_revoked": "the bot token has been revoked",
        "invalid_cursor": "the cursor is not valid; start again without one",
        "ratelimited": "rate limited; try again shortly",
        "invalid_arguments": "the request's arguments were refused",
    ]

    /// Slack's `{"ok":false,"error":"<code>","needed":...,"response_metadata":{"messages":[...]}}`: the code, what it
    /// means, a missing scope, and Slack's own explanations (`invalid_arguments` names the field in
    /// `response_metadata.messages`, e.g. `[ERROR] missing required field: channel`).
    static func describeError(_ json: JSONValue) -> String? {
        guard let code = json["error"]?.stringValue else { return ConnectorClient.defaultErrorMessage(json) }
        var message = code
        if let hint = hints[code] { message += " (\(hint))" }
        if code == "missing_scope", let needed = json["needed"]?.stringValue {
            message +=
                " (the Slack app needs the scope \(needed); ask an administrator to add it and reinstall the app)"
        }
        if case .array(let items)? = json["response_metadata"]?["messages"] {
            let messages = items.compactMap { $0.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
            if !messages.isEmpty { message += ": \(messages.joined(separator: "; "))" }
        }
        return message
    }
}
