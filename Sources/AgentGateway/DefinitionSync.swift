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
        let start = (try? await services.store.agentVersionCounter()) ?? 0
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
            var seen = start
            for await _ in wakeups {
                if let applied = try? await apply(after: seen) { seen = applied }
            }
        }
    }

    /// Writes the agents changed after `counter` where this replica's files differ, and reloads; returns the newest
    /// counter seen.
    func apply(after counter: Int) async throws -> Int {
        let changes = try await services.store.agentChanges(after: counter)
        guard let newest = changes.map(\.counter).max() else { return counter }
        let holder = services.catalog
        try await services.configUpdates.run {
            for change in changes {
                guard let category = (try? JSONParser.value(change.content))?["category"]?.stringValue,
                    DefinitionRoutes.isSafeFolder(category), DefinitionRoutes.isSafeFolder(change.agent.rawValue)
                else { continue }
                let file = holder.agentsDirectory.appendingPathComponent(category)
                    .appendingPathComponent("\(change.agent.rawValue).json")
                if (try? String(contentsOf: file, encoding: .utf8)) == change.content { continue }
                try FileManager.default.createDirectory(
                    at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(change.content.utf8).write(to: file, options: .atomic)
            }
            // Reloaded even when every file was already there: this replica's catalog predates them.
            try await holder.reload()
        }
        return newest
    }
}
