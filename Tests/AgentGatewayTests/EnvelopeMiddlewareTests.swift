import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Tools

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `EnvelopeMiddleware`: failures the handlers did not expect.
@Suite("Gateway: error envelope")
struct EnvelopeMiddlewareTests {
    typealias F = GatewayFixture

    @Test("an unexpected failure is a 500 INTERNAL_ERROR naming the request id, without internals")
    func internalError() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let original = try String(
            contentsOf: fixture.directory.url.appendingPathComponent("agents/marketing/seo-specialist.json"),
            encoding: .utf8)
        guard case .object(var definition) = try JSONParser.value(Array(original.utf8)) else {
            Issue.record("not an object")
            return
        }
        definition["id"] = "seo-junior"
        let body = F.body(.object(definition))
        // Something in the way of the file: the write fails even for root.
        let blocked = fixture.directory.url.appendingPathComponent("agents/marketing/seo-junior.json")
        try FileManager.default.createDirectory(
            at: blocked.appendingPathComponent("occupied"), withIntermediateDirectories: true)
        try await fixture.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/agents/seo-junior", method: .put,
                headers: F.headers(roles: "super_admin", extra: [HTTPField.Name("X-Request-ID")!: "req-500"]),
                body: body
            ) { response in
                #expect(response.status == .internalServerError)
                let error = try F.json(response)["error"]
                #expect(error?["code"] == "INTERNAL_ERROR")
                #expect(error?["message"] == "internal error (request req-500)")
            }
            try await client.execute(uri: "/v1/agents/seo-junior", method: .get, headers: F.headers()) {
                #expect($0.status == .notFound)
            }
        }
    }
}
