/// What a tool can do to the outside world; roles are granted access levels.
public enum ToolAccess: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Reads data only.
    case read
    /// Creates or changes data.
    case write
    /// Administers the connected account.
    case admin

    /// `read` < `write` < `admin`.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        let order: [ToolAccess] = [.read, .write, .admin]
        return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
    }
}
