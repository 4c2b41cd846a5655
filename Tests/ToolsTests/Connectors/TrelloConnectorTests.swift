import AgentRuntime
import Foundation
import Testing
import Tools

/// Trello REST API wire format: key and token as query parameters, card fields, plain-text errors.
@Suite("Connector: Trello")
struct TrelloConnectorTests {
    static let key = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    static let token = "ATTA0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0011"
    static let secrets = ["api_key": key, "token": token]
    static let card =
        #"{"id":"5f1a2b3c4d5e6f7a8b9c0d1e","name":"Ship pricing page","desc":"Copy in the doc","due":"2026-12-01T17:00:00.000Z","dueComplete":false,"idList":"5f1a2b3c4d5e6f7a8b9c0d00","url":"https://trello.com/c/AbCd1234/12-ship-pricing-page","closed":false}"#

    @Test("list_cards: board or list path, fields, key and token as query parameters")
    func listCards() async throws {
        let harness = try ConnectorHarness(connector: "trello", secrets: Self.secrets) { _ in
            .init(body: "[\(Self.card)]")
        }
        defer { harness.stop() }
        let tool = harness.tool("trello.list_cards", in: TrelloConnector.operations)
        let result = try await tool.call(["board_id": "AbCd1234"], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "GET")
        #expect(
            request.path
                == "/1/boards/AbCd1234/cards?fields=id,name,desc,due,dueComplete,idList,url,closed&key=\(Self.key)&token=\(Self.token)"
        )
        #expect(request.headers["authorization"] == nil)
        #expect(
            result.data == [
                "cards": [
                    [
                        "id": "5f1a2b3c4d5e6f7a8b9c0d1e", "name": "Ship pricing page", "desc": "Copy in the doc",
                        "due": "2026-12-01T17:00:00.000Z", "due_complete": false, "idList": "5f1a2b3c4d5e6f7a8b9c0d00",
                        "url": "https://trello.com/c/AbCd1234/12-ship-pricing-page", "closed": false,
                    ]
                ]
            ])
        #expect(!result.content.contains(Self.key) && !result.content.contains(Self.token))

        _ = try await tool.call(["list_id": "5f1a2b3c4d5e6f7a8b9c0d00"], context: harness.context)
        #expect(harness.log.last?.path.hasPrefix("/1/lists/5f1a2b3c4d5e6f7a8b9c0d00/cards?fields=") == true)

        await #expect(throws: ToolError("give \"board_id\" or \"list_id\" to say whose cards to list")) {
            _ = try await tool.call([:], context: harness.context)
        }
        await #expect(throws: ToolError("\"board_id\" is not a valid trello id")) {
            _ = try await tool.call(["board_id": "x/../../members/me"], context: harness.context)
        }
        #expect(harness.log.all.count == 2)
    }

    @Test("create_card sends idList, name, desc and due as query parameters and returns the card")
    func createCard() async throws {
        let harness = try ConnectorHarness(connector: "trello", secrets: Self.secrets) { _ in .init(body: Self.card) }
        defer { harness.stop() }
        let result = try await harness.tool("trello.create_card", in: TrelloConnector.operations).call(
            [
                "list_id": "5f1a2b3c4d5e6f7a8b9c0d00", "name": "Ship pricing page", "desc": "Copy & C++ notes",
                "due": "2026-12-01T17:00:00Z",
            ], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "POST")
        #expect(
            request.path
                == "/1/cards?idList=5f1a2b3c4d5e6f7a8b9c0d00&name=Ship%20pricing%20page&desc=Copy%20%26%20C%2B%2B%20notes&due=2026-12-01T17:00:00Z&key=\(Self.key)&token=\(Self.token)"
        )
        #expect(request.body.isEmpty)
        #expect(result.data?["id"] == "5f1a2b3c4d5e6f7a8b9c0d1e")
        #expect(result.data?["url"] == "https://trello.com/c/AbCd1234/12-ship-pricing-page")
    }

    @Test("plain-text error bodies become readable tool errors; neither key nor token ever appears")
    func errors() async throws {
        let harness = try ConnectorHarness(connector: "trello", secrets: Self.secrets) { request in
            if request.path.hasPrefix("/1/cards") {
                return .init(
                    status: 400, headers: ["Content-Type": "text/plain; charset=utf-8"],
                    body: "invalid value for idList")
            }
            return .init(status: 401, headers: ["Content-Type": "text/plain; charset=utf-8"], body: "invalid key")
        }
        let tools = TrelloConnector.operations
        await #expect(throws: ToolError("trello rejected the credentials (HTTP 401): invalid key")) {
            _ = try await harness.tool("trello.list_cards", in: tools).call(
                ["board_id": "AbCd1234"], context: harness.context)
        }
        await #expect(throws: ToolError("trello rejected the request (HTTP 400): invalid value for idList")) {
            _ = try await harness.tool("trello.create_card", in: tools).call(
                ["list_id": "abc", "name": "x"], context: harness.context)
        }
        harness.stop()
        do {
            _ = try await harness.tool("trello.list_cards", in: tools).call(
                ["board_id": "AbCd1234"], context: harness.context)
            Issue.record("expected an error")
        } catch let error as ToolError {
            #expect(error.isTransient)
            #expect(error.message.hasPrefix("trello could not be reached"))
            #expect(
                !error.message.contains(Self.key) && !error.message.contains(Self.token),
                "the URL carries the secrets: \(error.message)")
        }
    }

    @Test("429 is waited out once, then reported as a transient error")
    func rateLimit() async throws {
        let limited = RateLimitOnce()
        let harness = try ConnectorHarness(connector: "trello", secrets: Self.secrets) { request in
            if request.path.hasPrefix("/1/lists/") {
                return .init(
                    status: 429, headers: ["Retry-After": "30", "Content-Type": "application/json"],
                    body: #"{"error":"API_TOKEN_LIMIT_EXCEEDED","message":"Rate limit exceeded"}"#)
            }
            return limited.respond(
                ["Retry-After": "1", "Content-Type": "application/json"],
                body: #"{"error":"API_TOKEN_LIMIT_EXCEEDED","message":"Rate limit exceeded"}"#
            ) { .init(body: "[]") }
        }
        defer { harness.stop() }
        let tool = harness.tool("trello.list_cards", in: TrelloConnector.operations)
        let started = ContinuousClock.now
        let result = try await tool.call(["board_id": "AbCd1234"], context: harness.context)
        #expect(ContinuousClock.now - started >= .milliseconds(900), "waited for Retry-After")
        #expect(result.data == ["cards": []])
        await #expect(
            throws: ToolError("trello rate limit reached; try again in 30 s (Rate limit exceeded)", isTransient: true)
        ) {
            _ = try await tool.call(["list_id": "5f1a2b3c4d5e6f7a8b9c0d00"], context: harness.context)
        }
    }
}
