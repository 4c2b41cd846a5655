/// A ranked, cited piece of a knowledge document.
public struct KnowledgeSnippet: Hashable, Sendable {
    /// `collection/file.md#heading`.
    public var citation: String
    /// The collection.
    public var collection: String
    /// The file, relative to its collection folder.
    public var file: String
    /// The headings above the text, outermost first.
    public var headingPath: [String]
    /// First and last line of the text in the file (1-based).
    public var lines: ClosedRange<Int>
    /// The text.
    public var text: String
    /// Relevance (higher is better; comparable within one query).
    public var score: Double

    /// Creates a snippet.
    public init(
        citation: String, collection: String, file: String, headingPath: [String], lines: ClosedRange<Int>,
        text: String, score: Double
    ) {
        self.citation = citation
        self.collection = collection
        self.file = file
        self.headingPath = headingPath
        self.lines = lines
        self.text = text
        self.score = score
    }
}

/// The port to knowledge retrieval. Results for a tenant come from the shared
/// collections plus that tenant's own documents, never another tenant's.
public protocol KnowledgeRetriever: Sendable {
    /// The best snippets for `query` from `collections`, as seen by `tenant`.
    func search(_ query: String, collections: [String], tenant: TenantID?, limit: Int) async -> [KnowledgeSnippet]
}

extension PromptBuilder {
    /// Snippets that fit `budget` tokens (about 4 characters each), best first, each shown with its citation.
    public static func knowledgeSection(
        _ snippets: [KnowledgeSnippet], tokenBudget budget: Int
    ) -> (text: String, used: [KnowledgeSnippet]) {
        var remaining = budget * 4
        var used: [KnowledgeSnippet] = []
        var text = ""
        for snippet in snippets {
            let entry = "[\(snippet.citation)]\n\(snippet.text)\n"
            guard entry.count <= remaining else { continue }
            remaining -= entry.count
            text += (text.isEmpty ? "" : "\n") + entry
            used.append(snippet)
        }
        return (text, used)
    }
}
