import AgentRuntime
import ArgumentParser
import Tools

/// `agentctl tools list`: the tool registry.
struct ToolsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools", abstract: "List the tools agents may name.",
        subcommands: [List.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every tool with its access level.")

        @Flag(name: .long, help: "Print JSON (with argument schemas).") var json = false

        func run() throws {
            let specs = ToolCatalog.standard.specs
            if json {
                Console.print(
                    JSONValue.array(specs.map { spec in
                        [
                            "id": .string(spec.id.rawValue), "description": .string(spec.description),
                            "access": .string(spec.access.rawValue), "requires_approval": .bool(spec.requiresApproval),
                            "parameters": spec.parameters.document,
                        ]
                    }).serialized(pretty: true))
                return
            }
            Console.print(
                Table.render(
                    header: ["ID", "ACCESS", "APPROVAL", "DESCRIPTION"],
                    rows: specs.map { [$0.id.rawValue, $0.access.rawValue, $0.requiresApproval ? "yes" : "no", $0.description] }))
        }
    }
}
