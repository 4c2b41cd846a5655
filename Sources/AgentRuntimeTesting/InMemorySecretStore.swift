import AgentRuntime

/// A ``WritableSecretStore`` holding values in memory, scoped like the real ones. Copies share their values.
public struct InMemorySecretStore: WritableSecretStore {
    private let values: Values
    private let failure: SecretStoreError?
    private let failures: [SecretScope: SecretStoreError]

    /// Creates a store with `values` per scope; `failure`, when set, is thrown by every read and write, and
    /// `failures` by those in their scope.
    public init(
        _ values: [SecretScope: [String: String]] = [:], failure: SecretStoreError? = nil,
        failures: [SecretScope: SecretStoreError] = [:]
    ) {
        self.values = Values(values)
        self.failure = failure
        self.failures = failures
    }

    /// The value at `path` in `scope` only.
    public func secret(_ path: String, scope: SecretScope) async throws -> String? {
        if let failure = failure ?? failures[scope] { throw failure }
        return await values.value(path, scope: scope)
    }

    /// Stores `value` at `path` in `scope` only.
    public func setSecret(_ value: String, at path: String, scope: SecretScope) async throws {
        if let failure = failure ?? failures[scope] { throw failure }
        await values.set(value, path: path, scope: scope)
    }

    /// How many writes the store has taken.
    public var writes: Int { get async { await values.writes } }

    /// The values, shared by copies of the store.
    private actor Values {
        private var byScope: [SecretScope: [String: String]]
        private(set) var writes = 0

        init(_ byScope: [SecretScope: [String: String]]) { self.byScope = byScope }

        func value(_ path: String, scope: SecretScope) -> String? { byScope[scope]?[path] }

        func set(_ value: String, path: String, scope: SecretScope) {
            byScope[scope, default: [:]][path] = value
            writes += 1
        }
    }
}
