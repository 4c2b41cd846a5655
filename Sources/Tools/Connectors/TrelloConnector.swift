import AgentRuntime
import Foundation

/// Trello REST API (`https://api.trello.com/1`), authenticated with the
/// `key` and `token` query parameters. Secrets: `api_key`, `token` (both are
/// redacted from errors). Trello reports errors as plain-text bodies
/// (`invalid key`, `invalid id`).
public enum TrelloConnector {
    /// The card fields requested and returned.
    static let cardFields = "id,name,desc,due,dueComplete,idList,url,closed"

    /// The connector's operations: each one's spec and how it is performed.
    public static let operations: [ConnectorOperation] = [
        ConnectorOperation(
            ToolSpec(
                id: "trello.list_cards",
                description: "List the cards on a Trello board or list.",
                parameters: .object(
                    ["board_id": Schema.string("Board id"), "list_id": Schema.string("List id (instead of a board)")]),
                access: .read)
        ) { client, arguments, context in
            let path: String
            if let list = try identifier(arguments, "list_id") {
                path = "lists/\(try ConnectorClient.pathSegment(list, name: "list_id"))/cards"
            } else if let board = try identifier(arguments, "board_id") {
                path = "boards/\(try ConnectorClient.pathSegment(board, name: "board_id"))/cards"
            } else {
                throw ToolError("give \"board_id\" or \"list_id\" to say whose cards to list")
            }
            let connection = try await connect(client, context)
            let url = connection.url(path, query: [("fields", cardFields)])
            let response = try await client.send(
                HTTPRequest(method: "GET", url: url, headers: ["Accept": "application/json"]), connector: "trello",
                secrets: connection.secrets)
            guard case .array(let cards) = response.json else {
                throw ToolError("trello returned an unexpected response")
            }
            return .json(["cards": .array(cards.map(summary))])
        },
        ConnectorOperation(
            ToolSpec(
                id: "trello.create_card",
                description: "Create a card in a Trello list.",
                parameters: .object(
                    [
                        "list_id": Schema.string("List id"), "name": Schema.string("Card title"),
                        "desc": Schema.string("Card description"),
                        "due": Schema.string("Due date", format: "date-time"),
                    ], required: ["list_id", "name"]),
                access: .write)
        ) { client, arguments, context in
            guard let list = try identifier(arguments, "list_id") else { throw ToolError("\"list_id\" is required") }
            guard let name = arguments["name"]?.stringValue, !name.isEmpty else {
                throw ToolError("\"name\" is required")
            }
            let connection = try await connect(client, context)
            let url = connection.url(
                "cards",
                query: [
                    ("idList", list), ("name", name), ("desc", arguments["desc"]?.stringValue),
                    ("due", arguments["due"]?.stringValue),
                ])
            let response = try await client.send(
                HTTPRequest(method: "POST", url: url, headers: ["Accept": "application/json"]), connector: "trello",
                secrets: connection.secrets)
            return .json(summary(response.json))
        },
    ]

    struct Connection {
        var base: URL
        var key: String
        var token: String

        var secrets: [String] { [key, token] }

        /// `path` with `query`, then `key` and `token` (a `+` in a value is sent as `%2B`; Trello reads a bare `+` as a space).
        func url(_ path: String, query: [(String, String?)]) -> URL {
            ConnectorClient.url(base, path: path, query: query + [("key", key), ("token", token)])
        }
    }

    static func connect(_ client: ConnectorClient, _ context: ToolContext) async throws -> Connection {
        let configuration = try await client.configuration("trello", context: context)
        let key = try await client.secret("api_key", of: configuration, context: context)
        let token = try await client.secret("token", of: configuration, context: context)
        return Connection(
            base: try client.baseURL(configuration, standard: "https://api.trello.com", apiPath: "/1"), key: key,
            token: token)
    }

    /// An id argument used as a path segment (letters and digits: Trello ids and short links), or nil when absent.
    static func identifier(_ arguments: JSONValue, _ name: String) throws -> String? {
        guard let value = arguments[name]?.stringValue, !value.isEmpty else { return nil }
        guard value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw ToolError("\"\(name)\" is not a valid trello id")
        }
        return value
    }

    /// The fields an agent needs from a card.
    static func summary(_ card: JSONValue) -> JSONValue {
        [
            "id": card["id"] ?? .null, "name": card["name"] ?? .null, "desc": card["desc"] ?? .null,
            "due": card["due"] ?? .null,
            "due_complete": card["dueComplete"] ?? .null, "idList": card["idList"] ?? .null,
            "url": card["url"] ?? .null,
            "closed": card["closed"] ?? .null,
        ]
    }
}
