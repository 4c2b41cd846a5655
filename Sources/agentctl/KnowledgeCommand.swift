import AgentRuntime
import Agents
import ArgumentParser
import Foundation

/// `agentctl knowledge list|search`.
struct KnowledgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knowledge", abstract: "Inspect and search knowledge collections.",
        subcommands: [List.self, Search.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List collections (as a tenant sees them), with files, chunks and skipped files.")
        @OptionGroup var catalog: CatalogOptions
        @Option(name: .long, help: "Include this tenant's own documents.") var tenant: String?
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let base = await KnowledgeBase.load(root: catalog.knowledgeDirectory)
            let collections = await base.collections(tenant: tenant.map { TenantID($0) })
            let skipped = await base.skipped
            if json {
                Console.print(
                    JSONValue.object([
                        "collections": .array(
                            collections.map {
                                [
                                    "name": .string($0.name), "shared_files": .int($0.sharedFiles),
                                    "tenant_files": .int($0.tenantFiles), "chunks": .int($0.chunks),
                                ]
                            }),
                        "skipped": .array(skipped.map { ["path": .string($0.path), "reason": .string($0.reason)] }),
                    ]).serialized(pretty: true))
                return
            }
            Console.print(
                Table.render(
                    header: ["COLLECTION", "FILES", "TENANT FILES", "CHUNKS"],
                    rows: collections.map {
                        [$0.name, String($0.sharedFiles), String($0.tenantFiles), String($0.chunks)]
                    }))
            for file in skipped { Console.error("skipped \(file.path): \(file.reason)") }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search collections; prints ranked, cited snippets.")
        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "What to look for.") var query: String
        @Option(name: .long, help: "Only this collection (repeatable); default: all.") var collection: [String] = []
        @Option(name: .long, help: "Include this tenant's own documents.") var tenant: String?
        @Option(name: .long, help: "How many snippets.") var limit: Int = 5
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let base = await KnowledgeBase.load(root: catalog.knowledgeDirectory)
            let tenantID = tenant.map { TenantID($0) }
            let available = await base.collections(tenant: tenantID).map(\.name)
            for name in collection where !available.contains(name) {
                Console.error(
                    "error: unknown collection \"\(name)\" (collections: \(available.joined(separator: ", ")))")
                throw ExitCode(ExitStatus.notFound)
            }
            let snippets = await base.search(
                query, collections: collection.isEmpty ? available : collection, tenant: tenantID, limit: limit)
            if json {
                Console.print(
                    JSONValue.array(
                        snippets.map { snippet in
                            [
                                "citation": .string(snippet.citation), "collection": .string(snippet.collection),
                                "file": .string(snippet.file),
                                "heading_path": .array(snippet.headingPath.map { .string($0) }),
                                "lines": [.int(snippet.lines.lowerBound), .int(snippet.lines.upperBound)],
                                "score": .double((snippet.score * 1000).rounded() / 1000),
                                "text": .string(snippet.text),
                            ]
                        }
                    ).serialized(pretty: true))
                return
            }
            if snippets.isEmpty { Console.print("no results") }
            for (index, snippet) in snippets.enumerated() {
                Console.print(
                    "\(index + 1). [\(snippet.citation)] lines \(snippet.lines.lowerBound)-\(snippet.lines.upperBound) · score \(String(format: "%.2f", snippet.score))"
                )
                Console.print(
                    snippet.text.split(separator: "\n").prefix(6).map { "   " + $0 }.joined(separator: "\n") + "\n")
            }
        }
    }
}
