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
            "AGENTRUNTIME_SECRET_LLM_2FOPENAI": "platform",
            "AGENTRUNTIME_TENANT_ACME_SECRET_LLM_2FOPENAI": "acme-key",
        ])
        #expect(try await store.secret("llm/openai", scope: .platform) == "platform")
        #expect(try await store.secret("llm/openai", scope: .tenant("acme")) == "acme-key")
        #expect(try await store.secret("llm/openai", scope: .tenant("globex")) == nil)
        await #expect(throws: SecretStoreError.self) { _ = try await store.secret("../x", scope: .platform) }
    }

    @Test("the README's examples")
    func names() throws {
        #expect(
            EnvironmentSecretStore.variableName("llm/openai", scope: .platform) == "AGENTRUNTIME_SECRET_LLM_2FOPENAI")
        #expect(
            EnvironmentSecretStore.variableName("wordpress/app_password", scope: .tenant("acme"))
                == "AGENTRUNTIME_TENANT_ACME_SECRET_WORDPRESS_2FAPP__PASSWORD")
        #expect(
            EnvironmentSecretStore.variableName("wordpress/app_password", scope: .tenant("acme-eu"))
                == "AGENTRUNTIME_TENANT_ACME_2DEU_SECRET_WORDPRESS_2FAPP__PASSWORD")
        #expect(
            try EnvironmentSecretStore(environment: [:]).location(of: "llm/openai", scope: .platform)
                == "environment variable AGENTRUNTIME_SECRET_LLM_2FOPENAI")
    }

    @Test("tenant acme's eu/wordpress/app_password is not tenant acme-eu's wordpress/app_password")
    func collision() async throws {
        let acmeEU = EnvironmentSecretStore.variableName("wordpress/app_password", scope: .tenant("acme-eu"))
        let store = try EnvironmentSecretStore(environment: [acmeEU: "acme-eu-password"])
        #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme-eu")) == "acme-eu-password")
        #expect(try await store.secret("eu/wordpress/app_password", scope: .tenant("acme")) == nil)
        #expect(try await store.secret("acme-eu/wordpress/app_password", scope: .platform) == nil)
        #expect(try await store.secret("tenant/acme-eu/wordpress/app_password", scope: .platform) == nil)
    }

    @Test("a connector whose secret is not set names the variable to set")
    func missingNamesVariable() async throws {
        let client = ConnectorClient(
            transport: ReplayTransport([]),
            settings: StaticConnectorSettings([
                "acme-eu": [
                    ConnectorSettings(
                        connector: "wordpress", settings: ["site_url": "https://blog.example", "username": "editor"],
                        secrets: ["app_password": "wordpress/app_password"])
                ]
            ]))
        let context = ToolContext(
            runID: "run", agent: "agent", principal: Principal(tenant: "acme-eu", user: "u", roles: [.tenantAdmin]),
            secrets: try EnvironmentSecretStore(environment: [:]))
        let tool = WordPressConnector.operations.first { $0.spec.id == "wordpress.list_posts" }!.tool(client)
        let error = await #expect(throws: ToolError.self) { _ = try await tool.call([:], context: context) }
        #expect(
            error?.message.contains(
                "environment variable AGENTRUNTIME_TENANT_ACME_2DEU_SECRET_WORDPRESS_2FAPP__PASSWORD") == true,
            "\(error?.message ?? "")")
    }

    @Test("no two references share a name: every tenant and path up to 3 characters over a hard alphabet")
    func injective() {
        let alphabet = ["a", "A", "_", "-", "/", "é", "2", "s"]
        var texts = [""]
        var level = [""]
        for _ in 0..<3 {
            level = level.flatMap { prefix in alphabet.map { prefix + $0 } }
            texts += level
        }
        var seen: [String: String] = [:]
        func check(_ path: String, _ scope: SecretScope) {
            let name = EnvironmentSecretStore.variableName(path, scope: scope)
            let key = "\(scope) \(path)"
            if let earlier = seen.updateValue(key, forKey: name) {
                Issue.record("\(earlier) and \(key) are both \(name)")
            }
            #expect(name.allSatisfy { ($0.isASCII && ($0.isUppercase || $0.isNumber)) || $0 == "_" })
        }
        for path in texts.dropFirst() {
            check(path, .platform)
            for tenant in texts.dropFirst() where tenant.count <= 2 { check(path, .tenant(TenantID(tenant))) }
        }
        #expect(seen.count == (texts.count - 1) * (1 + alphabet.count + alphabet.count * alphabet.count))
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
