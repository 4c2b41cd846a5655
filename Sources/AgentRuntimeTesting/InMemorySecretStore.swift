import AgentRuntime

/// A ``SecretStore`` holding fixed values, scoped like the real ones.
public struct InMemorySecretStore: SecretStore {
    private let values: [SecretScope: [String: String]]
    private let failure: SecretStoreError?
    private let failures: [SecretScope: SecretStoreError]

    /// Creates a store with `values` per scope; `failure`, when set, is thrown by every read, and `failures` by the
    /// reads in their scope.
    public init(
        _ values: [SecretScope: [String: String]] = [:], failure: SecretStoreError? = nil,
        failures: [SecretScope: SecretStoreError] = [:]
    ) {
        self.values = values
        self.failure = failure
        self.failures = failures
    }

    /// The value at `path` in `scope` only.
    public func secret(_ path: String, scope: SecretScope) async throws -> String? {
        if let failure = failure ?? failures[scope] { throw failure }
        return values[scope]?[path]
    }
}
