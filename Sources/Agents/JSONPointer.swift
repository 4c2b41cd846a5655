/// An RFC 6901 JSON Pointer, built component by component.
public struct JSONPointer: Hashable, Sendable, CustomStringConvertible {
    /// The unescaped reference tokens.
    public var components: [String]

    /// The pointer to the whole document.
    public static let root = JSONPointer(components: [])

    /// Creates a pointer from unescaped tokens.
    public init(components: [String]) { self.components = components }

    /// This pointer extended by a member key.
    public func appending(_ key: String) -> JSONPointer { JSONPointer(components: components + [key]) }

    /// This pointer extended by an array index.
    public func appending(_ index: Int) -> JSONPointer { JSONPointer(components: components + [String(index)]) }

    /// `/a/b~1c/0` (empty string for the root).
    public var description: String {
        components.map { "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }
            .joined()
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: Substring(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
