import AgentRuntime
import Foundation

/// Mailchimp Marketing API (`https://<dc>.api.mailchimp.com/3.0`), authenticated
/// with HTTP Basic `anystring:<api_key>`. Secret: `api_key` (`<key>-<dc>`; the data
/// centre after the dash picks the host). Lists page with `count`/`offset` and
/// `total_items`; errors are `application/problem+json`.
public enum MailchimpConnector {
    /// The connector's operations: each one's spec and how it is performed.
    public static let operations: [ConnectorOperation] = [
        ConnectorOperation(
            ToolSpec(
                id: "mailchimp.list_audiences",
                description: "List Mailchimp audiences (lists) with member counts.",
                parameters: .object(["limit": Schema.limit, "offset": Schema.integer("Items to skip", minimum: 0)]),
                access: .read)
        ) { client, arguments, context in
            try await listPage(
                "lists", key: "lists", as: "audiences", client, arguments, context,
                query: [
                    (
                        "fields",
                        "lists.id,lists.name,lists.date_created,lists.stats.member_count,lists.stats.unsubscribe_count,lists.stats.open_rate,lists.stats.click_rate,total_items"
                    )
                ], summary: audience)
        },
        ConnectorOperation(
            ToolSpec(
                id: "mailchimp.add_member",
                description: "Add a subscriber to a Mailchimp audience.",
                parameters: .object(
                    [
                        "audience_id": Schema.string("Audience (list) id"),
                        "email": Schema.string("Email address", format: "email"),
                        "status": Schema.string("Subscription status", enum: ["subscribed", "pending"]),
                        "first_name": Schema.string("First name"), "last_name": Schema.string("Last name"),
                    ], required: ["audience_id", "email"]),
                access: .write)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            let audience = try identifier(arguments, "audience_id")
            guard let email = arguments["email"]?.stringValue, !email.isEmpty else {
                throw ToolError("\"email\" is required")
            }
            var body: JSONObject = ["email_address": .string(email), "status": arguments["status"] ?? "subscribed"]
            var merge = JSONObject()
            if let first = arguments["first_name"]?.stringValue, !first.isEmpty { merge["FNAME"] = .string(first) }
            if let last = arguments["last_name"]?.stringValue, !last.isEmpty { merge["LNAME"] = .string(last) }
            if !merge.members.isEmpty { body["merge_fields"] = .object(merge) }
            let url = ConnectorClient.url(
                connection.base, path: "lists/\(try ConnectorClient.pathSegment(audience, name: "audience_id"))/members"
            )
            let response = try await client.send(
                connection.request("POST", url, body: .object(body)), connector: "mailchimp", secrets: [connection.key],
                describeError: describeError)
            let member = response.json
            return .json([
                "id": member["id"] ?? .null, "email_address": member["email_address"] ?? .null,
                "status": member["status"] ?? .null,
                "audience_id": member["list_id"] ?? .string(audience), "merge_fields": member["merge_fields"] ?? .null,
            ])
        },
        ConnectorOperation(
            ToolSpec(
                id: "mailchimp.list_campaigns",
                description: "List Mailchimp campaigns with status, send time and report summary.",
                parameters: .object(
                    [
                        "status": Schema.string(
                            "Campaign status", enum: ["save", "paused", "schedule", "sending", "sent"]),
                        "limit": Schema.limit, "offset": Schema.integer("Items to skip", minimum: 0),
                    ]),
                access: .read)
        ) { client, arguments, context in
            try await listPage(
                "campaigns", key: "campaigns", as: "campaigns", client, arguments, context,
                query: [
                    ("status", arguments["status"]?.stringValue), ("sort_field", "create_time"), ("sort_dir", "DESC"),
                    (
                        "fields",
                        "campaigns.id,campaigns.status,campaigns.emails_sent,campaigns.send_time,campaigns.create_time,campaigns.settings.subject_line,campaigns.settings.title,campaigns.recipients.list_id,campaigns.report_summary,total_items"
                    ),
                ], summary: campaign)
        },
        ConnectorOperation(
            ToolSpec(
                id: "mailchimp.list_members",
                description:
                    "List the members (contacts) of a Mailchimp audience with email, status and name, optionally only those with one status.",
                parameters: .object(
                    [
                        "audience_id": Schema.string("Audience (list) id, from mailchimp.list_audiences"),
                        "status": Schema.string("Only members with this status", enum: memberStatuses),
                        "limit": Schema.limit, "offset": Schema.integer("Items to skip", minimum: 0),
                    ], required: ["audience_id"]),
                access: .read)
        ) { client, arguments, context in
            let audience = try identifier(arguments, "audience_id")
            let status = arguments["status"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            if let status, !memberStatuses.contains(status) {
                throw ToolError("\"status\" must be one of \(memberStatuses.joined(separator: ", "))")
            }
            return try await listPage(
                "lists/\(try ConnectorClient.pathSegment(audience, name: "audience_id"))/members", key: "members",
                as: "members", client, arguments, context,
                query: [
                    ("status", status),
                    (
                        "fields",
                        "members.id,members.email_address,members.status,members.full_name,members.merge_fields,members.last_changed,total_items"
                    ),
                ], summary: member)
        },
    ]

    /// The statuses a member can have.
    static let memberStatuses = ["subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived"]

    /// One page of the collection at `path` (relative to `/3.0`): `count`/`offset` from the arguments, then `query`;
    /// the items under `key` summarised as `name`, with `total` and `next_offset`.
    static func listPage(
        _ path: String, key: String, as name: String, _ client: ConnectorClient, _ arguments: JSONValue,
        _ context: ToolContext, query: [(String, String?)], summary: (JSONValue) -> JSONValue
    ) async throws -> ToolResult {
        let paging = try Paging(arguments)
        let connection = try await connect(client, context)
        let url = ConnectorClient.url(connection.base, path: path, query: paging.query + query)
        let response = try await client.send(
            connection.request("GET", url), connector: "mailchimp", secrets: [connection.key],
            describeError: describeError)
        return try .json(.object(paging.page(response.json, key: key, as: name, summary: summary)))
    }

    struct Connection {
        var base: URL
        var key: String

        func request(_ method: String, _ url: URL, body: JSONValue? = nil) -> HTTPRequest {
            let credentials = Data("anystring:\(key)".utf8).base64EncodedString()
            return ConnectorClient.jsonRequest(
                method, url, authentication: ("Authorization", "Basic \(credentials)"), body: body)
        }
    }

    static func connect(_ client: ConnectorClient, _ context: ToolContext) async throws -> Connection {
        let configuration = try await client.configuration("mailchimp", context: context)
        let key = try await client.secret("api_key", of: configuration, context: context)
        return Connection(
            base: try client.baseURL(configuration, standard: try origin(key: key), apiPath: "/3.0"), key: key)
    }

    /// `https://<dc>.api.mailchimp.com`, the data centre taken from the API key's suffix (`-us21`).
    static func origin(key: String) throws -> String {
        guard let dash = key.lastIndex(of: "-"), case let center = key[key.index(after: dash)...], !center.isEmpty,
            center.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else {
            throw ToolError(
                "the mailchimp API key has no data-centre suffix (it should end like \"-us21\"); ask an administrator to check it"
            )
        }
        return "https://\(center.lowercased()).api.mailchimp.com"
    }

    /// The spec's `limit`/`offset` as Mailchimp's `count`/`offset`.
    struct Paging {
        var count: Int
        var offset: Int

        init(_ arguments: JSONValue) throws {
            count = ConnectorClient.limit(arguments, default: 20)
            offset = arguments["offset"]?.intValue ?? 0
            guard offset >= 0 else { throw ToolError("\"offset\" must be 0 or more") }
        }

        var query: [(String, String?)] { [("count", String(count)), ("offset", String(offset))] }

        /// `{"<name>": [...], "total": n, "next_offset": k}`; `next_offset` only while items remain.
        func page(
            _ json: JSONValue, key: String, as name: String, summary: (JSONValue) -> JSONValue
        ) throws -> JSONObject {
            guard case .array(let items)? = json[key] else {
                throw ToolError("mailchimp returned an unexpected response")
            }
            let total = json["total_items"]?.intValue ?? offset + items.count
            var data: JSONObject = [name: .array(items.map(summary)), "total": .int(total)]
            if !items.isEmpty, offset + items.count < total { data["next_offset"] = .int(offset + items.count) }
            return data
        }
    }

    /// A path segment id (letters, digits, `_`, `-`), so an argument cannot change the path.
    static func identifier(_ arguments: JSONValue, _ name: String) throws -> String {
        guard let value = arguments[name]?.stringValue, !value.isEmpty else {
            throw ToolError("\"\(name)\" is required")
        }
        guard value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw ToolError("\"\(name)\" is not a valid mailchimp id")
        }
        return value
    }

    /// The fields an agent needs from an audience member (`full_name` as Mailchimp derives it from the merge fields).
    static func member(_ member: JSONValue) -> JSONValue {
        [
            "id": member["id"] ?? .null, "email_address": member["email_address"] ?? .null,
            "status": member["status"] ?? .null, "full_name": member["full_name"] ?? .null,
            "merge_fields": member["merge_fields"] ?? .null, "last_changed": member["last_changed"] ?? .null,
        ]
    }

    /// The fields an agent needs from an audience.
    static func audience(_ list: JSONValue) -> JSONValue {
        [
            "id": list["id"] ?? .null, "name": list["name"] ?? .null,
            "member_count": list["stats"]?["member_count"] ?? .null,
            "unsubscribe_count": list["stats"]?["unsubscribe_count"] ?? .null,
            "open_rate": list["stats"]?["open_rate"] ?? .null,
            "click_rate": list["stats"]?["click_rate"] ?? .null, "date_created": list["date_created"] ?? .null,
        ]
    }

    /// The fields an agent needs from a campaign (`send_time` is null until it is sent).
    static func campaign(_ campaign: JSONValue) -> JSONValue {
        let sendTime = campaign["send_time"].flatMap { $0 == "" ? nil : $0 } ?? .null
        var report: JSONValue = .null
        if let summary = campaign["report_summary"] {
            report = [
                "opens": summary["opens"] ?? .null, "unique_opens": summary["unique_opens"] ?? .null,
                "open_rate": summary["open_rate"] ?? .null,
                "clicks": summary["clicks"] ?? .null, "subscriber_clicks": summary["subscriber_clicks"] ?? .null,
                "click_rate": summary["click_rate"] ?? .null,
            ]
        }
        return [
            "id": campaign["id"] ?? .null, "status": campaign["status"] ?? .null,
            "title": campaign["settings"]?["title"] ?? .null,
            "subject_line": campaign["settings"]?["subject_line"] ?? .null,
            "audience_id": campaign["recipients"]?["list_id"] ?? .null,
            "emails_sent": campaign["emails_sent"] ?? .null, "send_time": sendTime, "report_summary": report,
        ]
    }

    /// Mailchimp's problem document `{type, title, status, detail, instance, errors?}`: title, detail and field errors.
    static func describeError(_ json: JSONValue) -> String? {
        let title = json["title"]?.stringValue
        guard let detail = json["detail"]?.stringValue ?? title else {
            return ConnectorClient.defaultErrorMessage(json)
        }
        var message = title.map { $0 == detail ? detail : "\($0): \(detail)" } ?? detail
        if case .array(let errors)? = json["errors"] {
            let fields = errors.compactMap { error -> String? in
                guard let text = error["message"]?.stringValue else { return nil }
                return error["field"]?.stringValue.flatMap { $0.isEmpty ? nil : "\($0): \(text)" } ?? text
            }
            if !fields.isEmpty { message += " (\(fields.joined(separator: "; ")))" }
        }
        return message
    }
}
