/// One piece of a streamed answer. A stream ends with exactly one `.completed`,
/// carrying the same response a non-streamed call would have returned.
public enum ChatDelta: Hashable, Sendable {
    /// More text.
    case text(String)
    /// A fragment of tool call number `index`: its id and name when first seen, then argument text.
    case toolCall(index: Int, id: String?, name: String?, arguments: String)
    /// The assembled response.
    case completed(ChatResponse)
}
