import Foundation

/// What a set of definition files and folders looks like on disk, cheaply compared: every entry's path, type, size,
/// modification time and inode, and every symlink's target. Two fingerprints differ when a file was edited, added,
/// removed or replaced, and when a symlink was pointed elsewhere (a Kubernetes ConfigMap volume swaps its `..data`
/// link atomically on update; the files behind it keep their old times).
public struct DefinitionFingerprint: Hashable, Sendable {
    /// One line per entry, sorted.
    public let entries: [String]

    /// Folders are followed through symlinks this deep at most (a link cycle ends there).
    static let maxDepth = 6

    /// The fingerprint of `roots` (files or folders; missing ones are recorded as missing).
    public init(of roots: [URL]) {
        var lines: [String] = []
        for root in roots { Self.visit(root.path, depth: 0, into: &lines) }
        entries = lines.sorted()
    }

    private static func visit(_ path: String, depth: Int, into lines: inout [String]) {
        let fileManager = FileManager.default
        guard let attributes = try? fileManager.attributesOfItem(atPath: path) else {
            lines.append("\(path) missing")
            return
        }
        let type = attributes[.type] as? FileAttributeType
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
        var line = "\(path) \(type?.rawValue ?? "?") \(size) \(modified) \(inode)"
        var isDirectory = type == .typeDirectory
        if type == .typeSymbolicLink {
            let target = (try? fileManager.destinationOfSymbolicLink(atPath: path)) ?? "?"
            line += " -> \(target)"
            // The target's own state too (a file behind a link can change while the link stays).
            var followed: ObjCBool = false
            if fileManager.fileExists(atPath: path, isDirectory: &followed) {
                isDirectory = followed.boolValue
                if !isDirectory,
                    let resolved = try? fileManager.attributesOfItem(
                        atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path)
                {
                    let size = (resolved[.size] as? NSNumber)?.int64Value ?? -1
                    let modified = (resolved[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                    let inode = (resolved[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
                    line += " (\(size) \(modified) \(inode))"
                }
            } else {
                line += " (dangling)"
            }
        }
        lines.append(line)
        // A hidden folder (a ConfigMap's `..<timestamp>`, `..data`) is not descended into: its link's target, above,
        // changes when it is swapped, and the visible links lead to its files.
        let name = (path as NSString).lastPathComponent
        guard isDirectory, depth < maxDepth, depth == 0 || !name.hasPrefix(".") else { return }
        for child in ((try? fileManager.contentsOfDirectory(atPath: path)) ?? []).sorted() {
            visit(path + "/" + child, depth: depth + 1, into: &lines)
        }
    }
}
