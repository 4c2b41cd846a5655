import AgentRuntime
import Foundation

/// One bounded piece of a document, with where it came from.
public struct DocumentChunk: Hashable, Sendable {
    /// The text shown to agents.
    public var text: String
    /// The headings above it, outermost first.
    public var headingPath: [String]
    /// Its first and last line in the file (1-based).
    public var lines: ClosedRange<Int>
}

/// Splits documents along headings and paragraphs into pieces of at most
/// `maxCharacters`, carrying the previous paragraph over (when short) so a
/// thought that spans a boundary is found from either side.
public struct DocumentChunker: Sendable {
    /// The largest chunk, in characters.
    public var maxCharacters: Int
    /// The longest paragraph repeated at the start of the next chunk.
    public var overlapCharacters: Int

    /// Creates a chunker.
    public init(maxCharacters: Int = 1200, overlapCharacters: Int = 300) {
        self.maxCharacters = maxCharacters
        self.overlapCharacters = overlapCharacters
    }

    private struct Paragraph {
        var text: String
        var first: Int
        var last: Int
    }

    /// Chunks Markdown or plain text (`#` headings are honoured in both).
    public func chunkText(_ text: String) -> [DocumentChunk] {
        var chunks: [DocumentChunk] = []
        var headings: [(level: Int, title: String)] = []
        var paragraphs: [Paragraph] = []
        var current: [String] = []
        var currentFirst = 0
        var inFence = false

        func endParagraph() {
            guard !current.isEmpty else { return }
            let body = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !body.isEmpty {
                paragraphs.append(Paragraph(text: body, first: currentFirst, last: currentFirst + current.count - 1))
            }
            current = []
        }
        func endSection() {
            endParagraph()
            chunks += pack(paragraphs, headingPath: headings.map(\.title))
            paragraphs = []
        }

        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        for (index, line) in lines.enumerated() {
            let number = index + 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") { inFence.toggle() }
            if !inFence, let heading = Self.heading(trimmed) {
                endSection()
                headings.removeAll { $0.level >= heading.level }
                headings.append(heading)
                continue
            }
            if !inFence, trimmed.isEmpty {
                endParagraph()
                continue
            }
            if current.isEmpty { currentFirst = number }
            current.append(line)
        }
        endSection()
        return chunks
    }

    /// Chunks CSV: rows in groups, each chunk starting with the header row.
    public func chunkCSV(_ text: String) -> [DocumentChunk] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        guard let header = lines.first, !header.isEmpty else { return [] }
        var chunks: [DocumentChunk] = []
        var rows: [String] = []
        var first = 2
        for (index, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            if rows.isEmpty { first = index + 1 }
            if !rows.isEmpty, header.count + rows.reduce(0) { $0 + $1.count + 1 } + line.count > maxCharacters {
                chunks.append(
                    DocumentChunk(
                        text: ([header] + rows).joined(separator: "\n"), headingPath: [],
                        lines: first...(first + rows.count - 1)))
                rows = []
                first = index + 1
            }
            rows.append(line)
        }
        if !rows.isEmpty {
            chunks.append(
                DocumentChunk(
                    text: ([header] + rows).joined(separator: "\n"), headingPath: [],
                    lines: first...(first + rows.count - 1)))
        }
        return chunks
    }

    /// Chunks JSON: as written when it spans lines, pretty-printed when it is one line.
    public func chunkJSON(_ text: String) -> [DocumentChunk] {
        if !text.trimmingCharacters(in: .whitespacesAndNewlines).contains("\n"), let value = try? JSONParser.value(text)
        {
            return chunkText(value.serialized(pretty: true)).map {
                DocumentChunk(text: $0.text, headingPath: $0.headingPath, lines: 1...1)
            }
        }
        return chunkText(text)
    }

    private static func heading(_ line: String) -> (level: Int, title: String)? {
        guard line.hasPrefix("#") else { return nil }
        let level = line.prefix { $0 == "#" }.count
        guard level <= 6 else { return nil }
        let rest = line.dropFirst(level)
        guard rest.first == " " else { return nil }
        let title = rest.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "#"))
            .trimmingCharacters(in: .whitespaces)
        return title.isEmpty ? nil : (level, title)
    }

    /// Packs a section's paragraphs into bounded chunks with overlap.
    private func pack(_ paragraphs: [Paragraph], headingPath: [String]) -> [DocumentChunk] {
        var pieces: [Paragraph] = []
        for paragraph in paragraphs {
            pieces += paragraph.text.count <= maxCharacters ? [paragraph] : split(paragraph)
        }
        var chunks: [DocumentChunk] = []
        var group: [Paragraph] = []
        var size = 0
        for piece in pieces {
            if !group.isEmpty, size + piece.text.count + 2 > maxCharacters {
                chunks.append(make(group, headingPath))
                let carried = group.last!
                group =
                    carried.text.count <= overlapCharacters
                        && carried.text.count + piece.text.count + 2 <= maxCharacters ? [carried] : []
                size = group.first?.text.count ?? 0
            }
            group.append(piece)
            size += piece.text.count + 2
        }
        if !group.isEmpty { chunks.append(make(group, headingPath)) }
        return chunks
    }

    private func make(_ group: [Paragraph], _ headingPath: [String]) -> DocumentChunk {
        DocumentChunk(
            text: group.map(\.text).joined(separator: "\n\n"), headingPath: headingPath,
            lines: group.first!.first...group.last!.last)
    }

    /// A paragraph longer than a chunk, split at line and then word boundaries.
    private func split(_ paragraph: Paragraph) -> [Paragraph] {
        var pieces: [Paragraph] = []
        var text = ""
        var first = paragraph.first
        for (offset, line) in paragraph.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = paragraph.first + offset
            var remaining = Substring(line)
            while remaining.count > maxCharacters {
                let cut =
                    remaining.prefix(maxCharacters).lastIndex(of: " ")
                    ?? remaining.index(remaining.startIndex, offsetBy: maxCharacters)
                if !text.isEmpty {
                    pieces.append(Paragraph(text: text, first: first, last: number))
                    text = ""
                }
                pieces.append(Paragraph(text: String(remaining[..<cut]), first: number, last: number))
                remaining = remaining[cut...].drop { $0 == " " }
                first = number
            }
            if text.count + remaining.count + 1 > maxCharacters, !text.isEmpty {
                pieces.append(Paragraph(text: text, first: first, last: number - 1))
                text = ""
            }
            if text.isEmpty { first = number }
            text += (text.isEmpty ? "" : "\n") + remaining
        }
        if !text.isEmpty { pieces.append(Paragraph(text: text, first: first, last: paragraph.last)) }
        return pieces
    }

    /// `Email & SMS rules` → `email-sms-rules`.
    public static func slug(_ heading: String) -> String {
        var slug = ""
        for character in heading.lowercased() {
            if character.isLetter || character.isNumber {
                slug.append(character)
            } else if !slug.hasSuffix("-"), !slug.isEmpty {
                slug.append("-")
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return slug
    }
}
