/// The secret store the tools of one run see: every value read is registered with the run, which masks it (in all
/// its forms) in its events and tool results from then on.
struct RunSecretStore: SecretStore {
    /// The process's store.
    let base: any SecretStore
    /// The run.
    let state: RunState

    func secret(_ path: String, scope: SecretScope) async throws -> String? {
        let value = try await base.secret(path, scope: scope)
        if let value { await state.registerSecret(value) }
        return value
    }

    func location(of path: String, scope: SecretScope) -> String? { base.location(of: path, scope: scope) }
}
