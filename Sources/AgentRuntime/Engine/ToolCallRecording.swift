import Foundation

/// How a replayed run treats one tool call (see ``ToolCallRecording``).
public enum RecordedToolAnswer: Hashable, Sendable {
    /// Answered with what the recorded run's call returned; nothing is called.
    case recorded(content: String, isError: Bool)
    /// Called live, as in any run (policy and approvals as configured).
    case live
    /// Called live only once a human approves it, whatever the approval policy says.
    case liveAfterApproval
    /// Not called; the model is told why.
    case refused(String)
}

/// The port a replay answers tool calls through: consulted before a registered tool is called (after the run's own
/// journal), so that replaying a run does not repeat its side effects.
public protocol ToolCallRecording: Sendable {
    /// How the call of `tool` with `arguments` is treated.
    func answer(_ tool: ToolSpec, arguments: JSONValue) async -> RecordedToolAnswer
}

/// Answers a replay's tool calls from a recorded run: its journal's tool results (exact, matched by tool, arguments
/// and occurrence) and, for a run without a journal, its `tool_started` / `tool_finished` events (matched by tool and
/// arguments, in order; results as the events keep them). A call the recording does not have is refused, or with
/// `liveReads` a read tool is called live and a write or admin tool only after a human approves it. With
/// `liveReads`, read tools are always called live. Counts what it did.
public actor ReplayToolLedger: ToolCallRecording {
    private var journal: [String: [JSONValue]] = [:]
    private var events: [String: [(content: String, isError: Bool)]] = [:]
    private var occurrences: [String: Int] = [:]
    private let liveReads: Bool
    /// Calls answered from the recording.
    public private(set) var served = 0
    /// Calls let through to the live tool.
    public private(set) var live = 0
    /// Calls refused because the recording does not have them.
    public private(set) var refused = 0

    /// Creates a ledger from a recorded run's journal and events.
    public init(journal entries: [JournalEntry], events stored: [StoredEvent], liveReads: Bool) {
        self.liveReads = liveReads
        for entry in entries where entry.kind == .tool {
            journal[entry.key, default: []].append(entry.data)
        }
        var started: [String: (tool: String, arguments: String)] = [:]
        for event in stored {
            let callID = event.data["call_id"]?.stringValue ?? ""
            switch event.kind {
            case "tool_started":
                started[callID] = (event.data["tool"]?.stringValue ?? "", event.data["arguments"]?.stringValue ?? "")
            case "tool_finished":
                guard let call = started.removeValue(forKey: callID), event.data["outcome"] != "repeated" else {
                    continue
                }
                let arguments = (try? JSONParser.value(call.arguments)) ?? .string(call.arguments)
                self.events[Self.eventKey(call.tool, arguments), default: []].append(
                    (event.data["result"]?.stringValue ?? "", event.data["outcome"] == "error"))
            default: continue
            }
        }
    }

    private static func eventKey(_ tool: String, _ arguments: JSONValue) -> String {
        tool + "\n" + arguments.serialized(sortedKeys: true)
    }

    /// The recorded answer, or live / refused as the ledger was configured.
    public func answer(_ tool: ToolSpec, arguments: JSONValue) -> RecordedToolAnswer {
        if liveReads, tool.access == .read {
            live += 1
            return .live
        }
        let base = JournalSession.key(tool: tool.id.rawValue, arguments: arguments)
        let occurrence = occurrences[base, default: 0]
        occurrences[base] = occurrence + 1
        if var results = journal["\(base)#\(occurrence)"], !results.isEmpty {
            let result = results.removeFirst()
            journal["\(base)#\(occurrence)"] = results
            served += 1
            return .recorded(
                content: result["content"]?.stringValue ?? "", isError: result["is_error"] == true)
        }
        let key = Self.eventKey(tool.id.rawValue, arguments)
        if var results = events[key], !results.isEmpty {
            let result = results.removeFirst()
            events[key] = results
            served += 1
            return .recorded(content: result.content, isError: result.isError)
        }
        if liveReads {
            live += 1
            return tool.access == .read ? .live : .liveAfterApproval
        }
        refused += 1
        return .refused(
            "the recorded run has no result for this call of \(tool.id) with these arguments, and a replay does not call tools (replay with --live-tools to call read tools live)"
        )
    }
}
