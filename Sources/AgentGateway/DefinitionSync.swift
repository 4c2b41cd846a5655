import AgentRuntime
import Agents
import Foundation
import ServiceLifecycle

/// Keeps this replica's agents equal to the versions stored through any replica: when the store's agent-version
/// counter moves (a `PUT /v1/agents/{id}` on some replica; signalled, and checked every `interval` regardless),
/// the newest version of each changed agent is written to this replica's agents folder where it differs (replicas
/// on other machines; on a shared volume the file is already there), and the catalog is reloaded for new runs (runs
/// in flight keep the definitions they started with).
struct DefinitionSync: Service {
    let services: GatewayServices
    var interval: Duration = .seconds(5)

    func run() async throws {
        let (wakeups, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let signals = services.store.signals()
        let forward = Task {
            for await signal in signals where signal == .definitions || signal == .resync { continuation.yield() }
        }
        let ticker = Task { [interval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                continuation.yield()
            }
        }
        defer {
            forward.cancel()
            ticker.cancel()
        }
        await cancelWhenGracefulShutdown {
            // At start, every stored version newer than this replica's file (a replica started after a PUT
            // elsewhere, with its own folder); a file edited here later than the version stays.
            var seen = (try? await apply(after: 0, onlyNewerThanFiles: true)) ?? 0
            continuation.yield()
            for await _ in wakeups {
                if let applied = try? await apply(after: seen) { seen = applied }
            }
        }
    }

    /// Writes the agents changed after `counter` where this replica's files differ (at start, only where the stored
    /// version is newer than the file), and reloads; returns the newest counter seen. A version that cannot be
    /// written is skipped, not tried again.
    func apply(after counter: Int, onlyNewerThanFiles: Bool = false) async throws -> Int {
        let store = services.store
        let changes = try await store.agentChanges(after: counter)
        guard let newest = changes.map(\.counter).max() else { return counter }
        let holder = services.catalog
        try await services.configUpdates.run {
            var wrote = false
            for change in changes {
                guard let category = (try? JSONParser.value(change.content))?["category"]?.stringValue,
                    DefinitionRoutes.isSafeFolder(category), DefinitionRoutes.isSafeFolder(change.agent.rawValue)
                else { continue }
                let file = holder.agentsDirectory.appendingPathComponent(category)
                    .appendingPathComponent("\(change.agent.rawValue).json")
                if (try? String(contentsOf: file, encoding: .utf8)) == change.content { continue }
                if onlyNewerThanFiles,
                    let modified = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.modificationDate]
                        as? Date,
                    let stored = try? await store.agentVersions(change.agent).first?.time, stored <= modified
                {
                    continue
                }
                do {
                    try FileManager.default.createDirectory(
                        at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data(change.content.utf8).write(to: file, options: .atomic)
                    wrote = true
                } catch {
                    continue
                }
            }
            // Reloaded whenever versions came in, even when every file was already there (a shared volume): this
            // replica's catalog predates them.
            if wrote || !onlyNewerThanFiles {
                _ = try? await holder.reload()
                services.configuration.logger.info(
                    "definitions reloaded",
                    metadata: [
                        "agents_changed": .stringConvertible(changes.count), "files_written": .stringConvertible(wrote),
                    ])
            }
        }
        return newest
    }
}
