import ArgumentParser
import Foundation

/// `agentctl store migrate`: brings the run store's schema up to date.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Manage the run store.", subcommands: [Migrate.self])

    /// `agentctl store migrate`.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the run store's missing schema migrations and print the version before and after.",
            discussion:
                "A database whose schema is newer than this agentctl knows is refused. Every command also migrates the store when it opens it; this runs the migrations alone (before a deploy, say)."
        )
        @OptionGroup var runtime: RuntimeOptions
        @OptionGroup var engine: EngineOptions

        func run() async throws {
            let location = try engine.storeLocation(runtime: runtime)
            if let (from, to) = try await Composition.migrateStore(location: location, runtime: runtime) {
                Console.print(from == to ? "schema at version \(to): up to date" : "schema migrated: \(from) -> \(to)")
            } else {
                Console.print("SQLite store \(location): schema created when opened")
            }
        }
    }
}
