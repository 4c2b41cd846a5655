import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

@Suite("OpenBao secret store (real dev server)", .serialized)
struct OpenBaoSecretStoreTests {
    @Test("AppRole login reads the tenant's own secret; a missing secret is nil; reads are cached")
    func read() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        let (roleID, secretID) = try await server.seed()
        let store = VaultSecretStore(
            address: server.address, authentication: .appRole(roleID: roleID, secretID: secretID))
        #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme")) == "acme-wp-password-1")
        #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme")) == "acme-wp-password-1")
        #expect(await store.fetches == 1, "the second read came from the cache")
        #expect(try await store.secret("hubspot/access_token", scope: .tenant("acme")) == nil)
        #expect(try await store.secret("wordpress/other_field", scope: .tenant("acme")) == nil)
        #expect(await store.logins == 1)
    }

    @Test("a tenant's credentials cannot read another tenant's path; the error names the reference, never a value")
    func wrongTenant() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        let (roleID, secretID) = try await server.seed()
        let store = VaultSecretStore(
            address: server.address, authentication: .appRole(roleID: roleID, secretID: secretID))
        let error = await #expect(throws: SecretStoreError.self) {
            _ = try await store.secret("wordpress/app_password", scope: .tenant("globex"))
        }
        #expect(
            error
                == SecretStoreError(
                    kind: .forbidden, reference: "tenants/globex/wordpress/app_password", message: "permission denied"))
        #expect(!String(describing: error).contains("globex-wp-password-2"))
        await #expect(throws: SecretStoreError.self) {
            _ = try await store.secret("../globex/wordpress/app_password", scope: .tenant("acme"))
        }
    }

    @Test("the token is renewed before it expires, and reads keep working past its first TTL")
    func renewal() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        // A 6 s token renewed when 2 s remain: reads 1.1 s apart leave room for a busy test machine.
        let (roleID, secretID) = try await server.seed(tokenTTL: "6s")
        let store = VaultSecretStore(
            address: server.address, authentication: .appRole(roleID: roleID, secretID: secretID),
            cacheTTL: .milliseconds(1))
        #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme")) == "acme-wp-password-1")
        for _ in 0..<6 {
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme")) == "acme-wp-password-1")
        }
        #expect(await store.renewals >= 1)
        #expect(await store.logins == 1, "renewed, not logged in again")
    }

    @Test("a sealed store and an unreachable store are clear errors naming the reference")
    func sealedAndUnreachable() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        _ = try await server.seed()
        try await server.call("PUT", "sys/seal")
        let store = VaultSecretStore(address: server.address, authentication: .token(OpenBaoDevServer.rootToken))
        let sealed = await #expect(throws: SecretStoreError.self) {
            _ = try await store.secret("wordpress/app_password", scope: .tenant("acme"))
        }
        #expect(sealed?.kind == .sealed)
        #expect(sealed?.reference == "tenants/acme/wordpress/app_password")
        let nowhere = VaultSecretStore(address: URL(string: "http://127.0.0.1:1")!, authentication: .token("t"))
        let unreachable = await #expect(throws: SecretStoreError.self) {
            _ = try await nowhere.secret("wordpress/app_password", scope: .platform)
        }
        #expect(unreachable?.kind == .unavailable)
    }

    @Test("reads that arrive together share one login, whatever their paths; close() revokes the token")
    func oneLoginAndRevocation() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        let (roleID, secretID) = try await server.seed()
        let before = try await server.tokenAccessors()
        let store = VaultSecretStore(
            address: server.address, authentication: .appRole(roleID: roleID, secretID: secretID))
        let paths = ["wordpress/app_password", "hubspot/access_token", "mailchimp/api_key", "slack/bot_token"]
        let values = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<24 {
                group.addTask { try await store.secret(paths[index % paths.count], scope: .tenant("acme")) }
            }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(values.count == 24)
        #expect(values.compactMap { $0 } == Array(repeating: "acme-wp-password-1", count: 6))
        #expect(await store.logins == 1)
        #expect(try await server.tokenAccessors().count == before.count + 1, "one token on the server")
        await store.close()
        #expect(await store.revocations == 1)
        #expect(try await server.tokenAccessors() == before, "the token is revoked")
        let closed = await #expect(throws: SecretStoreError.self) {
            _ = try await store.secret("wordpress/app_password", scope: .tenant("acme"))
        }
        #expect(closed?.kind == .unavailable)
    }

    @Test("a token revoked behind the store's back is replaced by one new login; a refusal by policy is not retried")
    func reloginOnce() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        let (roleID, secretID) = try await server.seed()
        let before = try await server.tokenAccessors()
        let store = VaultSecretStore(
            address: server.address, authentication: .appRole(roleID: roleID, secretID: secretID),
            cacheTTL: .milliseconds(1))
        #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme")) == "acme-wp-password-1")
        for _ in 0..<3 {
            await #expect(throws: SecretStoreError.self) {
                _ = try await store.secret("wordpress/app_password", scope: .tenant("globex"))
            }
        }
        #expect(await store.logins == 1, "refused by policy: the token is fine, no new login")
        for accessor in try await server.tokenAccessors().subtracting(before) {
            try await server.call("POST", "auth/token/revoke-accessor", ["accessor": .string(accessor)])
        }
        try await Task.sleep(for: .milliseconds(5))
        #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme")) == "acme-wp-password-1")
        #expect(await store.logins == 2)
        await store.close()
        #expect(try await server.tokenAccessors() == before)
    }

    @Test("a given token is not revoked by close()")
    func givenTokenKept() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        _ = try await server.seed()
        let store = VaultSecretStore(address: server.address, authentication: .token(OpenBaoDevServer.rootToken))
        #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme")) == "acme-wp-password-1")
        await store.close()
        #expect(await store.revocations == 0)
        #expect(try await server.call("GET", "auth/token/lookup-self")["data"] != nil, "the root token still works")
    }

    @Test(
        "a write sets one field of a KV secret and keeps the others, creates a missing secret, and is read back at once"
    )
    func write() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        try await server.call(
            "POST", "secret/data/tenants/acme/google_analytics",
            ["data": ["refresh_token": "1//refresh-token-1", "client_secret": "client-secret-1"]])
        let store = VaultSecretStore(address: server.address, authentication: .token(OpenBaoDevServer.rootToken))
        let scope = SecretScope.tenant("acme")
        #expect(try await store.secret("google_analytics/access_token", scope: scope) == nil)
        try await store.setSecret("ya29.access-token-1", at: "google_analytics/access_token", scope: scope)
        #expect(try await store.secret("google_analytics/access_token", scope: scope) == "ya29.access-token-1")
        #expect(try await store.secret("google_analytics/refresh_token", scope: scope) == "1//refresh-token-1")
        #expect(try await store.secret("google_analytics/client_secret", scope: scope) == "client-secret-1")
        try await store.setSecret("1000.zoho-access-token", at: "zoho_crm/access_token", scope: scope)
        #expect(try await store.secret("zoho_crm/access_token", scope: scope) == "1000.zoho-access-token")
        let stored = try await server.call("GET", "secret/data/tenants/acme/zoho_crm")
        #expect(stored["data"]?["data"] == ["access_token": "1000.zoho-access-token"])
        await #expect(throws: SecretStoreError.self) {
            try await store.setSecret("value", at: "../globex/zoho_crm/access_token", scope: scope)
        }
    }
}
