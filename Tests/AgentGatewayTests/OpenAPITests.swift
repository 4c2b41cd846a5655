import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Agents
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Tools

/// `openapi.json` against the routes registered on the router.
@Suite("Gateway: openapi.json")
struct OpenAPITests {
    typealias F = GatewayFixture

    @Test("openapi.json describes exactly the routes the gateway serves")
    func openAPI() throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let document = try JSONParser.value(Array(try Data(contentsOf: root.appendingPathComponent("openapi.json"))))
        guard case .object(let paths)? = document["paths"] else { Issue.record("no paths"); return }
        var documented: Set<String> = []
        for path in paths {
            guard case .object(let operations) = path.value else { continue }
            for operation in operations where ["get", "post", "put", "delete", "patch"].contains(operation.key) {
                documented.insert("\(operation.key.uppercased()) \(path.key)")
                #expect(operation.value["responses"] != nil, "\(operation.key) \(path.key) has no responses")
            }
        }
        #expect(documented == Set(Gateway.router(fixture.services).routes.map { "\($0.method.rawValue) \($0.path)" }))
        #expect(document["openapi"]?.stringValue?.hasPrefix("3.") == true)
    }
}
