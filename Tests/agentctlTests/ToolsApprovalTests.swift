import AgentRuntime
import Foundation
import Testing

/// `agentctl tools list` for a tenant, role and agent shows which offered tools wait for approval.
@Suite("agentctl tools list: approvals")
struct ToolsApprovalTests {
    @Test("each tool says whether its calls wait for approval under the tenant's policy")
    func approvals() async throws {
        let list = try await AgentCtl.run([
            "tools", "list", "--tenant", "acme", "--role", "tenant_admin", "--agent", "report-generator", "--json",
        ])
        #expect(list.status == 0, "\(list.stderr)")
        guard case .array(let items) = try JSONParser.value(list.stdout) else {
            Issue.record("not a list: \(list.stdout)")
            return
        }
        let approval = Dictionary(
            uniqueKeysWithValues: items.compactMap { item in
                item["id"]?.stringValue.map { ($0, item["requires_approval"]) }
            })
        // tenants/acme.json says approvals "writes": its Slack post waits, reads and built-ins do not.
        #expect(approval["slack.post_message"] == .bool(true))
        #expect(approval["hubspot.list_deals"] == .bool(false))
        #expect(approval["calculator.evaluate"] == .bool(false))
    }
}
