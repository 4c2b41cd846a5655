import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

@Suite("Environment secret store")
struct EnvironmentSecretStoreTests {
    @Test("paths map to scoped variable names; a tenant never reads another tenant's secret")
    func scoping() async throws {
        let store = try EnvironmentSecretStore(environment: [
            "AGENTRUNTIME_SECRET_LLM_OPENAI": "platform",
            "AGENTRUNTIME_SECRET_TENANT_ACME_LLM_OPENAI": "acme-key",
        ])
        #expect(try await store.secret("llm/openai", scope: .platform) == "platform")
        #expect(try await store.secret("llm/openai", scope: .tenant("acme")) == "acme-key")
        #expect(try await store.secret("llm/openai", scope: .tenant("globex")) == nil)
        await #expect(throws: SecretStoreError.self) { _ = try await store.secret("../x", scope: .platform) }
    }

    @Test(".env files seed values; the process environment wins")
    func dotEnv() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write(
            ".env",
            """
            # comment
            export AGENTRUNTIME_SECRET_A="quoted # not a comment"
            AGENTRUNTIME_SECRET_B=plain # trailing comment
            AGENTRUNTIME_SECRET_C='single'
            """)
        let store = try EnvironmentSecretStore(environment: ["AGENTRUNTIME_SECRET_C": "from-env"], dotEnv: file)
        #expect(try await store.secret("a", scope: .platform) == "quoted # not a comment")
        #expect(try await store.secret("b", scope: .platform) == "plain")
        #expect(try await store.secret("c", scope: .platform) == "from-env")
        #expect(throws: SecretStoreError.self) { _ = try EnvironmentSecretStore.parseDotEnv("not a pair") }
    }
}
