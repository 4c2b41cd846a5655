/// A line diff of two texts in the unified format (`--- a`, `+++ b`, `@@ -l,n +l,n @@` hunks with three lines of
/// context), as audit entries of definition changes carry it.
public enum UnifiedDiff {
    /// The diff from `old` to `new` (nil: the file did not exist, or no longer does), labelled with `path`; empty when
    /// the texts are equal.
    public static func make(from old: String?, to new: String?, path: String, context: Int = 3) -> String {
        guard old != new else { return "" }
        let before = lines(old)
        let after = lines(new)
        let operations = diff(before, after)
        var output = ["--- \(old == nil ? "/dev/null" : "a/" + path)", "+++ \(new == nil ? "/dev/null" : "b/" + path)"]
        // Group the operations into hunks: changes and up to `context` equal lines around them.
        var index = 0
        while index < operations.count {
            guard let firstChange = operations[index...].firstIndex(where: { $0.kind != " " }) else { break }
            let start = max(index, firstChange - context)
            var end = firstChange
            var lastChange = firstChange
            while end < operations.count {
                if operations[end].kind != " " {
                    lastChange = end
                } else if end - lastChange > 2 * context {
                    break
                }
                end += 1
            }
            end = min(operations.count, lastChange + context + 1)
            let hunk = operations[start..<end]
            let oldStart = hunk.first?.oldLine ?? 0
            let newStart = hunk.first?.newLine ?? 0
            let oldCount = hunk.count { $0.kind != "+" }
            let newCount = hunk.count { $0.kind != "-" }
            output.append(
                "@@ -\(oldCount == 0 ? oldStart - 1 : oldStart),\(oldCount) +\(newCount == 0 ? newStart - 1 : newStart),\(newCount) @@"
            )
            output += hunk.map { "\($0.kind)\($0.text)" }
            index = end
        }
        return output.joined(separator: "\n") + "\n"
    }

    private struct Operation {
        var kind: Character
        var text: Substring
        /// 1-based line numbers in the old and new text where this line is, or would be.
        var oldLine: Int
        var newLine: Int
    }

    private static func lines(_ text: String?) -> [Substring] {
        guard let text, !text.isEmpty else { return [] }
        var result = text.split(separator: "\n", omittingEmptySubsequences: false)
        if text.hasSuffix("\n") { result.removeLast() }
        return result
    }

    /// The shortest edit script by longest common subsequence (common prefix and suffix trimmed first; texts too
    /// large for the table are shown as removed and added whole).
    private static func diff(_ a: [Substring], _ b: [Substring]) -> [Operation] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        let middleA = Array(a[prefix..<(a.count - suffix)])
        let middleB = Array(b[prefix..<(b.count - suffix)])
        var kinds: [(Character, Substring)] = a[..<prefix].map { (Character(" "), $0) }
        if middleA.count * middleB.count > 4_000_000 {
            kinds += middleA.map { (Character("-"), $0) }
            kinds += middleB.map { (Character("+"), $0) }
        } else {
            // table[i][j]: the LCS length of middleA[i...] and middleB[j...].
            let width = middleB.count + 1
            var table = [Int](repeating: 0, count: (middleA.count + 1) * width)
            for i in stride(from: middleA.count - 1, through: 0, by: -1) {
                for j in stride(from: middleB.count - 1, through: 0, by: -1) {
                    table[i * width + j] =
                        middleA[i] == middleB[j]
                        ? table[(i + 1) * width + j + 1] + 1 : max(table[(i + 1) * width + j], table[i * width + j + 1])
                }
            }
            var i = 0
            var j = 0
            while i < middleA.count || j < middleB.count {
                if i < middleA.count, j < middleB.count, middleA[i] == middleB[j] {
                    kinds.append((" ", middleA[i]))
                    i += 1
                    j += 1
                } else if i < middleA.count,
                    j == middleB.count || table[(i + 1) * width + j] >= table[i * width + j + 1]
                {
                    // Removals before additions, as `diff -u` shows a replaced line.
                    kinds.append(("-", middleA[i]))
                    i += 1
                } else {
                    kinds.append(("+", middleB[j]))
                    j += 1
                }
            }
        }
        kinds += a[(a.count - suffix)...].map { (Character(" "), $0) }
        var operations: [Operation] = []
        var oldLine = 1
        var newLine = 1
        for (kind, text) in kinds {
            operations.append(Operation(kind: kind, text: text, oldLine: oldLine, newLine: newLine))
            if kind != "+" { oldLine += 1 }
            if kind != "-" { newLine += 1 }
        }
        return operations
    }
}
