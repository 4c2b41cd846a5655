import AgentRuntime
import Agents
import ArgumentParser
import Foundation
import Tools

/// `agentctl connectors list|show|import`: the connectors this runtime has (written in Swift, shipped as definitions,
/// or defined by the catalog's `connectors/*.json`), one connector's settings, secrets, auth and operations, and the
/// import of an OpenAPI document into a definition.
struct ConnectorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connectors", abstract: "List and show connectors; import an OpenAPI document as a definition.",
        subcommands: [List.self, Show.self, Import.self], defaultSubcommand: List.self)

    /// A connector as listed: where it comes from, its definition when it has one, its tools.
    struct Entry {
        var id: String
        var source: String
        var definition: ConnectorDefinition?
        var specs: [ToolSpec]
    }

    /// Every connector: the catalog's definitions (replacing shipped ones of the same id), the shipped definitions,
    /// the Swift connectors; sorted by id.
    static func entries(_ catalog: CatalogOptions) -> [Entry] {
        let loaded = catalog.loadConnectors(quiet: false)
        var entries: [String: Entry] = [:]
        for operation in Connectors.swiftOperations {
            entries[
                operation.spec.id.connector, default: Entry(id: operation.spec.id.connector, source: "swift", specs: [])
            ]
            .specs.append(operation.spec)
        }
        for definition in Connectors.shippedDefinitions {
            entries[definition.id] = Entry(
                id: definition.id, source: "shipped definition", definition: definition, specs: definition.specs)
        }
        for definition in loaded.definitions {
            entries[definition.id] = Entry(
                id: definition.id, source: loaded.files[definition.id] ?? "connectors/\(definition.id).json",
                definition: definition, specs: definition.specs)
        }
        return entries.values.sorted { $0.id < $1.id }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List connectors with their operations and access levels.")

        @OptionGroup var catalog: CatalogOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let entries = ConnectorsCommand.entries(catalog)
            if json {
                Console.print(
                    JSONValue.array(
                        entries.map { entry in
                            [
                                "id": .string(entry.id), "source": .string(entry.source),
                                "auth": entry.definition.map { .string($0.auth.typeName) } ?? .null,
                                "operations": .array(
                                    entry.specs.map {
                                        ["id": .string($0.id.rawValue), "access": .string($0.access.rawValue)]
                                    }),
                            ]
                        }
                    ).serialized(pretty: true))
                return
            }
            Console.print(
                Table.render(
                    header: ["ID", "SOURCE", "AUTH", "OPERATIONS"],
                    rows: entries.map { entry in
                        [
                            entry.id, entry.source, entry.definition?.auth.typeName ?? "-",
                            entry.specs.map {
                                "\($0.id.rawValue.split(separator: ".").last ?? "") (\($0.access.rawValue))"
                            }
                            .joined(separator: ", "),
                        ]
                    }))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a connector: settings, secrets, auth type, and each operation's method and path.")

        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "The connector id.") var id: String

        func run() async throws {
            let entries = ConnectorsCommand.entries(catalog)
            guard let entry = entries.first(where: { $0.id == id }) else {
                let hint = NameSuggestionHint.closest(id, in: entries.map(\.id))
                Console.error("error: unknown connector \"\(id)\"\(hint)")
                throw ExitCode(ExitStatus.notFound)
            }
            var lines = ["\(entry.id) (\(entry.source))"]
            guard let definition = entry.definition else {
                lines.append("written in Swift; operations:")
                for spec in entry.specs {
                    lines.append("  \(spec.id)  \(spec.access.rawValue)\(spec.requiresApproval ? ", approval" : "")")
                }
                Console.print(lines.joined(separator: "\n"))
                return
            }
            lines[0] = "\(definition.id): \(definition.name) (\(entry.source))"
            lines.append(definition.description)
            if let docs = definition.docsURL { lines.append("docs: \(docs)") }
            lines.append("base URL: \(definition.baseURL)")
            if !definition.allowedHosts.isEmpty {
                lines.append("allowed hosts: \(definition.allowedHosts.joined(separator: ", "))")
            }
            lines.append("auth: \(definition.auth.typeName)")
            lines.append("settings:" + (definition.settings.isEmpty ? " none (base_url may always be set)" : ""))
            for setting in definition.settings {
                var details = [setting.isRequired && setting.defaultValue == nil ? "required" : "optional"]
                if let pattern = setting.pattern { details.append("pattern \(pattern)") }
                if let value = setting.defaultValue { details.append("default \(value)") }
                lines.append(
                    "  \(setting.name) (\(details.joined(separator: ", ")))\(setting.description.map { ": \($0)" } ?? "")"
                )
            }
            lines.append("secrets:" + (definition.secrets.isEmpty ? " none" : ""))
            for secret in definition.secrets {
                lines.append("  \(secret.name)\(secret.description.map { ": \($0)" } ?? "")")
            }
            lines.append("operations:")
            let rows = definition.operations.map { operation in
                [
                    "\(definition.id).\(operation.id)", operation.method, operation.paths.joined(separator: " | "),
                    operation.access.rawValue + (operation.approval == true ? ", approval" : ""),
                    operation.pagination?.typeName ?? "-",
                ]
            }
            lines.append(Table.render(header: ["TOOL", "METHOD", "PATH", "ACCESS", "PAGING"], rows: rows))
            if let notes = definition.notes { lines.append("notes: \(notes)") }
            Console.print(lines.joined(separator: "\n"))
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn an API description into a connector definition to review.", subcommands: [OpenAPI.self])

        struct OpenAPI: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "openapi",
                abstract: "Turn operations of an OpenAPI 3.0/3.1 document (JSON or YAML) into a connector definition.",
                discussion:
                    "Writes the definition to --output (or stdout). It validates, but has no examples: add them (and paging and response shaping where they fit) before shipping it in connectors/."
            )

            @Argument(help: "The OpenAPI document (JSON or YAML).") var file: String
            @Option(
                name: .long,
                help:
                    "Comma-separated operationIds (or method_path for operations without one), e.g. listDeals,getDeal.")
            var operations: String
            @Option(name: .long, help: "The connector id (default: from the document's title).") var id: String?
            @Option(name: .long, help: "The base URL, when the document's server URL is relative or absent.")
            var baseUrl: String?
            @Option(name: .long, help: "Write the definition to this file instead of stdout.") var output: String?

            func run() async throws {
                let text: String
                do {
                    text = try String(contentsOfFile: file, encoding: .utf8)
                } catch {
                    Console.error("error: cannot read \(file)")
                    throw ExitCode(ExitStatus.notFound)
                }
                let definition: JSONValue
                do {
                    definition = try OpenAPIImport.definition(
                        try OpenAPIImport.parse(text),
                        operations: operations.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                        id: id, baseURL: baseUrl)
                } catch let failure as OpenAPIImport.Failure {
                    Console.error("error: \(file): \(failure)")
                    throw ExitCode(ExitStatus.invalid)
                }
                let rendered = definition.serialized(pretty: true)
                let stem = definition["id"]?.stringValue ?? "connector"
                // What the catalog would say about it, so the reviewer starts from a file that loads.
                let (_, diagnostics) = ConnectorFileDecoder.decode(
                    Array(rendered.utf8), displayPath: output ?? "\(stem).json",
                    stem: output.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? stem)
                for diagnostic in diagnostics { Console.error(diagnostic.formatted) }
                if let output {
                    try Data((rendered + "\n").utf8).write(to: URL(fileURLWithPath: output))
                    Console.error(
                        "wrote \(output): \(definition["operations"]?.arrayValue?.count ?? 0) operation(s); review it and add examples"
                    )
                } else {
                    Console.print(rendered)
                }
                if diagnostics.contains(where: { $0.severity == .error }) { throw ExitCode(ExitStatus.invalid) }
            }
        }
    }
}
