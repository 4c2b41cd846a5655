import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

/// Services that echo the credential they were sent (HTTP Basic for WordPress and Mailchimp), in results and in
/// errors, in every form: the tool result and the error the model reads carry none of them.
@Suite("Connectors: an echoed credential is masked in every form")
struct CredentialEchoTests {
    /// A WordPress application password (spaces, and characters URL and JSON encoders escape).
    static let password = "abcd EFGH/1234+ijkl é\"x"
    static let mailchimpKey = "0123456789abcdef0123456789abcdef-us21"

    private func expectClean(
        _ text: String, _ forms: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        for form in forms {
            #expect(!text.contains(form), "\(form) in \(text.prefix(400))", sourceLocation: sourceLocation)
        }
    }

    @Test("WordPress: the Basic header and the password echoed in a post and in a 401 error")
    func wordpress() async throws {
        let harness = try ConnectorHarness(
            connector: "wordpress", settings: ["site_url": "https://blog.acme.test", "username": "editor"],
            secrets: ["app_password": Self.password], respond: SecretEcho.wordpress)
        defer { harness.stop() }
        let tool = harness.tool("wordpress.list_posts", in: WordPressConnector.operations)
        let forms = SecretEcho.forms(of: Self.password, user: "editor")
        let result = try await tool.call([:], context: harness.context)
        #expect(result.content.contains(Redactor.mask))
        expectClean(result.content, forms)
        expectClean(result.data?.serialized() ?? "", forms)
        let error = await #expect(throws: ToolError.self) {
            _ = try await tool.call(["cursor": "2"], context: harness.context)
        }
        #expect(error?.message.contains(Redactor.mask) == true)
        expectClean(error?.message ?? "", forms)
    }

    @Test("Mailchimp: the Basic header and the key echoed in an audience and in a problem document")
    func mailchimp() async throws {
        let harness = try ConnectorHarness(connector: "mailchimp", secrets: ["api_key": Self.mailchimpKey]) {
            request in
            let echo = SecretEcho.echo(authorization: request.headers["authorization"] ?? "")
            if request.path.hasPrefix("/3.0/campaigns") {
                let problem: JSONValue = ["title": "API Key Invalid", "status": 401, "detail": .string(echo)]
                return .init(status: 401, body: problem.serialized())
            }
            let lists: JSONValue = [
                "lists": [["id": "a1", "name": .string(echo), "stats": ["member_count": 1]]], "total_items": 1,
            ]
            return .init(body: lists.serialized())
        }
        defer { harness.stop() }
        let forms = SecretEcho.forms(of: Self.mailchimpKey, user: "anystring")
        let result = try await harness.tool("mailchimp.list_audiences", in: MailchimpConnector.operations).call(
            [:], context: harness.context)
        #expect(result.content.contains(Redactor.mask))
        expectClean(result.content, forms)
        let error = await #expect(throws: ToolError.self) {
            _ = try await harness.tool("mailchimp.list_campaigns", in: MailchimpConnector.operations).call(
                [:], context: harness.context)
        }
        #expect(error?.message.contains(Redactor.mask) == true)
        expectClean(error?.message ?? "", forms)
    }
}
