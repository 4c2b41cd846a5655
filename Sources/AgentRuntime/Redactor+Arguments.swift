extension Redactor {
    /// Argument names whose values are masked whatever they hold (matched case-insensitively, as parts of a name:
    /// `app_password`, `X-Api-Key`, `accessToken`).
    public static let sensitiveFieldNames = [
        "password", "passwd", "secret", "token", "api_key", "apikey", "api-key", "authorization", "credential",
        "private_key", "cookie",
    ]

    /// `value` with registered secrets (and, when `keyShapes`, key-shaped tokens) masked in every string, member
    /// names included.
    public func redact(_ value: JSONValue, keyShapes: Bool = true) -> JSONValue {
        switch value {
        case .string(let text): return .string(redact(text, keyShapes: keyShapes))
        case .array(let items): return .array(items.map { redact($0, keyShapes: keyShapes) })
        case .object(let object):
            return .object(
                JSONObject(
                    object.members.map {
                        (key: redact($0.key, keyShapes: keyShapes), value: redact($0.value, keyShapes: keyShapes))
                    }))
        default: return value
        }
    }

    /// A tool call's arguments as events, approvals and the audit log show them: the values of secret-looking
    /// members (``sensitiveFieldNames``) masked at any depth, then registered secrets and key-shaped tokens. The
    /// text is returned unchanged when nothing is masked; text that is not JSON is redacted as text.
    public func redactArguments(_ arguments: String) -> String {
        guard let value = try? JSONParser.value(arguments) else { return redact(arguments) }
        let masked = redact(Self.maskingSensitiveFields(value))
        return masked == value ? arguments : masked.serialized()
    }

    private static func maskingSensitiveFields(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(
                JSONObject(
                    object.members.map { member in
                        let lowered = member.key.lowercased()
                        let sensitive = sensitiveFieldNames.contains { lowered.contains($0) }
                        return (
                            key: member.key, value: sensitive ? .string(mask) : maskingSensitiveFields(member.value)
                        )
                    }))
        case .array(let items): return .array(items.map(maskingSensitiveFields))
        default: return value
        }
    }
}
