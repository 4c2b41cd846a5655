import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

@Suite("agentctl models and ask")
struct ModelCommandsTests {
    static let key = "sk-test-SECRETVALUE-0123456789"

    private func environment(_ server: LoopbackHTTPServer) -> [String: String] {
        [
            "OPENAI_API_KEY": Self.key, "OPENAI_BASE_URL": server.baseURL.appendingPathComponent("v1").absoluteString,
            "ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GROQ_API_KEY": "", "AGENTRUNTIME_DEFAULT_MODEL": "",
        ]
    }

    @Test("ask streams the answer to stdout and usage and cost to stderr, sending the key only to the provider")
    func ask() async throws {
        let seen = RequestLog()
        let server = try LoopbackHTTPServer { request in
            seen.append(request)
            return .init(steps: [
                .text(
                    "data: {\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Bonjour\"},\"finish_reason\":null}]}\n\n"
                ),
                .text(
                    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" le monde\"},\"finish_reason\":\"stop\"}]}\n\n"
                ),
                .text(
                    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1000000,\"completion_tokens\":1000000}}\n\ndata: [DONE]\n\n"
                ),
            ])
        }
        defer { server.stop() }
        let result = try await AgentCtl.run(
            [
                "ask", "Say hello in French", "--model", "openai/gpt-4o-mini", "--system", "Be brief.", "--temperature",
                "0.2",
            ],
            environment: environment(server))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Bonjour le monde\n")
        #expect(result.stderr.hasPrefix("[openai/gpt-4o-mini] 1000000 in + 1000000 out tokens · $0.750000 · "))
        #expect(!result.stdout.contains(Self.key) && !result.stderr.contains(Self.key))
        let request = try #require(seen.items.first)
        #expect(request.path == "/v1/chat/completions")
        #expect(request.headers["authorization"] == "Bearer \(Self.key)")
        let body = try JSONParser.value(request.body)
        #expect(
            body["messages"] == [
                ["role": "system", "content": "Be brief."], ["role": "user", "content": "Say hello in French"],
            ])
        #expect(body["temperature"] == 0.2)
    }

    @Test("ask --json prints the whole response")
    func askJSON() async throws {
        let server = try LoopbackHTTPServer { _ in .init(body: OpenAIChatFormatBody.text) }
        defer { server.stop() }
        let result = try await AgentCtl.run(["ask", "hi", "--json"], environment: environment(server))
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONParser.value(result.stdout)
        #expect(json["text"] == "Hello!")
        #expect(json["model"] == "openai/gpt-4o-mini")
        #expect(json["usage"]?["input_tokens"] == 10)
    }

    @Test("a provider failure exits 3 with the provider's message and no key")
    func askFailure() async throws {
        let server = try LoopbackHTTPServer { _ in
            .init(
                status: 401,
                body: #"{"error":{"message":"Incorrect API key provided: \#(Self.key)","code":"invalid_api_key"}}"#)
        }
        defer { server.stop() }
        let result = try await AgentCtl.run(["ask", "hi"], environment: environment(server))
        #expect(result.status == 3)
        #expect(result.stderr.contains("authentication (HTTP 401): Incorrect API key provided: [REDACTED]"))
        #expect(!result.stderr.contains("SECRETVALUE"))
    }

    @Test("models list shows whether keys are present, never their values")
    func modelsList() async throws {
        let server = try LoopbackHTTPServer { _ in .init(body: "") }
        defer { server.stop() }
        let result = try await AgentCtl.run(["models", "list"], environment: environment(server))
        #expect(result.status == 0)
        #expect(result.stdout.contains("present (env:OPENAI_API_KEY)"))
        #expect(result.stdout.contains("missing (env:GEMINI_API_KEY)"))
        #expect(result.stdout.contains("default model: openai/gpt-4o-mini"))
        #expect(!result.stdout.contains(Self.key))
    }

    @Test("a config file with a pasted key is refused with a located error")
    func badConfig() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "agentruntime.json",
            #"{"providers": {"openai": {"kind": "openai", "api_key": "sk-live-PASTEDKEY-123456"}}}"#)
        let result = try await AgentCtl.run(["models", "list"], in: directory.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains(#"agentruntime.json:1:56: error: "api_key" must be a reference"#))
        #expect(!result.stderr.contains("PASTEDKEY"))
    }
}

enum OpenAIChatFormatBody {
    static let text =
        #"{"id":"c","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":2}}"#
}

/// Requests a handler has seen.
final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [LoopbackHTTPServer.Request] = []
    var items: [LoopbackHTTPServer.Request] { lock.withLock { requests } }
    func append(_ request: LoopbackHTTPServer.Request) { lock.withLock { requests.append(request) } }
}
