import AgentRuntime
import MCP

extension Value {
    /// The MCP value of a runtime JSON value (object members keep their values; MCP objects are unordered).
    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .array(let values): self = .array(values.map(Value.init))
        case .object(let object):
            var members: [String: Value] = [:]
            for member in object { members[member.key] = Value(member.value) }
            self = .object(members)
        }
    }
}

extension JSONValue {
    /// The runtime JSON value of an MCP value (binary data as its base64 text, a data URL when typed).
    init(_ value: MCP.Value) {
        switch value {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .data(let mimeType, let data):
            self = .string((mimeType.map { "data:\($0);base64," } ?? "") + data.base64EncodedString())
        case .array(let values): self = .array(values.map { JSONValue($0) })
        case .object(let members):
            self = .object(
                JSONObject(members.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSONValue($0.value)) }))
        }
    }
}
