import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// `agentctl secrets name`, and what a command does with the secret store when it ends.
@Suite("Secrets", .serialized)
struct SecretsCommandTests {
    @Test("secrets name prints the environment variable of a reference")
    func name() async throws {
        let tenant = try await AgentCtl.run(["secrets", "name", "--tenant", "acme", "wordpress/app_password"])
        #expect(tenant.status == 0, "\(tenant.stderr)")
        #expect(tenant.stdout == "AGENTRUNTIME_TENANT_ACME_SECRET_WORDPRESS_2FAPP__PASSWORD\n")
        let platform = try await AgentCtl.run(["secrets", "name", "llm/openai"])
        #expect(platform.stdout == "AGENTRUNTIME_SECRET_LLM_2FOPENAI\n")
    }

    @Test("a command that logged in to OpenBao revokes its token when it ends")
    func revokedAtExit() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        let (roleID, secretID) = try await server.seed()
        try await server.call("POST", "secret/data/platform/llm", ["data": ["openai": "sk-from-openbao-0000000000"]])
        try await server.call(
            "PUT", "sys/policies/acl/acme",
            [
                "policy": #"""
                path "secret/data/tenants/acme/*" { capabilities = ["read"] }
                path "secret/data/platform/*" { capabilities = ["read"] }
                """#
            ])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write(
            "agentruntime.json", #"{"providers": {"openai": {"kind": "openai", "api_key": "secret:llm/openai"}}}"#)
        let before = try await server.tokenAccessors()
        let result = try await AgentCtl.run(
            ["models", "list", "--config", config.path, "--json"],
            environment: [
                "VAULT_ADDR": server.address.absoluteString, "VAULT_ROLE_ID": roleID, "VAULT_SECRET_ID": secretID,
                "VAULT_TOKEN": "", "BAO_TOKEN": "", "BAO_ADDR": "",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("present (secret:llm/openai)"), "the key was read through a login")
        #expect(!result.stdout.contains("sk-from-openbao"))
        #expect(try await server.tokenAccessors() == before, "the login's token was revoked at exit")
    }
}
