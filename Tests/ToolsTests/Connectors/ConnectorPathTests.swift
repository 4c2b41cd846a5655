import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

/// Arguments that become part of a URL path stay inside their segment, encoded exactly once.
@Suite("Connectors: path segments")
struct ConnectorPathTests {
    @Test("an argument stays inside its path segment: a@b/../../deals/987 cannot reach another object")
    func pathTraversal() async throws {
        let harness = try HubSpotConnectorTests.harness { _ in .init(body: HubSpotConnectorTests.contact) }
        defer { harness.stop() }
        _ = try await harness.tool("hubspot.update_contact", in: HubSpotConnector.operations).call(
            ["id": "a@b/../../deals/987", "properties": ["company": "x"]], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "PATCH")
        #expect(request.path == "/crm/v3/objects/contacts/a%40b%2F..%2F..%2Fdeals%2F987?idProperty=email")
    }

    @Test("path segments: refused when empty, . or .., or with control characters; everything else encoded once")
    func pathSegments() throws {
        #expect(try ConnectorClient.pathSegment("a/b?c#d", name: "id") == "a%2Fb%3Fc%23d")
        #expect(try ConnectorClient.pathSegment("50%", name: "id") == "50%25")
        #expect(try ConnectorClient.pathSegment("Zoë 1~x_y.z-", name: "id") == "Zo%C3%AB%201~x_y.z-")
        for bad in ["", ".", "..", "a\nb", "a\u{7F}"] {
            #expect(throws: ToolError.self, "\(bad.debugDescription)") {
                _ = try ConnectorClient.pathSegment(bad, name: "id")
            }
        }
        let url = ConnectorClient.url(
            URL(string: "https://api.example.com/v1/")!,
            path: "lists/\(try ConnectorClient.pathSegment("a/b", name: "id"))/members", query: [("q", "x y+z")])
        #expect(url.absoluteString == "https://api.example.com/v1/lists/a%2Fb/members?q=x%20y%2Bz")
    }
}
