import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import Testing
import Tools

@Suite("Knowledge: chunking")
struct DocumentChunkerTests {
    @Test("chunks follow headings, keep their heading path and line range, and stay within the size bound")
    func headingsAndLines() {
        let text = """
            # Guide

            Intro line.

            ## Returns
            Items can be returned within 30 days.
            Receipts are required.

            ### Damaged items
            Refund at once.

            ## Shipping
            We ship in 2 days.
            """
        let chunks = DocumentChunker().chunkText(text)
        #expect(
            chunks.map(\.headingPath) == [
                ["Guide"], ["Guide", "Returns"], ["Guide", "Returns", "Damaged items"], ["Guide", "Shipping"],
            ])
        #expect(chunks.map(\.lines) == [3...3, 6...7, 10...10, 13...13])
        #expect(chunks[1].text == "Items can be returned within 30 days.\nReceipts are required.")
    }

    @Test("long sections split at paragraph boundaries with a short paragraph carried over; nothing exceeds the bound")
    func boundsAndOverlap() {
        let paragraphs = (1...12).map { "Paragraph \($0) " + String(repeating: "word ", count: 20 + $0 % 3) }
        let text = "## Section\n\n" + paragraphs.joined(separator: "\n\n")
        let chunker = DocumentChunker(maxCharacters: 300, overlapCharacters: 150)
        let chunks = chunker.chunkText(text)
        #expect(chunks.count > 3)
        #expect(chunks.allSatisfy { $0.text.count <= 300 })
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            let carried = previous.text.components(separatedBy: "\n\n").last!
            #expect(next.text.hasPrefix(carried), "each chunk starts with the previous chunk's last paragraph")
            #expect(next.lines.lowerBound <= previous.lines.upperBound)
        }
        let single = chunker.chunkText(String(repeating: "longword ", count: 200))
        #expect(single.allSatisfy { $0.text.count <= 300 })
        #expect(single.map(\.text).joined(separator: " ").split(separator: " ").count == 200)
    }

    @Test("CSV chunks repeat the header row; code fences are not headings")
    func csvAndFences() {
        let csv = "name,value\n" + (1...50).map { "row\($0),\($0)" }.joined(separator: "\n")
        let chunks = DocumentChunker(maxCharacters: 120).chunkCSV(csv)
        #expect(chunks.count > 1)
        #expect(chunks.allSatisfy { $0.text.hasPrefix("name,value\n") })
        #expect(chunks.first?.lines.lowerBound == 2)
        #expect(chunks.last?.lines.upperBound == 51)
        let fenced = DocumentChunker().chunkText("## Real\n```\n# not a heading\n```\n")
        #expect(fenced.map(\.headingPath) == [["Real"]])
        #expect(DocumentChunker.slug("DMARC (Domain-based) & more!") == "dmarc-domain-based-more")
    }
}

@Suite("Knowledge: index and retrieval")
struct KnowledgeBaseTests {
    static let repositoryKnowledge = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("knowledge")

    @Test(
        "ranking: each labelled query finds its document in the top 3",
        arguments: [
            ("DMARC policy alignment", "email-deliverability/authentication-and-sender-requirements.md"),
            ("refund window for damaged items", "support-policies/refunds-returns-and-goodwill.md"),
            ("approved utm_source values", "campaign-playbook/utm-conventions.txt"),
            ("Largest Contentful Paint threshold", "seo-playbook/technical-seo-thresholds.md"),
            ("kickoff call agenda", "onboarding-checklist/kickoff-meeting-agenda.md"),
            ("product title length", "product-catalog-guidelines/titles-and-descriptions.md"),
            ("alt text for product images", "product-catalog-guidelines/images-and-media-standards.md"),
            ("superlatives and comparison claims", "compliance-guidelines/marketing-claims-and-endorsements.md"),
            (
                "re-engagement sequence before sunsetting inactive subscribers",
                "email-deliverability/list-hygiene-and-sunsetting.md"
            ),
            ("escalation matrix priority levels", "support-policies/escalation-matrix.md"),
        ])
    func ranking(query: String, expected: String) async throws {
        let base = await KnowledgeBase.load(root: Self.repositoryKnowledge, pdfToText: nil)
        let collections = await base.collections().map(\.name)
        let top = await base.search(query, collections: collections, tenant: nil, limit: 3)
        #expect(top.map { "\($0.collection)/\($0.file)" }.contains(expected), "top 3: \(top.map(\.citation))")
    }

    @Test("citations name collection, file and heading; snippets carry line ranges")
    func citations() async throws {
        let base = await KnowledgeBase.load(root: Self.repositoryKnowledge, pdfToText: nil)
        let hit = try #require(
            await base.search("DMARC policy alignment", collections: ["email-deliverability"], tenant: nil, limit: 1)
                .first)
        #expect(
            hit.citation
                == "email-deliverability/authentication-and-sender-requirements.md#dmarc-domain-based-message-authentication-reporting-and-conformance"
        )
        #expect(hit.headingPath.last == "DMARC (Domain-based Message Authentication, Reporting and Conformance)")
        let lines = try String(
            contentsOf: Self.repositoryKnowledge.appendingPathComponent(
                "email-deliverability/authentication-and-sender-requirements.md"), encoding: .utf8
        )
        .components(separatedBy: "\n")
        #expect(hit.text.hasPrefix(lines[hit.lines.lowerBound - 1].trimmingCharacters(in: .whitespaces)))
    }

    private func tree() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.write("brand/voice.md", "# Voice\n\nWe write plainly and warmly.\n")
        try directory.write("tenants/acme/brand/acme-voice.md", "# Acme voice\n\nAcme says howdy to every customer.\n")
        try directory.write(
            "tenants/globex/brand/globex-voice.md", "# Globex voice\n\nGlobex greets with salutations.\n")
        try directory.write("tenants/globex/secret/plans.md", "# Plans\n\nGlobex launches rockets.\n")
        return directory
    }

    @Test("a tenant's documents extend the shared collection for that tenant only")
    func tenantOverlay() async throws {
        let directory = try tree()
        defer { directory.remove() }
        let base = await KnowledgeBase.load(root: directory.url, pdfToText: nil)
        #expect(
            await base.search("howdy", collections: ["brand"], tenant: "acme", limit: 5).map(\.citation) == [
                "brand/acme-voice.md#acme-voice"
            ])
        #expect(await base.search("howdy", collections: ["brand"], tenant: "globex", limit: 5).isEmpty)
        #expect(await base.search("howdy", collections: ["brand"], tenant: nil, limit: 5).isEmpty)
        #expect(
            await base.search("warmly", collections: ["brand"], tenant: "acme", limit: 5).map(\.citation) == [
                "brand/voice.md#voice"
            ])
        #expect(await base.search("rockets", collections: ["secret", "brand"], tenant: "acme", limit: 5).isEmpty)
        #expect(await base.collections(tenant: "acme").map(\.name) == ["brand"])
        #expect(await base.collections(tenant: "globex").map(\.name) == ["brand", "secret"])
        #expect(await base.collections(tenant: "acme").first?.tenantFiles == 1)
    }

    @Test("the index follows file changes incrementally: added, changed and deleted files")
    func incremental() async throws {
        let directory = try tree()
        defer { directory.remove() }
        let base = await KnowledgeBase.load(root: directory.url, pdfToText: nil)
        #expect(await base.search("pricing", collections: ["brand"], tenant: nil, limit: 5).isEmpty)
        let file = try directory.write("brand/pricing.md", "# Pricing\n\nOur pricing page lists three plans.\n")
        var report = await base.refresh()
        #expect(report == KnowledgeBase.RefreshReport(added: 1, updated: 0, removed: 0))
        #expect(
            await base.search("pricing plans", collections: ["brand"], tenant: nil, limit: 1).first?.citation
                == "brand/pricing.md#pricing")
        try Data("# Pricing\n\nFour tiers now, with a free trial.\n".utf8).write(to: file)
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: file.path)
        report = await base.refresh()
        #expect(report == KnowledgeBase.RefreshReport(added: 0, updated: 1, removed: 0))
        #expect(await base.search("plans", collections: ["brand"], tenant: nil, limit: 5).isEmpty)
        #expect(await base.search("trial", collections: ["brand"], tenant: nil, limit: 5).count == 1)
        try FileManager.default.removeItem(at: file)
        report = await base.refresh()
        #expect(report == KnowledgeBase.RefreshReport(added: 0, updated: 0, removed: 1))
        #expect(await base.search("trial", collections: ["brand"], tenant: nil, limit: 5).isEmpty)
        #expect(await base.refresh() == KnowledgeBase.RefreshReport(), "nothing changed, nothing re-read")
    }

    @Test("PDFs are skipped with a clear message when pdftotext is missing; unsupported files are reported")
    func skipped() async throws {
        let directory = try tree()
        defer { directory.remove() }
        try directory.write("brand/deck.pdf", "%PDF-1.4")
        try directory.write("brand/notes.docx", "binary")
        let base = await KnowledgeBase.load(root: directory.url, pdfToText: nil)
        #expect(await base.skipped.map(\.path) == ["brand/deck.pdf", "brand/notes.docx"])
        #expect(
            await base.skipped.first?.reason
                == "PDF text extraction needs pdftotext (Debian package poppler-utils); the file was not indexed")
    }

    @Test("knowledge.search searches only the agent's collections, as its tenant")
    func tool() async throws {
        let directory = try tree()
        defer { directory.remove() }
        let tool = KnowledgeSearchTool(retriever: await KnowledgeBase.load(root: directory.url, pdfToText: nil))
        let acme = ToolContext(
            runID: "r", agent: "a", principal: .local(tenant: "acme"), knowledgeCollections: ["brand"])
        let result = try await tool.call(["query": "howdy"], context: acme)
        #expect(result.content.hasPrefix("1. [brand/acme-voice.md#acme-voice] (lines 3-3)\nAcme says howdy"))
        let globex = ToolContext(
            runID: "r", agent: "a", principal: .local(tenant: "globex"), knowledgeCollections: ["brand"])
        #expect(
            try await tool.call(["query": "howdy"], context: globex).content == "No results for \"howdy\" in brand.")
        await #expect(throws: ToolError("\"secret\" is not one of your collections: brand")) {
            _ = try await tool.call(["query": "rockets", "collection": "secret"], context: globex)
        }
    }

    @Test("the task prompt carries the most relevant cited snippets within the token budget")
    func promptInjection() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for index in 1...6 {
            try directory.write(
                "playbook/doc\(index).md",
                "# Topic \(index)\n\n" + String(repeating: "Email deliverability advice number \(index). ", count: 20)
                    + "\n")
        }
        try directory.write("playbook/unrelated.md", "# Cooking\n\nBake bread at 220 degrees.\n")
        let base = await KnowledgeBase.load(root: directory.url, pdfToText: nil)
        let agent = AgentDefinition(
            id: "writer", name: "W", category: "c", role: "Writer", goal: "g", backstory: "b", knowledge: ["playbook"])
        let plain = AgentDefinition(id: "plain", name: "P", category: "c", role: "Plain", goal: "g", backstory: "b")
        let crew = CrewDefinition(
            id: "k", name: "K", process: .sequential, agents: ["writer", "plain"],
            tasks: [
                CrewTask(
                    id: "t", description: "Improve email deliverability", expectedOutput: "Advice", agent: "writer"),
                CrewTask(
                    id: "u", description: "Improve email deliverability", expectedOutput: "Advice", agent: "plain"),
            ])
        let model = ScriptedChatModel { _ in ScriptedChatModel.text("ok") }
        let budget = 300
        let runner = CrewRunner(
            environment: EngineEnvironment(
                models: ScriptedModelResolver(model), streaming: false, knowledge: base, knowledgeTokenBudget: budget))
        let lookup: @Sendable (AgentID) -> AgentDefinition? = { [agent, plain] id in id == "writer" ? agent : plain }
        _ = try await runner.run(crew, inputs: [:], principal: .local(), agents: lookup, sink: RecordingEventSink())
        let prompt = model.requests[0].messages.compactMap {
            if case .user(let text) = $0 { return text } else { return nil }
        }.first!
        let section = try #require(
            prompt.components(
                separatedBy:
                    "Relevant knowledge from your collections (cite a source as [collection/file#section] when you use it):\n\n"
            ).last)
        #expect(section.contains("[playbook/doc"))
        #expect(!section.contains("Bake bread"))
        #expect(section.count <= budget * 4, "the section fits the budget (\(section.count) characters)")
        let cited = section.components(separatedBy: "[playbook/").count - 1
        #expect(cited >= 1 && cited < 6, "only what fits is included")
        let plainPrompt = model.requests[1].messages.compactMap {
            if case .user(let text) = $0 { return text } else { return nil }
        }.first!
        #expect(!plainPrompt.contains("Relevant knowledge"))
    }
}
