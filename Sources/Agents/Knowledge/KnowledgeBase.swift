import AgentRuntime
import Foundation

/// Knowledge collections from `knowledge/<collection>/` (shared) and
/// `knowledge/tenants/<tenant>/<collection>/` (one tenant's additions), chunked
/// and indexed with BM25. ``refresh()`` re-reads only files whose size or
/// modification time changed. A tenant's searches see the shared collection
/// plus its own documents, never another tenant's.
public actor KnowledgeBase: KnowledgeRetriever {
    /// A file that was not indexed, and why.
    public struct SkippedFile: Hashable, Sendable {
        /// Path relative to the knowledge root.
        public var path: String
        /// Why.
        public var reason: String
    }

    /// A collection as one tenant sees it.
    public struct CollectionInfo: Hashable, Sendable {
        /// The collection name.
        public var name: String
        /// Indexed shared files.
        public var sharedFiles: Int
        /// Indexed files of the tenant's own.
        public var tenantFiles: Int
        /// Chunks searchable by the tenant.
        public var chunks: Int
    }

    /// What a refresh changed.
    public struct RefreshReport: Hashable, Sendable {
        /// Files indexed for the first time.
        public var added = 0
        /// Files re-indexed because they changed.
        public var updated = 0
        /// Files removed from the index.
        public var removed = 0

        /// Creates a report.
        public init(added: Int = 0, updated: Int = 0, removed: Int = 0) {
            self.added = added
            self.updated = updated
            self.removed = removed
        }
    }

    /// Where a file's chunks live: the shared collection or one tenant's overlay.
    private struct ShardKey: Hashable {
        var collection: String
        var tenant: String?
    }

    private struct IndexedFile {
        var modified: Date
        var size: Int
        var chunks: [DocumentChunk]
        var lengths: [Int]
    }

    private struct Posting {
        var chunk: Int
        var frequency: Int
    }

    private struct Shard {
        var files: [String: IndexedFile] = [:]
        var postings: [String: [String: [Posting]]] = [:]
        var documentFrequency: [String: Int] = [:]
        var chunkCount = 0
        var totalLength = 0

        mutating func remove(_ file: String) {
            guard let old = files.removeValue(forKey: file) else { return }
            var seen = Set<String>()
            for chunk in old.chunks {
                for term in Set(KnowledgeBase.indexTerms(chunk)) where seen.insert(term).inserted {
                    guard let entries = postings[term]?.removeValue(forKey: file) else { continue }
                    documentFrequency[term, default: 0] -= entries.count
                    if documentFrequency[term] == 0 { documentFrequency[term] = nil }
                    if postings[term]?.isEmpty == true { postings[term] = nil }
                }
            }
            chunkCount -= old.chunks.count
            totalLength -= old.lengths.reduce(0, +)
        }

        mutating func add(_ file: String, _ indexed: IndexedFile, terms: [[String]]) {
            var entry = indexed
            entry.lengths = terms.map(\.count)
            files[file] = entry
            for (index, chunkTerms) in terms.enumerated() {
                var counts: [String: Int] = [:]
                for term in chunkTerms { counts[term, default: 0] += 1 }
                for (term, frequency) in counts {
                    postings[term, default: [:]][file, default: []].append(Posting(chunk: index, frequency: frequency))
                    documentFrequency[term, default: 0] += 1
                }
            }
            chunkCount += terms.count
            totalLength += entry.lengths.reduce(0, +)
        }
    }

    /// The knowledge root.
    public nonisolated let root: URL
    private let chunker: DocumentChunker
    private let pdfToText: URL?
    private var shards: [ShardKey: Shard] = [:]
    /// Files that were not indexed, with the reason.
    public private(set) var skipped: [SkippedFile] = []

    /// File types that are indexed.
    public static let supportedExtensions: Set<String> = ["md", "markdown", "txt", "json", "csv", "pdf"]

    /// Creates a knowledge base over `root` (call ``refresh()`` to load it).
    public init(
        root: URL, chunker: DocumentChunker = DocumentChunker(), pdfToText: URL? = KnowledgeBase.locatePdfToText()
    ) {
        self.root = root.standardizedFileURL
        self.chunker = chunker
        self.pdfToText = pdfToText
    }

    /// Creates and loads a knowledge base.
    public static func load(
        root: URL, chunker: DocumentChunker = DocumentChunker(), pdfToText: URL? = KnowledgeBase.locatePdfToText()
    ) async -> KnowledgeBase {
        let base = KnowledgeBase(root: root, chunker: chunker, pdfToText: pdfToText)
        await base.refresh()
        return base
    }

    /// `pdftotext` on the PATH, if installed.
    public nonisolated static func locatePdfToText() -> URL? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { URL(fileURLWithPath: String($0)).appendingPathComponent("pdftotext") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    static func indexTerms(_ chunk: DocumentChunk) -> [String] {
        TextAnalyzer.terms(chunk.headingPath.joined(separator: " ") + "\n" + chunk.text)
    }

    // MARK: Loading

    /// Re-scans the root: new and changed files are (re)indexed, deleted ones dropped.
    @discardableResult
    public func refresh() -> RefreshReport {
        var report = RefreshReport()
        var present: [ShardKey: [String: (url: URL, modified: Date, size: Int)]] = [:]
        var newSkipped: [SkippedFile] = []
        for (key, folder) in collectionFolders() {
            for (relative, url, modified, size) in files(under: folder) {
                let ext = url.pathExtension.lowercased()
                guard Self.supportedExtensions.contains(ext) else {
                    newSkipped.append(
                        SkippedFile(
                            path: display(url),
                            reason:
                                "unsupported file type .\(ext) (indexed: \(Self.supportedExtensions.sorted().joined(separator: ", ")))"
                        ))
                    continue
                }
                if ext == "pdf", pdfToText == nil {
                    newSkipped.append(
                        SkippedFile(
                            path: display(url),
                            reason:
                                "PDF text extraction needs pdftotext (Debian package poppler-utils); the file was not indexed"
                        ))
                    continue
                }
                present[key, default: [:]][relative] = (url, modified, size)
            }
        }
        // Drop files that are gone.
        for key in Array(shards.keys) {
            for file in Array(shards[key]!.files.keys) where present[key]?[file] == nil {
                shards[key]!.remove(file)
                report.removed += 1
            }
            if shards[key]!.files.isEmpty { shards[key] = nil }
        }
        // Index new and changed files.
        for (key, files) in present {
            for (relative, info) in files {
                let existing = shards[key]?.files[relative]
                if let existing, existing.modified == info.modified, existing.size == info.size { continue }
                guard let text = read(info.url, into: &newSkipped) else {
                    if existing != nil {
                        shards[key]!.remove(relative)
                        report.removed += 1
                    }
                    continue
                }
                let chunks = chunk(text, extension: info.url.pathExtension.lowercased())
                var shard = shards[key] ?? Shard()
                shard.remove(relative)
                shard.add(
                    relative, IndexedFile(modified: info.modified, size: info.size, chunks: chunks, lengths: []),
                    terms: chunks.map(Self.indexTerms))
                shards[key] = shard
                if existing == nil { report.added += 1 } else { report.updated += 1 }
            }
        }
        skipped = newSkipped.sorted { $0.path < $1.path }
        return report
    }

    /// Refreshes every `interval` until the returned task is cancelled.
    public nonisolated func watch(every interval: Duration) -> Task<Void, Never> {
        Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self else { return }
                await self.refresh()
            }
        }
    }

    private func collectionFolders() -> [(ShardKey, URL)] {
        var folders: [(ShardKey, URL)] = []
        for entry in directories(in: root) {
            let name = entry.lastPathComponent
            if name == "tenants" {
                for tenant in directories(in: entry) {
                    for collection in directories(in: tenant) {
                        folders.append(
                            (
                                ShardKey(collection: collection.lastPathComponent, tenant: tenant.lastPathComponent),
                                collection
                            ))
                    }
                }
            } else {
                folders.append((ShardKey(collection: name, tenant: nil), entry))
            }
        }
        return folders
    }

    private func directories(in folder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isDirectoryKey])) ?? [])
            .filter {
                !$0.lastPathComponent.hasPrefix(".")
                    && ((try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) ?? false)
            }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    private func files(under folder: URL) -> [(String, URL, Date, Int)] {
        guard
            let enumerator = FileManager.default.enumerator(
                at: folder, includingPropertiesForKeys: [.isRegularFileKey, .contentModificationDateKey, .fileSizeKey],
                options: [.skipsHiddenFiles])
        else { return [] }
        let base = folder.standardizedFileURL.path + "/"
        var result: [(String, URL, Date, Int)] = []
        while let url = enumerator.nextObject() as? URL {
            guard
                let values = try? url.resourceValues(forKeys: [
                    .isRegularFileKey, .contentModificationDateKey, .fileSizeKey,
                ]), values.isRegularFile == true
            else { continue }
            let path = url.standardizedFileURL.path
            result.append(
                (
                    path.hasPrefix(base) ? String(path.dropFirst(base.count)) : url.lastPathComponent, url,
                    values.contentModificationDate ?? .distantPast, values.fileSize ?? 0
                ))
        }
        return result
    }

    private func display(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        let base = root.path + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    private func read(_ url: URL, into skipped: inout [SkippedFile]) -> String? {
        if url.pathExtension.lowercased() == "pdf", let pdfToText {
            let process = Process()
            process.executableURL = pdfToText
            process.arguments = ["-layout", "-enc", "UTF-8", url.path, "-"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            do {
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else {
                    skipped.append(
                        SkippedFile(path: display(url), reason: "pdftotext failed (exit \(process.terminationStatus))"))
                    return nil
                }
                return String(decoding: data, as: UTF8.self)
            } catch {
                skipped.append(SkippedFile(path: display(url), reason: "pdftotext could not run: \(error)"))
                return nil
            }
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            skipped.append(SkippedFile(path: display(url), reason: "cannot read the file"))
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            skipped.append(SkippedFile(path: display(url), reason: "not UTF-8 text"))
            return nil
        }
        return text
    }

    private func chunk(_ text: String, extension ext: String) -> [DocumentChunk] {
        switch ext {
        case "csv": return chunker.chunkCSV(text)
        case "json": return chunker.chunkJSON(text)
        default: return chunker.chunkText(text)
        }
    }

    // MARK: Queries

    /// The collections `tenant` can search (shared ones, plus its own overlays).
    public func collections(tenant: TenantID? = nil) -> [CollectionInfo] {
        var names = Set(shards.keys.filter { $0.tenant == nil }.map(\.collection))
        if let tenant { names.formUnion(shards.keys.filter { $0.tenant == tenant.rawValue }.map(\.collection)) }
        return names.sorted().map { name in
            let shared = shards[ShardKey(collection: name, tenant: nil)]
            let own = tenant.flatMap { shards[ShardKey(collection: name, tenant: $0.rawValue)] }
            return CollectionInfo(
                name: name, sharedFiles: shared?.files.count ?? 0, tenantFiles: own?.files.count ?? 0,
                chunks: (shared?.chunkCount ?? 0) + (own?.chunkCount ?? 0))
        }
    }

    /// BM25 search over `collections` as `tenant` sees them (statistics merged across the shards searched).
    public func search(_ query: String, collections: [String], tenant: TenantID?, limit: Int) -> [KnowledgeSnippet] {
        let terms = Array(Set(TextAnalyzer.terms(query)))
        guard !terms.isEmpty, limit > 0 else { return [] }
        var keys: [ShardKey] = []
        for collection in Set(collections).sorted() {
            keys.append(ShardKey(collection: collection, tenant: nil))
            if let tenant { keys.append(ShardKey(collection: collection, tenant: tenant.rawValue)) }
        }
        let searched = keys.compactMap { key in shards[key].map { (key, $0) } }
        let total = searched.reduce(0) { $0 + $1.1.chunkCount }
        guard total > 0 else { return [] }
        let averageLength = Double(searched.reduce(0) { $0 + $1.1.totalLength }) / Double(total)
        let k1 = 1.2
        let b = 0.75
        struct Hit: Hashable {
            var shard: Int
            var file: String
            var chunk: Int
        }
        var scores: [Hit: Double] = [:]
        for term in terms {
            let df = searched.reduce(0) { $0 + ($1.1.documentFrequency[term] ?? 0) }
            guard df > 0 else { continue }
            let idf = log(1 + (Double(total) - Double(df) + 0.5) / (Double(df) + 0.5))
            for (position, (_, shard)) in searched.enumerated() {
                guard let byFile = shard.postings[term] else { continue }
                for (file, postings) in byFile {
                    let lengths = shard.files[file]!.lengths
                    for posting in postings {
                        let frequency = Double(posting.frequency)
                        let length = Double(lengths[posting.chunk])
                        let score = idf * frequency * (k1 + 1) / (frequency + k1 * (1 - b + b * length / averageLength))
                        scores[Hit(shard: position, file: file, chunk: posting.chunk), default: 0] += score
                    }
                }
            }
        }
        let ranked = scores.sorted {
            $0.value != $1.value ? $0.value > $1.value : ($0.key.file, $0.key.chunk) < ($1.key.file, $1.key.chunk)
        }.prefix(limit)
        return ranked.map { hit, score in
            let key = searched[hit.shard].0
            let chunk = searched[hit.shard].1.files[hit.file]!.chunks[hit.chunk]
            var citation = "\(key.collection)/\(hit.file)"
            if let heading = chunk.headingPath.last { citation += "#" + DocumentChunker.slug(heading) }
            return KnowledgeSnippet(
                citation: citation, collection: key.collection, file: hit.file, headingPath: chunk.headingPath,
                lines: chunk.lines,
                text: chunk.text, score: score)
        }
    }
}
