import AgentRuntime
import Foundation
import Testing
import Tools

/// Slack Web API wire format: Bearer bot token, JSON posts, `ok:false` errors in HTTP 200, cursor paging.
@Suite("Connector: Slack")
struct SlackConnectorTests {
    static let token = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
    static let general =
        #"{"id":"C012AB3CD","name":"general","is_channel":true,"is_private":false,"is_archived":false,"is_member":true,"num_members":42,"topic":{"value":"Company-wide","creator":"U1","last_set":0},"purpose":{"value":"Announcements","creator":"U1","last_set":0}}"#
    static let deals =
        #"{"id":"G0AB12CD3","name":"deals","is_channel":false,"is_private":true,"is_archived":false,"is_member":false,"num_members":5,"topic":{"value":""},"purpose":{"value":""}}"#

    @Test("post_message sends JSON {channel, text} with the bot token and returns channel and ts")
    func postMessage() async throws {
        let harness = try ConnectorHarness(connector: "slack", secrets: ["bot_token": Self.token]) { _ in
            .init(
                body:
                    #"{"ok":true,"channel":"C012AB3CD","ts":"1732000000.000200","message":{"type":"message","text":"Deploy done","user":"U0BOT","ts":"1732000000.000200"}}"#
            )
        }
        defer { harness.stop() }
        let result = try await harness.tool("slack.post_message", in: SlackConnector.operations).call(
            ["channel": "C012AB3CD", "text": "Deploy *done* ✅"], context: harness.context)
        let request = try #require(harness.log.last)
        #expect(request.method == "POST")
        #expect(request.path == "/api/chat.postMessage")
        #expect(request.headers["authorization"] == "Bearer \(Self.token)")
        #expect(request.headers["content-type"] == "application/json; charset=utf-8")
        #expect(try JSONParser.value(request.body) == ["channel": "C012AB3CD", "text": "Deploy *done* ✅"])
        #expect(result.data == ["ok": true, "channel": "C012AB3CD", "ts": "1732000000.000200"])
    }

    @Test("list_channels: public and private, unarchived; next_cursor from response_metadata until it is empty")
    func listChannels() async throws {
        let harness = try ConnectorHarness(connector: "slack", secrets: ["bot_token": Self.token]) { request in
            request.path.contains("cursor=")
                ? .init(body: #"{"ok":true,"channels":[\#(Self.deals)],"response_metadata":{"next_cursor":""}}"#)
                : .init(
                    body:
                        #"{"ok":true,"channels":[\#(Self.general)],"response_metadata":{"next_cursor":"dGVhbTpDMDYx+RkJVN1Q="}}"#
                )
        }
        defer { harness.stop() }
        let tool = harness.tool("slack.list_channels", in: SlackConnector.operations)
        let first = try await tool.call(["limit": 50], context: harness.context)
        #expect(harness.log.last?.method == "GET")
        #expect(
            harness.log.last?.path
                == "/api/conversations.list?limit=50&exclude_archived=true&types=public_channel,private_channel")
        #expect(harness.log.last?.headers["authorization"] == "Bearer \(Self.token)")
        #expect(first.data?["next_cursor"] == "dGVhbTpDMDYx+RkJVN1Q=")
        #expect(
            first.data?["channels"] == [
                [
                    "id": "C012AB3CD", "name": "general", "is_private": false, "is_member": true, "num_members": 42,
                    "topic": "Company-wide", "purpose": "Announcements",
                ]
            ])

        let second = try await tool.call(["cursor": "dGVhbTpDMDYx+RkJVN1Q="], context: harness.context)
        #expect(
            harness.log.last?.path
                == "/api/conversations.list?limit=100&cursor=dGVhbTpDMDYx%2BRkJVN1Q%3D&exclude_archived=true&types=public_channel,private_channel"
        )
        #expect(second.data?["next_cursor"] == nil)
        #expect(second.data?["channels"]?.serialized().contains(#""name":"deals","is_private":true"#) == true)
    }

    @Test("ok:false in an HTTP 200 becomes a tool error naming the code; the token never appears")
    func okFalse() async throws {
        let harness = try ConnectorHarness(connector: "slack", secrets: ["bot_token": Self.token]) { request in
            request.path.hasPrefix("/api/chat.postMessage")
                ? .init(body: #"{"ok":false,"error":"channel_not_found"}"#)
                : .init(
                    body:
                        #"{"ok":false,"error":"missing_scope","needed":"groups:read","provided":"channels:read,chat:write"}"#
                )
        }
        defer { harness.stop() }
        let tools = SlackConnector.operations
        do {
            _ = try await harness.tool("slack.post_message", in: tools).call(
                ["channel": "#nope", "text": "hi"], context: harness.context)
            Issue.record("expected an error")
        } catch let error as ToolError {
            #expect(
                error.message
                    == "slack rejected the request: channel_not_found (no such channel, or the bot cannot see it; use a channel id from slack.list_channels)"
            )
            #expect(!error.message.contains(Self.token))
        }
        await #expect(
            throws: ToolError(
                "slack rejected the request: missing_scope (the Slack app needs the scope groups:read; ask an administrator to add it and reinstall the app)"
            )
        ) {
            _ = try await harness.tool("slack.list_channels", in: tools).call([:], context: harness.context)
        }
    }

    @Test("invalid_arguments shows Slack's response_metadata.messages, which name the field")
    func invalidArguments() async throws {
        let harness = try ConnectorHarness(connector: "slack", secrets: ["bot_token": Self.token]) { _ in
            .init(
                body:
                    #"{"ok":false,"error":"invalid_arguments","response_metadata":{"messages":["[ERROR] missing required field: channel","[ERROR] unsupported type: blocks"]}}"#
            )
        }
        defer { harness.stop() }
        await #expect(
            throws: ToolError(
                "slack rejected the request: invalid_arguments (the request's arguments were refused): [ERROR] missing required field: channel; [ERROR] unsupported type: blocks"
            )
        ) {
            _ = try await harness.tool("slack.post_message", in: SlackConnector.operations).call(
                ["channel": "C012AB3CD", "text": "hi"], context: harness.context)
        }
    }

    @Test("HTTP errors are readable; 429 waits for Retry-After once")
    func httpErrors() async throws {
        let limited = RateLimitOnce()
        let harness = try ConnectorHarness(connector: "slack", secrets: ["bot_token": Self.token]) { request in
            if request.path.hasPrefix("/api/chat.postMessage") {
                return .init(status: 500, body: #"{"ok":false,"error":"fatal_error"}"#)
            }
            return limited.respond(
                ["Retry-After": "1", "Content-Type": "application/json"], body: #"{"ok":false,"error":"ratelimited"}"#
            ) {
                .init(body: #"{"ok":true,"channels":[],"response_metadata":{"next_cursor":""}}"#)
            }
        }
        defer { harness.stop() }
        let tools = SlackConnector.operations
        await #expect(throws: ToolError("slack failed (HTTP 500): fatal_error", isTransient: true)) {
            _ = try await harness.tool("slack.post_message", in: tools).call(
                ["channel": "C1", "text": "hi"], context: harness.context)
        }
        let started = ContinuousClock.now
        let listed = try await harness.tool("slack.list_channels", in: tools).call([:], context: harness.context)
        #expect(ContinuousClock.now - started >= .milliseconds(900), "waited for Retry-After")
        #expect(listed.data == ["channels": []])
        #expect(harness.log.all.count == 3)
    }
}
