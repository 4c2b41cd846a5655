import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// `agentctl secrets name`.
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

}
