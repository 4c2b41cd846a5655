import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// The redirect rules, hop by hop (the loopback tests in NIOTransportTests run them over real sockets).
@Suite("Redirect rules")
struct RedirectingTransportTests {
    let request = HTTPRequest(
        method: "POST", url: URL(string: "https://api.example.com/v1/items?x=1")!,
        headers: [
            "Authorization": "Bearer sk", "X-Api-Key": "k", "Content-Type": "application/json",
            "Accept": "application/json",
        ],
        body: Array("{}".utf8))

    @Test("https never goes down to http")
    func downgrade() {
        #expect(
            throws: HTTPTransportError(
                kind: .redirect, message: "redirect from https to http (http://api.example.com:80) refused")
        ) {
            _ = try RedirectingTransport.follow(request, status: 308, location: "http://api.example.com/v1/items")
        }
    }

    @Test("only http and https locations")
    func schemes() {
        #expect(throws: HTTPTransportError.self) {
            _ = try RedirectingTransport.follow(request, status: 302, location: "file:///etc/passwd")
        }
    }

    @Test("307 and 308 keep method, body and credentials on the same origin")
    func sameOrigin() throws {
        let next = try RedirectingTransport.follow(request, status: 307, location: "/v2/items")
        #expect(next.url.absoluteString == "https://api.example.com/v2/items")
        #expect(next.method == "POST" && next.body == request.body && next.headers == request.headers)
    }

    @Test("a different port is another origin")
    func otherPort() throws {
        var get = request
        get.method = "GET"
        get.body = nil
        let next = try RedirectingTransport.follow(get, status: 302, location: "https://api.example.com:8443/items")
        #expect(next.headers == ["Accept": "application/json"])
    }

    @Test("303, and 301/302 after a POST, continue as GET without the body or its headers")
    func seeOther() throws {
        for status in [301, 302, 303] {
            let next = try RedirectingTransport.follow(request, status: status, location: "/done")
            #expect(next.method == "GET" && next.body == nil)
            #expect(next.headers == ["Authorization": "Bearer sk", "X-Api-Key": "k", "Accept": "application/json"])
        }
    }
}
