import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

@Suite("HTTP chat model: retries, deadlines, redaction")
struct HTTPChatModelTests {
    static let key = "sk-proj-SECRETSECRETSECRETSECRET0001"
    let format = OpenAIChatFormat(endpoint: .standard(baseURL: URL(string: "https://api.openai.com/v1")!), apiKey: key)
    let request = ChatRequest(model: "gpt-4o-mini", messages: [.user("hi")])
    let fast = RetryPolicy(maxRetries: 3, initialDelay: .milliseconds(1), maxDelay: .milliseconds(5))

    static let ok = ReplayTransport.Reply(body: OpenAIChatFormatTests.textResponse)
    static let limited = ReplayTransport.Reply(
        status: 429, headers: ["retry-after": "0"],
        body: #"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#)

    @Test("429 then 200: retried, honouring Retry-After")
    func retriesRateLimit() async throws {
        let transport = ReplayTransport([Self.limited, Self.limited, Self.ok])
        let model = HTTPChatModel(format: format, transport: transport, retryPolicy: fast)
        let response = try await model.complete(request)
        #expect(response.text == "Hello! How can I help you today?")
        #expect(transport.requests.count == 3)
    }

    @Test("connection failures are retried; 400/401/403/404 are not", arguments: [400, 401, 403, 404])
    func noRetryOnClientErrors(status: Int) async throws {
        let transport = ReplayTransport([
            ReplayTransport.Reply(status: status, body: #"{"error":{"message":"nope"}}"#), Self.ok,
        ])
        let model = HTTPChatModel(format: format, transport: transport, retryPolicy: fast)
        await #expect(throws: ProviderError.self) { _ = try await model.complete(request) }
        #expect(transport.requests.count == 1)
    }

    @Test("retryable statuses are retried", arguments: [408, 409, 500, 502, 503, 504, 529])
    func retryOnServerErrors(status: Int) async throws {
        let transport = ReplayTransport([
            ReplayTransport.Reply(status: status, body: "upstream trouble"), .failure(.connection), Self.ok,
        ])
        let model = HTTPChatModel(format: format, transport: transport, retryPolicy: fast)
        _ = try await model.complete(request)
        #expect(transport.requests.count == 3)
    }

    @Test("retries stop after maxRetries with the last error")
    func retriesExhausted() async throws {
        let transport = ReplayTransport(Array(repeating: Self.limited, count: 5))
        let model = HTTPChatModel(
            format: format, transport: transport,
            retryPolicy: RetryPolicy(maxRetries: 2, initialDelay: .milliseconds(1)))
        let error = await #expect(throws: ProviderError.self) { _ = try await model.complete(request) }
        #expect(error?.code == .rateLimited)
        #expect(transport.requests.count == 3)
    }

    @Test("a Retry-After beyond the deadline gives up at once")
    func retryBoundedByDeadline() async throws {
        let slow = ReplayTransport.Reply(
            status: 429, headers: ["retry-after": "30"], body: #"{"error":{"message":"slow down"}}"#)
        let transport = ReplayTransport([slow, Self.ok])
        var bounded = request
        bounded.deadline = .now + .seconds(2)
        let model = HTTPChatModel(format: format, transport: transport, retryPolicy: fast)
        let started = ContinuousClock.now
        let error = await #expect(throws: ProviderError.self) { _ = try await model.complete(bounded) }
        #expect(error?.code == .rateLimited)
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(transport.requests.count == 1)
    }

    @Test("the API key never appears in an error, even when the provider echoes it")
    func redactsKey() async throws {
        let echo = ReplayTransport.Reply(
            status: 401,
            body:
                #"{"error":{"message":"Incorrect API key provided: \#(Self.key). Also Bearer \#(Self.key)","code":"invalid_api_key"}}"#
        )
        let model = HTTPChatModel(format: format, transport: ReplayTransport([echo]), retryPolicy: fast)
        let error = await #expect(throws: ProviderError.self) { _ = try await model.complete(request) }
        let text = String(describing: error)
        #expect(!text.contains(Self.key))
        #expect(!text.contains("SECRETSECRET"))
        #expect(text.contains("[REDACTED]"))
    }

    @Test("a stream that fails before its first delta is retried; the result is the completed response")
    func streamRetry() async throws {
        let stream = ReplayTransport.Reply(chunks: [Array(OpenAIChatFormatTests.textStream.utf8)])
        let transport = ReplayTransport([Self.limited, stream])
        let model = HTTPChatModel(format: format, transport: transport, retryPolicy: fast)
        var text = ""
        let response = try await model.stream(request) { delta in
            if case .text(let fragment) = delta { text += fragment }
        }
        #expect(text == "Hello! How can I help you today? Ünïcødé ✓")
        #expect(response.usage.inputTokens == 1117)
        #expect(transport.requests.count == 2)
        let body = try JSONParser.value(transport.requests[1].body!)
        #expect(body["stream"] == true)
    }

    @Test("a server that answers a streaming request with one JSON body is understood")
    func jsonAnswerToStream() async throws {
        let model = HTTPChatModel(format: format, transport: ReplayTransport([Self.ok]), retryPolicy: fast)
        var text = ""
        let response = try await model.stream(request) { delta in
            if case .text(let fragment) = delta { text += fragment }
        }
        #expect(text == "Hello! How can I help you today?")
        #expect(response.usage.inputTokens == 1117)
    }

    @Test("a stream that fails after deltas were delivered is not retried")
    func noRetryAfterDelivery() async throws {
        let partial = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
        let transport = ReplayTransport([
            ReplayTransport.Reply(chunks: [Array(partial.utf8)]),
            ReplayTransport.Reply(chunks: [Array(OpenAIChatFormatTests.textStream.utf8)]),
        ])
        let model = HTTPChatModel(format: format, transport: transport, retryPolicy: fast)
        let error = await #expect(throws: ProviderError.self) {
            _ = try await model.stream(request) { _ in }
        }
        #expect(error?.code == .streamTruncated)
        #expect(transport.requests.count == 1)
    }
}

@Suite("Retry policy and hints")
struct RetryPolicyTests {
    @Test("full jitter: the wait is drawn from 0 up to the exponential ceiling")
    func backoff() {
        let policy = RetryPolicy(maxRetries: 5, initialDelay: .milliseconds(500), maxDelay: .seconds(4))
        let error = ProviderError(status: 503, code: .server, message: "x", provider: nil)
        #expect(policy.delay(beforeRetry: 0, after: error, deadline: nil, random: { $0 }) == .milliseconds(500))
        #expect(policy.delay(beforeRetry: 2, after: error, deadline: nil, random: { $0 }) == .seconds(2))
        #expect(policy.delay(beforeRetry: 4, after: error, deadline: nil, random: { $0 }) == .seconds(4))
        #expect(policy.delay(beforeRetry: 2, after: error, deadline: nil, random: { _ in 0 }) == .zero)
        #expect(policy.delay(beforeRetry: 5, after: error, deadline: nil) == nil)
        #expect(
            policy.delay(
                beforeRetry: 0, after: ProviderError(code: .authentication, message: "x", provider: nil), deadline: nil)
                == nil)
    }

    @Test("Retry-After as seconds, as an HTTP date, and retry-after-ms")
    func retryAfterHeaders() {
        #expect(RetryAfter.parse(["Retry-After": "3"]) == .seconds(3))
        #expect(RetryAfter.parse(["retry-after-ms": "250", "retry-after": "3"]) == .milliseconds(250))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let later = "Fri, 15 Jan 2027 08:00:10 GMT"
        let expected = RetryAfter.httpDate(later)!.timeIntervalSince(now)
        #expect(RetryAfter.parse(["retry-after": later], now: now) == .milliseconds(Int((expected * 1000).rounded())))
        #expect(RetryAfter.httpDate("Wed, 21 Oct 2026 07:28:00 GMT") == Date(timeIntervalSince1970: 1_792_567_680))
        #expect(RetryAfter.parse(["retry-after": "soon"]) == nil)
        #expect(RetryAfter.parseProtobufDuration("1.5s") == .milliseconds(1500))
    }

    @Test("the redactor masks registered secrets and key-shaped tokens")
    func redactor() {
        let redactor = Redactor(secrets: ["hunter2-secret"])
        #expect(redactor.redact("pw=hunter2-secret ok") == "pw=[REDACTED] ok")
        #expect(
            redactor.redact("key sk-ant-api03-abcdefghijklmnop, and AIzaSyA0123456789abcdefgh")
                == "key [REDACTED], and [REDACTED]")
        #expect(redactor.redact("Authorization: Bearer abcdefghijkl") == "Authorization: Bearer [REDACTED]")
        #expect(redactor.redact("a sk- b") == "a sk- b")
    }
}
