import AgentRuntime
import ArgumentParser
import Foundation

/// `agentctl store migrate|version`: the run store's schema version.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Bring the run store's schema up to date, or show its version.",
        discussion:
            "The store's schema is versioned: numbered migrations, recorded in its schema_migrations table. Every command that opens the store applies the ones it lacks; `store migrate` does it explicitly. A store whose schema is newer than this agentctl knows is refused (upgrade agentctl).",
        subcommands: [Migrate.self, Version.self])

    /// `--store PATH|URL` and the runtime options (the config may name the store; secrets resolve its password).
    struct Location: ParsableArguments {
        @Option(
            name: .long,
            help: ArgumentHelp(
                "The run store: a SQLite path (or sqlite:PATH) or a postgres:// URL.",
                discussion:
                    "Default: $AGENTRUNTIME_STORE, else `store` in agentruntime.json, else .agentruntime/runs.sqlite."))
        var store: String?
        @OptionGroup var runtime: RuntimeOptions

        /// The store's schema as found.
        func schema() async throws -> Composition.StoreSchema {
            try await Composition.schema(
                location: try EngineOptions.storeLocation(store, runtime: runtime), runtime: runtime)
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the migrations the store lacks.",
            discussion:
                "Prints `schema version FROM → TO`, or `already at version N`. Exit 1 when the store's schema is newer than this agentctl knows."
        )
        @OptionGroup var location: Location

        func run() async throws {
            let opened = try await location.schema()
            defer { opened.close() }
            let versions: (from: Int, to: Int)
            do { versions = try await opened.migrate() } catch {
                Console.error("error: \(error)")
                throw ExitCode(ExitStatus.invalid)
            }
            Console.print(
                versions.from == versions.to
                    ? "already at version \(versions.to)" : "schema version \(versions.from) → \(versions.to)")
        }
    }

    struct Version: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the store's schema version and the newest this agentctl knows.",
            discussion: "Changes nothing. Exit 1 when the store's schema is newer than this agentctl knows.")
        @OptionGroup var location: Location

        func run() async throws {
            let opened = try await location.schema()
            defer { opened.close() }
            Console.print("schema version \(opened.version)\nthis agentctl knows up to \(opened.latest)")
            if opened.version > opened.latest {
                Console.error("error: the store's schema is newer than this agentctl knows; upgrade agentctl")
                throw ExitCode(ExitStatus.invalid)
            }
        }
    }
}
