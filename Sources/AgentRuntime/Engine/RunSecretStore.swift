/// The secret store the tools of one run see: every value read is registered with the run, which masks it (in all
/// its forms) in its events and tool results from then on.
struct RunSecretStore: SecretStore {
    /// The process's store.
    let base: any SecretStore
    /// The run.
    let state: RunState

    /// `base` seen by the run: writable when `base` is, so a tool can tell whether what it stores will be kept.
    static func wrapping(_ base: any SecretStore, state: RunState) -> any SecretStore {
        if let writable = base as? any WritableSecretStore {
            return RunWritableSecretStore(reads: RunSecretStore(base: base, state: state), base: writable)
        }
        return RunSecretStore(base: base, state: state)
    }

    func secret(_ path: String, scope: SecretScope) async throws -> String? {
        let value = try await base.secret(path, scope: scope)
        if let value { await state.registerSecret(value) }
        return value
    }

    func location(of path: String, scope: SecretScope) -> String? { base.location(of: path, scope: scope) }
}

/// A writable store seen by one run: reads are registered as ``RunSecretStore``'s are, and so is every value written.
struct RunWritableSecretStore: WritableSecretStore {
    /// The registering reads.
    let reads: RunSecretStore
    /// The process's store.
    let base: any WritableSecretStore

    func secret(_ path: String, scope: SecretScope) async throws -> String? {
        try await reads.secret(path, scope: scope)
    }

    func location(of path: String, scope: SecretScope) -> String? { reads.location(of: path, scope: scope) }

    func setSecret(_ value: String, at path: String, scope: SecretScope) async throws {
        await reads.state.registerSecret(value)
        try await base.setSecret(value, at: path, scope: scope)
    }
}
