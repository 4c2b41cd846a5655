import AgentRuntime
import HTTPTypes
import Hummingbird

/// JSON responses with the API's envelope.
enum Reply {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized())))
    }

    /// `{"data": …}`.
    static func data(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(["data": value], status: status)
    }

    /// `{"data": [...], "meta": {"page", "limit", "total"}}`.
    static func list(_ items: [JSONValue], page: Int, limit: Int, total: Int) -> Response {
        json(["data": .array(items), "meta": ["page": .int(page), "limit": .int(limit), "total": .int(total)]])
    }

    /// Page `page` (of `limit` items) of a list held in memory, each item rendered by `render`; `total` counts them all.
    static func list<Item>(_ all: [Item], page: Int, limit: Int, render: (Item) -> JSONValue) -> Response {
        list(all.dropFirst((page - 1) * limit).prefix(limit).map(render), page: page, limit: limit, total: all.count)
    }

    static func error(_ error: GatewayError) -> Response {
        var headers: HTTPFields = [:]
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        return json(error.body, status: error.code.status, headers: headers)
    }
}
