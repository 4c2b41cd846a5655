import AgentRuntime

/// One problem found in a definition file: where, how bad, and what.
public struct Diagnostic: Hashable, Sendable {
    /// Whether the problem blocks loading.
    public enum Severity: String, Hashable, Sendable, Comparable {
        /// The definition cannot be used as written.
        case error
        /// Suspicious but usable.
        case warning

        /// Errors sort before warnings.
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs == .error && rhs == .warning }
    }

    /// The file, as displayed (relative to the working directory when under it).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column (Unicode scalars).
    public var column: Int
    /// Error or warning.
    public var severity: Severity
    /// The stable kind of problem.
    public var code: DiagnosticCode
    /// What is wrong, and how to fix it where that is clear.
    public var message: String
    /// JSON Pointer (RFC 6901) to the value concerned; empty for the whole document.
    public var pointer: String

    /// Creates a diagnostic.
    public init(
        file: String, line: Int, column: Int, severity: Severity, code: DiagnosticCode, message: String, pointer: String
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.code = code
        self.message = message
        self.pointer = pointer
    }

    /// `path:line:column: error|warning: message [pointer]`.
    public var formatted: String {
        "\(file):\(line):\(column): \(severity.rawValue): \(message) [\(pointer.isEmpty ? "/" : pointer)]"
    }
}

/// The stable kinds of definition problems (for tests, tooling and the JSON output).
public enum DiagnosticCode: String, Hashable, Sendable, CaseIterable {
    /// The file is not valid JSON.
    case syntaxError = "syntax-error"
    /// The file could not be read.
    case unreadableFile = "unreadable-file"
    /// A definition file is outside the folder layout.
    case misplacedFile = "misplaced-file"
    /// A field that the format does not have.
    case unknownField = "unknown-field"
    /// A key written twice in one object.
    case duplicateKey = "duplicate-key"
    /// A required field is absent.
    case missingField = "missing-field"
    /// A value of the wrong JSON type.
    case typeMismatch = "type-mismatch"
    /// A required text is empty.
    case emptyValue = "empty-value"
    /// A value that does not have the required shape (id pattern, `provider/model`, ...).
    case invalidFormat = "invalid-format"
    /// A value outside its allowed set of words.
    case invalidValue = "invalid-value"
    /// A number outside its range.
    case outOfRange = "out-of-range"
    /// `id` differs from the file name.
    case idMismatch = "id-mismatch"
    /// `category` differs from the folder name.
    case categoryMismatch = "category-mismatch"
    /// Two definitions (or two tasks of a crew) share an id.
    case duplicateID = "duplicate-id"
    /// The same entry listed twice.
    case duplicateEntry = "duplicate-entry"
    /// A tool id that the registry does not know.
    case unknownTool = "unknown-tool"
    /// An agent id that the catalog does not have.
    case unknownAgent = "unknown-agent"
    /// A knowledge collection with no folder under `knowledge/`.
    case unknownKnowledge = "unknown-knowledge"
    /// A hierarchical crew's manager also listed among its agents.
    case managerInAgents = "manager-in-agents"
    /// A manager (or `manager_model`) on a sequential crew.
    case managerNotAllowed = "manager-not-allowed"
    /// A manager agent that declares tools of its own.
    case managerHasTools = "manager-has-tools"
    /// A task's agent that is not one of the crew's agents.
    case taskAgentNotInCrew = "task-agent-not-in-crew"
    /// A crew agent that no task uses (sequential crews).
    case unusedAgent = "unused-agent"
    /// `context` names a task that does not exist.
    case unknownContextTask = "unknown-context-task"
    /// `context` names the task itself or a later task.
    case forwardContext = "forward-context"
    /// A `{placeholder}` that the crew's `inputs` do not declare.
    case undeclaredPlaceholder = "undeclared-placeholder"
    /// A declared input that no text uses.
    case unusedInput = "unused-input"
    /// A setting that has no effect where it is written.
    case ignoredSetting = "ignored-setting"
    /// The agents folder holds no agent definition (empty, or a mount that is not there).
    case emptyCatalog = "empty-catalog"
}
