import AgentRuntime
import Foundation

/// Google Analytics Data API v1beta (`properties/{id}:runReport`) for GA4
/// properties, authenticated with an OAuth access token (`Authorization: Bearer`).
/// Setting: `property_id` (`123456789` or `properties/123456789`); secrets: `access_token`, or `refresh_token`,
/// `client_id` and `client_secret` to refresh it through Google's token endpoint (`token_url` overrides it).
/// A report returns at most `limit` rows; `row_count` tells how many matched.
public enum GoogleAnalyticsConnector {
    /// The connector's operations: each one's spec and how it is performed.
    public static let operations: [ConnectorOperation] = [
        ConnectorOperation(
            ToolSpec(
                id: "google_analytics.run_report",
                description: "Run a Google Analytics 4 report: metrics by dimensions over a date range.",
                parameters: .object(
                    [
                        "metrics": Schema.array(
                            "Metric names, e.g. sessions, totalUsers, conversions", items: ["type": "string"]),
                        "dimensions": Schema.array(
                            "Dimension names, e.g. date, sessionSource, pagePath", items: ["type": "string"]),
                        "start_date": Schema.string("Start date, YYYY-MM-DD or NdaysAgo"),
                        "end_date": Schema.string("End date, YYYY-MM-DD, yesterday or today"),
                        "limit": Schema.integer("Maximum rows", minimum: 1, maximum: 10000),
                    ], required: ["metrics", "start_date", "end_date"]),
                access: .read)
        ) { client, arguments, context in
            let metrics = try names(arguments["metrics"], argument: "metrics")
            guard !metrics.isEmpty else { throw ToolError("\"metrics\" needs at least one metric name, e.g. sessions") }
            let dimensions = try names(arguments["dimensions"], argument: "dimensions")
            guard let start = arguments["start_date"]?.stringValue, !start.isEmpty else {
                throw ToolError("\"start_date\" is required")
            }
            guard let end = arguments["end_date"]?.stringValue, !end.isEmpty else {
                throw ToolError("\"end_date\" is required")
            }
            let limit = ConnectorClient.limit(arguments, default: 100, max: 10000)

            let connection = try await connect(client, context)
            var body: JSONObject = ["dateRanges": [["startDate": .string(start), "endDate": .string(end)]]]
            if !dimensions.isEmpty { body["dimensions"] = .array(dimensions.map { ["name": .string($0)] }) }
            body["metrics"] = .array(metrics.map { ["name": .string($0)] })
            body["limit"] = .int(limit)
            let url = ConnectorClient.url(
                connection.oauth.base, path: "properties/\(connection.property):runReport")
            let response = try await connection.oauth.send(client, context, "POST", url, body: .object(body))
            return .json(report(response.json))
        }
    ]

    /// Google's OAuth 2 token endpoint.
    public static let tokenURL = "https://oauth2.googleapis.com/token"

    struct Connection {
        var oauth: OAuthConnection
        var property: String
    }

    static func connect(_ client: ConnectorClient, _ context: ToolContext) async throws -> Connection {
        let configuration = try await client.configuration("google_analytics", context: context)
        var property = try client.setting("property_id", of: configuration).trimmingCharacters(in: .whitespaces)
        if property.hasPrefix("properties/") { property.removeFirst("properties/".count) }
        guard !property.isEmpty, property.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ToolError(
                "google_analytics has an invalid property_id setting; expected the GA4 property's numeric id, e.g. 123456789"
            )
        }
        let base = try client.baseURL(
            configuration, standard: "https://analyticsdata.googleapis.com", apiPath: "/v1beta")
        return Connection(
            oauth: OAuthConnection(
                base: base, configuration: configuration, tokenURL: tokenURL, scheme: "Bearer",
                describeError: describeError),
            property: property)
    }

    /// A list of API names (`["sessions", "totalUsers"]`); a single string is taken as a one-element list.
    static func names(_ value: JSONValue?, argument: String) throws -> [String] {
        switch value {
        case nil, .null?: return []
        case .string(let name)?: return name.isEmpty ? [] : [name]
        case .array(let items)?:
            return try items.map { item in
                guard let name = item.stringValue, !name.isEmpty else {
                    throw ToolError("\"\(argument)\" must be a list of names")
                }
                return name
            }
        default: throw ToolError("\"\(argument)\" must be a list of names")
        }
    }

    /// Google's error body: `{"error":{"code":400,"message":…,"status":"INVALID_ARGUMENT"}}`.
    static func describeError(_ json: JSONValue) -> String? {
        guard let message = json["error"]?["message"]?.stringValue else {
            return ConnectorClient.defaultErrorMessage(json)
        }
        if let status = json["error"]?["status"]?.stringValue { return "\(status): \(message)" }
        return message
    }

    /// Rows as objects keyed by dimension and metric names, metric values as numbers.
    static func report(_ json: JSONValue) -> JSONValue {
        let dimensionNames = items(json["dimensionHeaders"]).map { $0["name"]?.stringValue ?? "" }
        let metricHeaders = items(json["metricHeaders"])
        var rows: [JSONValue] = []
        if case .array(let returned)? = json["rows"] {
            for item in returned {
                var row = JSONObject()
                let dimensionValues = items(item["dimensionValues"])
                for (index, name) in dimensionNames.enumerated() where index < dimensionValues.count {
                    row[name] = dimensionValues[index]["value"] ?? .null
                }
                let metricValues = items(item["metricValues"])
                for (index, header) in metricHeaders.enumerated() where index < metricValues.count {
                    row[header["name"]?.stringValue ?? ""] = number(metricValues[index]["value"])
                }
                rows.append(.object(row))
            }
        }
        // rowCount counts every matching row (0 is omitted by the API), not only those returned.
        let rowCount = json["rowCount"]?.intValue ?? json["rowCount"]?.stringValue.flatMap { Int($0) } ?? 0
        var data: JSONObject = [
            "dimensions": .array(dimensionNames.map { .string($0) }),
            "metrics": .array(metricHeaders.map { ["name": $0["name"] ?? .null, "type": $0["type"] ?? .null] }),
            "rows": .array(rows), "row_count": .int(rowCount),
        ]
        if rowCount > rows.count { data["truncated"] = true }
        if let zone = json["metadata"]?["timeZone"] { data["time_zone"] = zone }
        if let currency = json["metadata"]?["currencyCode"] { data["currency_code"] = currency }
        return .object(data)
    }

    static func items(_ value: JSONValue?) -> [JSONValue] {
        if case .array(let items)? = value { return items }
        return []
    }

    /// A metric value (sent as text) as a number: an integer when it is whole, else a decimal; the text when it is not numeric.
    static func number(_ value: JSONValue?) -> JSONValue {
        guard let text = value?.stringValue else { return value ?? .null }
        if let integer = Int(text) { return .int(integer) }
        if let decimal = Double(text), decimal.isFinite { return .double(decimal) }
        return .string(text)
    }
}
