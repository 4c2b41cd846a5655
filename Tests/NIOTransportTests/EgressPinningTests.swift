import AgentRuntime
import AgentRuntimeTesting
import Foundation
import NIOTransport
import Testing

/// A plain-http request that passed the egress check goes to the address that was checked, over both HTTP clients,
/// with the name it was sent to in `Host`.
@Suite("Egress pinning on loopback")
struct EgressPinningTests {
    @Test("http is connected to the checked address and keeps its name in Host", arguments: TransportKind.allCases)
    func pinned(_ kind: TransportKind) async throws {
        let server = try LoopbackHTTPServer { request in .init(body: #"{"host":"\#(request.headers["host"] ?? "")"}"#) }
        defer { server.stop() }
        // The system resolver does not know this name: only the checked answer can have reached the server.
        let resolver = ScriptedHostResolver(["service.test": ["127.0.0.1"]])
        let transport = RedirectingTransport.guarded(
            try kind.make(), egress: try EgressPolicy(allowing: ["127.0.0.1"], requireHTTPS: false), resolver: resolver)
        let response = try await transport.send(
            HTTPRequest(method: "GET", url: URL(string: "http://service.test:\(server.port)/status?x=1")!))
        #expect(response.status == 200)
        #expect(server.receivedRequests.map(\.path) == ["/status?x=1"])
        #expect(server.receivedRequests.first?.headers["host"] == "service.test:\(server.port)")
        #expect(resolver.resolved == ["service.test"])
    }
}
