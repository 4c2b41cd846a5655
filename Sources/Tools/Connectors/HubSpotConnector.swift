import AgentRuntime
import Foundation

/// HubSpot CRM API v3 (`/crm/v3/objects/...`), authenticated with a private-app
/// or OAuth access token (`Authorization: Bearer`). Secrets: `access_token` (a private app's), or for an OAuth app
/// `refresh_token`, `client_id` and `client_secret` to refresh it through HubSpot's token endpoint (`token_url`
/// overrides it).
/// Lists page with HubSpot's `after` cursor (`paging.next.after`).
public enum HubSpotConnector {
    /// The connector's operations: each one's spec and how it is performed.
    public static let operations: [ConnectorOperation] = [
        ConnectorOperation(
            ToolSpec(
                id: "hubspot.search_contacts",
                description:
                    "Search HubSpot contacts by free text (name, email, company) and return their main properties.",
                parameters: .object(
                    ["query": Schema.string("Search text"), "limit": Schema.limit, "cursor": Schema.cursor],
                    required: ["query"]),
                access: .read)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            guard let query = arguments["query"]?.stringValue, !query.trimmingCharacters(in: .whitespaces).isEmpty
            else {
                throw ToolError("\"query\" is required")
            }
            var body: JSONObject = [
                "query": .string(query), "limit": .int(ConnectorClient.limit(arguments, default: 10)),
                "properties": .array(contactProperties.map { .string($0) }),
            ]
            if let after = arguments["cursor"]?.stringValue, !after.isEmpty { body["after"] = .string(after) }
            let url = ConnectorClient.url(connection.base, path: "objects/contacts/search")
            let response = try await connection.send(client, context, "POST", url, body: .object(body))
            return .json(page(response.json, key: "contacts", summary: contactSummary))
        },
        ConnectorOperation(
            ToolSpec(
                id: "hubspot.create_contact",
                description: "Create a HubSpot contact.",
                parameters: .object(
                    [
                        "email": Schema.string("Email address", format: "email"),
                        "firstname": Schema.string("First name"),
                        "lastname": Schema.string("Last name"), "company": Schema.string("Company name"),
                        "phone": Schema.string("Phone number"), "lifecyclestage": Schema.string("Lifecycle stage"),
                    ], required: ["email"]),
                access: .write)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            var properties = JSONObject()
            for key in contactProperties {
                if let value = arguments[key]?.stringValue { properties[key] = .string(value) }
            }
            guard properties["email"] != nil else { throw ToolError("\"email\" is required") }
            let url = ConnectorClient.url(connection.base, path: "objects/contacts")
            let response = try await connection.send(
                client, context, "POST", url, body: ["properties": .object(properties)])
            return .json(contactSummary(response.json))
        },
        ConnectorOperation(
            ToolSpec(
                id: "hubspot.update_contact",
                description: "Update properties of an existing HubSpot contact.",
                parameters: .object(
                    [
                        "id": Schema.string("Contact id"),
                        "properties": [
                            "type": "object", "description": "Property names and new values",
                            "additionalProperties": ["type": "string"],
                        ],
                    ], required: ["id", "properties"]),
                access: .write)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            guard let id = arguments["id"]?.stringValue ?? arguments["id"]?.doubleValue.map({ String(Int($0)) }),
                !id.isEmpty
            else {
                throw ToolError("\"id\" is required")
            }
            // A numeric record id, or an email address looked up with `idProperty=email`.
            let byEmail = id.contains("@")
            guard byEmail || id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw ToolError("\"id\" must be a HubSpot contact id (digits) or the contact's email address")
            }
            guard case .object(let given)? = arguments["properties"], !given.members.isEmpty else {
                throw ToolError("nothing to update: give at least one property in \"properties\"")
            }
            var properties = JSONObject()
            for (key, value) in given {
                switch value {
                case .string, .null: properties[key] = value
                case .int(let number): properties[key] = .string(String(number))
                case .double(let number): properties[key] = .string(String(number))
                case .bool(let flag): properties[key] = .string(flag ? "true" : "false")
                default: throw ToolError("property \"\(key)\" must be a string")
                }
            }
            let url = ConnectorClient.url(
                connection.base, path: "objects/contacts/\(try ConnectorClient.pathSegment(id, name: "id"))",
                query: [("idProperty", byEmail ? "email" : nil)])
            let response = try await connection.send(
                client, context, "PATCH", url, body: ["properties": .object(properties)])
            return .json(contactSummary(response.json))
        },
        ConnectorOperation(
            ToolSpec(
                id: "hubspot.list_deals",
                description: "List HubSpot deals with amount, stage and close date.",
                parameters: .object(["limit": Schema.limit, "cursor": Schema.cursor]),
                access: .read)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            let url = ConnectorClient.url(
                connection.base, path: "objects/deals",
                query: [
                    ("limit", String(ConnectorClient.limit(arguments, default: 20))),
                    ("after", arguments["cursor"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }),
                    ("properties", dealProperties.joined(separator: ",")),
                ])
            let response = try await connection.send(client, context, "GET", url)
            return .json(page(response.json, key: "deals", summary: dealSummary))
        },
    ]

    /// The contact properties read and written.
    static let contactProperties = ["email", "firstname", "lastname", "company", "phone", "lifecyclestage"]
    /// The deal properties read.
    static let dealProperties = ["dealname", "amount", "dealstage", "closedate"]

    /// HubSpot's OAuth 2 token endpoint (OAuth apps; private-app tokens do not expire).
    public static let tokenURL = "https://api.hubapi.com/oauth/v1/token"

    static func connect(_ client: ConnectorClient, _ context: ToolContext) async throws -> OAuthConnection {
        let configuration = try await client.configuration("hubspot", context: context)
        // A private app's token (no `refresh_token` configured) is sent as it is.
        return OAuthConnection(
            base: try client.baseURL(configuration, standard: "https://api.hubapi.com", apiPath: "/crm/v3"),
            configuration: configuration,
            tokenURL: tokenURL, scheme: "Bearer", describeError: describeError)
    }

    /// HubSpot's error body: `{"status":"error","message":…,"category":…,"correlationId":…}`.
    static func describeError(_ json: JSONValue) -> String? {
        guard let message = json["message"]?.stringValue else { return ConnectorClient.defaultErrorMessage(json) }
        if let category = json["category"]?.stringValue ?? json["errorType"]?.stringValue {
            return "\(message) (\(category))"
        }
        return message
    }

    /// `{"<key>": [...], "total": n, "next_cursor": paging.next.after}`.
    static func page(_ json: JSONValue, key: String, summary: (JSONValue) -> JSONValue) -> JSONValue {
        guard case .array(let results)? = json["results"] else { return .object([key: .array([])]) }
        var data: JSONObject = [key: .array(results.map(summary))]
        if let total = json["total"] { data["total"] = total }
        if let after = json["paging"]?["next"]?["after"]?.stringValue, !after.isEmpty {
            data["next_cursor"] = .string(after)
        }
        return .object(data)
    }

    /// The fields an agent needs from a contact: its id, the main properties, when it changed.
    static func contactSummary(_ contact: JSONValue) -> JSONValue {
        var summary: JSONObject = ["id": contact["id"] ?? .null]
        for key in contactProperties { summary[key] = contact["properties"]?[key] ?? .null }
        summary["updated_at"] = contact["updatedAt"] ?? .null
        return .object(summary)
    }

    /// The fields an agent needs from a deal.
    static func dealSummary(_ deal: JSONValue) -> JSONValue {
        var summary: JSONObject = ["id": deal["id"] ?? .null]
        for key in dealProperties { summary[key] = deal["properties"]?[key] ?? .null }
        return .object(summary)
    }
}
