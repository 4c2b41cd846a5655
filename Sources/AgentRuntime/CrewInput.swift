/// A run input a crew declares: a name used as `{name}` in its texts.
public struct CrewInput: Hashable, Sendable, Codable {
    /// The placeholder name.
    public var name: String
    /// What the caller should provide.
    public var description: String?
    /// Whether a run must provide it (default true); ignored when a default exists.
    public var isRequired: Bool
    /// The value used when a run does not provide one.
    public var defaultValue: JSONValue?

    /// Creates an input declaration.
    public init(name: String, description: String? = nil, isRequired: Bool = true, defaultValue: JSONValue? = nil) {
        self.name = name
        self.description = description
        self.isRequired = isRequired
        self.defaultValue = defaultValue
    }

    enum CodingKeys: String, CodingKey {
        case name, description
        case isRequired = "required"
        case defaultValue = "default"
    }
}
