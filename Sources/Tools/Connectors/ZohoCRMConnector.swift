import AgentRuntime
import Foundation

/// Zoho CRM REST API v6 (`/crm/v6/Leads`), authenticated with an OAuth access
/// token (`Authorization: Zoho-oauthtoken …`). Setting: `data_center` (`com`,
/// `eu`, `in`, `com.au`, `jp`, `ca`, `sa`, `com.cn`; default `com`); secrets: `access_token`, or `refresh_token`,
/// `client_id` and `client_secret` to refresh it through the data centre's accounts server (`token_url` overrides it).
/// Lists page with `page`/`per_page` and `info.more_records`.
public enum ZohoCRMConnector {
    /// The connector's operations: each one's spec and how it is performed.
    public static let operations: [ConnectorOperation] = [
        ConnectorOperation(
            ToolSpec(
                id: "zoho_crm.list_leads",
                description: "List leads in Zoho CRM, most recently modified first.",
                parameters: .object(["limit": Schema.limit, "page": Schema.integer("Page number, from 1", minimum: 1)]),
                access: .read)
        ) { client, arguments, context in
            let connection = try await connect(client, context)
            let page = max(1, arguments["page"]?.intValue ?? 1)
            let url = ConnectorClient.url(
                connection.base, path: "Leads",
                query: [
                    ("fields", leadFields.joined(separator: ",")),
                    ("per_page", String(ConnectorClient.limit(arguments, default: 20))),
                    ("page", String(page)), ("sort_by", "Modified_Time"), ("sort_order", "desc"),
                ])
            let response = try await connection.send(client, context, "GET", url)
            // 204 No Content: the module has no records (or none on this page).
            guard case .array(let records)? = response.json["data"] else { return .json(["leads": []]) }
            var data: JSONObject = ["leads": .array(records.map(summary))]
            if response.json["info"]?["more_records"] == .bool(true) { data["next_page"] = .int(page + 1) }
            return .json(.object(data))
        },
        ConnectorOperation(
            ToolSpec(
                id: "zoho_crm.create_lead",
                description: "Create a lead in Zoho CRM.",
                parameters: .object(
                    [
                        "last_name": Schema.string("Last name"), "first_name": Schema.string("First name"),
                        "company": Schema.string("Company"), "email": Schema.string("Email address", format: "email"),
                        "phone": Schema.string("Phone number"),
                        "lead_source": Schema.string("Where the lead came from"),
                    ], required: ["last_name", "company"]),
                access: .write)
        ) { client, arguments, context in
            var record = JSONObject()
            for (argument, field) in writableFields {
                if let value = arguments[argument]?.stringValue { record[field] = .string(value) }
            }
            guard record["Last_Name"] != nil else { throw ToolError("\"last_name\" is required") }
            guard record["Company"] != nil else { throw ToolError("\"company\" is required") }
            let connection = try await connect(client, context)
            let url = ConnectorClient.url(connection.base, path: "Leads")
            let response = try await connection.send(client, context, "POST", url, body: ["data": [.object(record)]])
            guard case .array(let results)? = response.json["data"], let result = results.first else {
                throw ToolError("zoho_crm returned an unexpected response")
            }
            // Zoho reports each record's outcome in `data[]`, also in a 2xx response.
            guard result["status"]?.stringValue == "success", let id = result["details"]?["id"] else {
                throw ToolError("zoho_crm did not create the lead: \(describe(result))")
            }
            return .json([
                "id": id, "code": result["code"] ?? .null, "created_time": result["details"]?["Created_Time"] ?? .null,
            ])
        },
    ]

    /// The data centres Zoho CRM runs in (the domain suffix of `www.zohoapis.<dc>`).
    public static let dataCenters = ["com", "eu", "in", "com.au", "jp", "ca", "sa", "com.cn"]

    /// The API domain of a data centre, e.g. `https://www.zohoapis.eu` for `eu`; nil for an unknown one.
    public static func apiDomain(dataCenter: String) -> String? {
        normalized(dataCenter).map { "https://www.zohoapis.\($0)" }
    }

    /// The OAuth token endpoint of a data centre's accounts server, e.g. `https://accounts.zoho.eu/oauth/v2/token`
    /// for `eu` (Canada's is `accounts.zohocloud.ca`); nil for an unknown data centre.
    public static func tokenURL(dataCenter: String) -> String? {
        normalized(dataCenter).map { dc in
            "https://\(dc == "ca" ? "accounts.zohocloud.ca" : "accounts.zoho.\(dc)")/oauth/v2/token"
        }
    }

    /// A known data centre, lower-cased and without surrounding dots or spaces.
    private static func normalized(_ dataCenter: String) -> String? {
        let normalized = dataCenter.trimmingCharacters(in: .whitespaces).lowercased().trimmingCharacters(
            in: CharacterSet(charactersIn: "."))
        return dataCenters.contains(normalized) ? normalized : nil
    }

    /// The lead fields read (Zoho requires `fields` on list requests).
    static let leadFields = [
        "First_Name", "Last_Name", "Company", "Email", "Phone", "Lead_Source", "Lead_Status", "Owner", "Created_Time",
        "Modified_Time",
    ]
    /// Argument name → Zoho field API name, for writes.
    static let writableFields = [
        ("last_name", "Last_Name"), ("first_name", "First_Name"), ("company", "Company"), ("email", "Email"),
        ("phone", "Phone"), ("lead_source", "Lead_Source"),
    ]

    static func connect(_ client: ConnectorClient, _ context: ToolContext) async throws -> OAuthConnection {
        let configuration = try await client.configuration("zoho_crm", context: context)
        let dataCenter = configuration.settings["data_center"].flatMap { $0.isEmpty ? nil : $0 } ?? "com"
        guard let domain = apiDomain(dataCenter: dataCenter), let tokenURL = tokenURL(dataCenter: dataCenter) else {
            throw ToolError(
                "zoho_crm has an unknown data_center \"\(dataCenter)\"; use one of \(dataCenters.joined(separator: ", "))"
            )
        }
        return OAuthConnection(
            base: try client.baseURL(configuration, standard: domain, apiPath: "/crm/v6"), configuration: configuration,
            tokenURL: tokenURL,
            scheme: "Zoho-oauthtoken", describeError: describeError)
    }

    /// Zoho's error body: `{"code","details","message","status":"error"}`, or per record in `data[]`.
    static func describeError(_ json: JSONValue) -> String? {
        if case .array(let results)? = json["data"], let first = results.first, first["message"] != nil {
            return describe(first)
        }
        if json["message"] != nil || json["code"] != nil { return describe(json) }
        return ConnectorClient.defaultErrorMessage(json)
    }

    /// `message (CODE: field)` from one Zoho status object.
    static func describe(_ status: JSONValue) -> String {
        let message = status["message"]?.stringValue ?? "unknown error"
        var qualifiers: [String] = []
        if let code = status["code"]?.stringValue { qualifiers.append(code) }
        if let field = status["details"]?["api_name"]?.stringValue { qualifiers.append("field \(field)") }
        if let existing = status["details"]?["duplicate_record"]?["id"]?.stringValue {
            qualifiers.append("existing record \(existing)")
        }
        return qualifiers.isEmpty ? message : "\(message) (\(qualifiers.joined(separator: ", ")))"
    }

    /// The fields an agent needs from a lead.
    static func summary(_ lead: JSONValue) -> JSONValue {
        [
            "id": lead["id"] ?? .null, "first_name": lead["First_Name"] ?? .null,
            "last_name": lead["Last_Name"] ?? .null,
            "company": lead["Company"] ?? .null, "email": lead["Email"] ?? .null, "phone": lead["Phone"] ?? .null,
            "lead_source": lead["Lead_Source"] ?? .null, "lead_status": lead["Lead_Status"] ?? .null,
            "owner": lead["Owner"]?["name"] ?? .null, "modified_time": lead["Modified_Time"] ?? .null,
        ]
    }
}
