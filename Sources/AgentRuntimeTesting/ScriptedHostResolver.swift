import AgentRuntime
import Foundation

/// A ``HostResolver`` that answers from a table, as a DNS server under a test's control would: a name can resolve to
/// a loopback server, or to a public address first and an internal one afterwards (DNS rebinding). Names not in the
/// table fail to resolve. Counts the lookups.
public final class ScriptedHostResolver: HostResolver, @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var answers: [String: [[IPAddress]]]
    private var lookups: [String] = []

    /// Each name's addresses (text form), the same for every lookup.
    public init(_ table: [String: [String]]) {
        answers = table.mapValues { [$0.map { IPAddress($0)! }] }
    }

    /// Each name's answers in turn, one per lookup; the last one repeats.
    public init(sequences: [String: [[String]]]) {
        answers = sequences.mapValues { $0.map { $0.map { IPAddress($0)! } } }
    }

    /// The names looked up so far, in order.
    public var resolved: [String] { lock.withLock { lookups } }

    /// The next answer for `host`.
    public func addresses(of host: String) async throws -> [IPAddress] {
        let answer = lock.withLock { () -> [IPAddress]? in
            lookups.append(host)
            let name = host.lowercased()
            guard var queue = answers[name], let first = queue.first else { return nil }
            if queue.count > 1 {
                queue.removeFirst()
                answers[name] = queue
            }
            return first
        }
        guard let answer else {
            throw HTTPTransportError(kind: .connection, message: "cannot resolve \(host): unknown name")
        }
        return answer
    }
}
