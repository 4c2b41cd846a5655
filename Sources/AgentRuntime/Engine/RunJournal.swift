import Foundation

/// One completed step of a run: a model call and its answer, or a tool call and its result.
public struct JournalEntry: Hashable, Sendable {
    /// What kind of step.
    public enum Kind: String, Hashable, Sendable {
        /// A model call; `key` identifies the request, `data` is the response.
        case model
        /// A tool call; `key` identifies the tool and its arguments, `data` the result the model read.
        case tool
        /// A call of a tool that changes something was sent (its result follows as a `tool` entry, unless the
        /// process died first: then nobody knows whether it took effect).
        case toolStarted = "tool_started"
    }

    /// The run.
    public var runID: RunID
    /// 1, 2, 3, ... in the order the steps completed.
    public var step: Int
    /// What kind of step.
    public var kind: Kind
    /// Which request or call this answers (a hash of the canonical request, or of tool and arguments).
    public var key: String
    /// The response or result.
    public var data: JSONValue
    /// The attempt of the run that made the step (1 for the first).
    public var attempt: Int

    /// Creates an entry.
    public init(runID: RunID, step: Int, kind: Kind, key: String, data: JSONValue, attempt: Int) {
        self.runID = runID
        self.step = step
        self.kind = kind
        self.key = key
        self.data = data
        self.attempt = attempt
    }
}

/// The port to a run's journal: every step is appended as it completes, before the next one starts, so a run
/// can be carried on after a crash by answering its steps from here.
public protocol RunJournal: Sendable {
    /// The run's steps in order.
    func journal(of run: RunID) async throws -> [JournalEntry]
    /// Appends a step; returns once it is stored.
    func appendJournal(_ entry: JournalEntry) async throws
}

/// One attempt's view of a run's journal: answers steps that were journaled by earlier attempts (each at most
/// once, in the order they were made, matched by what was asked), and journals every new step.
actor JournalSession {
    private let runID: RunID
    private let journal: any RunJournal
    private let attempt: Int
    private var recorded: [String: [JournalEntry]] = [:]
    private var nextStep: Int
    private var occurrences: [String: Int] = [:]
    /// Steps answered from the journal in this attempt.
    private(set) var replayed = 0

    /// Loads what earlier attempts journaled.
    init(runID: RunID, journal: any RunJournal, attempt: Int) async throws {
        self.runID = runID
        self.journal = journal
        self.attempt = attempt
        let entries = try await journal.journal(of: runID)
        for entry in entries { recorded[entry.kind.rawValue + ":" + entry.key, default: []].append(entry) }
        nextStep = (entries.map(\.step).max() ?? 0) + 1
    }

    /// The journaled answer to this request, if an earlier attempt made it and it is not used yet.
    func replay(_ kind: JournalEntry.Kind, key: String) -> JSONValue? {
        let slot = kind.rawValue + ":" + key
        guard var entries = recorded[slot], !entries.isEmpty else { return nil }
        let entry = entries.removeFirst()
        recorded[slot] = entries
        replayed += 1
        return entry.data
    }

    /// What the journal says of this tool call: its result, if an earlier attempt finished it; whether an earlier
    /// attempt sent it without a result (its effect is uncertain); and the call's idempotency key, the same in every
    /// attempt (the n-th call of the same tool with the same arguments in the run).
    /// `key` is the n-th call's own journal key (the tool, its arguments and n), so a "sent" mark is only ever
    /// paired with the result of the same call.
    func claimTool(
        key base: String
    ) -> (key: String, result: JSONValue?, uncertain: Bool, idempotencyKey: String, attempt: Int) {
        let occurrence = occurrences[base, default: 0]
        occurrences[base] = occurrence + 1
        let key = "\(base)#\(occurrence)"
        let idempotencyKey = Self.hash("\(runID.rawValue)|\(key)")
        let startedSlot = JournalEntry.Kind.toolStarted.rawValue + ":" + key
        let hadStarted = !(recorded[startedSlot]?.isEmpty ?? true)
        if hadStarted { recorded[startedSlot]?.removeFirst() }
        if let result = replay(.tool, key: key) { return (key, result, false, idempotencyKey, attempt) }
        return (key, nil, hadStarted, idempotencyKey, attempt)
    }

    /// Journals a completed step; returns once it is stored.
    func record(_ kind: JournalEntry.Kind, key: String, data: JSONValue) async throws {
        let step = nextStep
        nextStep += 1
        try await journal.appendJournal(
            JournalEntry(runID: runID, step: step, kind: kind, key: key, data: data, attempt: attempt))
    }

    /// The key of a model request: a hash of its canonical form.
    static func key(_ request: ChatRequest) -> String { hash(request.fingerprint) }

    /// The key of a tool call: a hash of the tool and its arguments (canonical JSON when they parse).
    static func key(tool: String, arguments: JSONValue) -> String {
        hash(tool + "\n" + arguments.serialized(sortedKeys: true))
    }

    /// FNV-1a, 64 bits, with the length: enough to tell a run's own requests apart.
    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        var count = 0
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
            count += 1
        }
        return String(value, radix: 16) + "-" + String(count)
    }
}
