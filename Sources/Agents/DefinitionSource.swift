/// One definition file to validate: where it is shown as being, and its bytes.
public struct DefinitionSource: Sendable {
    /// What kind of definition a file holds, from where it sits.
    public enum Kind: Sendable, Hashable {
        /// `agents/<category>/<id>.json`.
        case agent(category: String)
        /// `agents/crews/<id>.json`.
        case crew

        /// The folder under `agents/` that holds files of this kind: the category, or `crews`.
        public var folder: String {
            switch self {
            case .agent(let category): return category
            case .crew: return "crews"
            }
        }
    }

    /// The path shown in diagnostics.
    public var displayPath: String
    /// The file name without `.json`: the id the file must declare.
    public var stem: String
    /// Agent (with its folder's category) or crew.
    public var kind: Kind
    /// The file's contents; nil when it could not be read.
    public var bytes: [UInt8]?

    /// Creates a source.
    public init(displayPath: String, stem: String, kind: Kind, bytes: [UInt8]?) {
        self.displayPath = displayPath
        self.stem = stem
        self.kind = kind
        self.bytes = bytes
    }
}
