/// A ``ChatModel`` that speaks one wire format over an ``HTTPTransport``,
/// with retries, an overall deadline, and redacted errors.
public struct HTTPChatModel<Format: ChatWireFormat>: ChatModel {
    /// The wire format (with its endpoint and credentials).
    public let format: Format
    /// The transport.
    public let transport: any HTTPTransport
    /// How failures are retried.
    public let retryPolicy: RetryPolicy
    /// The longest one call may take, retries included, when the request sets no deadline.
    public let timeout: Duration
    private let redactor: Redactor

    /// Creates a model client.
    public init(
        format: Format, transport: any HTTPTransport, retryPolicy: RetryPolicy = RetryPolicy(),
        timeout: Duration = .seconds(600)
    ) {
        self.format = format
        self.transport = transport
        self.retryPolicy = retryPolicy
        self.timeout = timeout
        self.redactor = Redactor().adding(format.credential)
    }

    private func deadline(for request: ChatRequest) -> ContinuousClock.Instant {
        let own = ContinuousClock.now.advanced(by: timeout)
        return request.deadline.map { min($0, own) } ?? own
    }

    /// One call, retried on retryable failures.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let deadline = deadline(for: request)
        var attempt = 0
        while true {
            do {
                var http = try format.makeRequest(request, stream: false)
                http.deadline = deadline
                let response = try await transport.send(http)
                guard (200..<300).contains(response.status) else {
                    throw format.parseError(status: response.status, headers: response.headers, body: response.body)
                }
                return try format.parseResponse(response.body, for: request)
            } catch {
                let failure = normalize(error)
                guard let wait = retryPolicy.delay(beforeRetry: attempt, after: failure, deadline: deadline) else {
                    throw failure
                }
                attempt += 1
                ProviderRetries.notify(failure, attempt: attempt, delay: wait)
                try await pause(wait)
            }
        }
    }

    /// One streamed call. Failures before the first delta are retried; later ones end the stream.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatDelta, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ChatDelta, any Error>.makeStream()
        let task = Task {
            let deadline = deadline(for: request)
            var attempt = 0
            var delivered = false
            while true {
                do {
                    try await streamOnce(request, deadline: deadline, continuation: continuation, delivered: &delivered)
                    continuation.finish()
                    return
                } catch {
                    let failure = normalize(error)
                    guard !delivered,
                        let wait = retryPolicy.delay(beforeRetry: attempt, after: failure, deadline: deadline)
                    else {
                        continuation.finish(throwing: failure)
                        return
                    }
                    attempt += 1
                    ProviderRetries.notify(failure, attempt: attempt, delay: wait)
                    do { try await pause(wait) } catch {
                        continuation.finish(throwing: normalize(error))
                        return
                    }
                }
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func streamOnce(
        _ request: ChatRequest, deadline: ContinuousClock.Instant,
        continuation: AsyncThrowingStream<ChatDelta, any Error>.Continuation, delivered: inout Bool
    ) async throws {
        var http = try format.makeRequest(request, stream: true)
        http.deadline = deadline
        let response = try await transport.stream(http)
        guard (200..<300).contains(response.status) else {
            var body: [UInt8] = []
            for try await chunk in response.body where body.count < 1 << 20 { body += chunk }
            throw format.parseError(status: response.status, headers: response.headers, body: body)
        }
        // Some compatible servers ignore `stream: true` and answer with one JSON body: accept it.
        if let type = response.headers["content-type"]?.lowercased(), type.hasPrefix("application/json") {
            var body: [UInt8] = []
            for try await chunk in response.body { body += chunk }
            let whole = try format.parseResponse(body, for: request)
            if let text = whole.text, !text.isEmpty {
                continuation.yield(.text(text))
                delivered = true
            }
            for (index, call) in whole.toolCalls.enumerated() {
                continuation.yield(.toolCall(index: index, id: call.id, name: call.name, arguments: call.arguments))
            }
            continuation.yield(.completed(whole))
            return
        }
        var decoder = format.makeStreamDecoder(for: request)
        var parser = ServerSentEventParser(framing: decoder.framing)
        for try await chunk in response.body {
            for event in parser.feed(chunk) {
                for delta in try decoder.decode(event) {
                    continuation.yield(delta)
                    delivered = true
                }
            }
        }
        for event in parser.finish() {
            for delta in try decoder.decode(event) {
                continuation.yield(delta)
                delivered = true
            }
        }
        var answer = try decoder.finish()
        // A stream that ended without usage (a server that ignores `stream_options`) is estimated, not booked as free.
        if answer.usage.isEmpty { answer.usage = .estimate(request: request, response: answer) }
        continuation.yield(.completed(answer))
    }

    private func pause(_ wait: Duration) async throws {
        do {
            try await Task.sleep(for: wait)
        } catch {
            throw ProviderError(code: .cancelled, message: "the call was cancelled", provider: format.provider)
        }
    }

    /// Any failure as a ``ProviderError`` with secrets masked.
    private func normalize(_ error: any Error) -> ProviderError {
        var failure: ProviderError
        switch error {
        case let error as ProviderError:
            failure = error
        case let error as HTTPTransportError:
            switch error.kind {
            case .timeout: failure = ProviderError(code: .timeout, message: error.message, provider: format.provider)
            case .cancelled:
                failure = ProviderError(code: .cancelled, message: error.message, provider: format.provider)
            case .connection:
                failure = ProviderError(code: .connection, message: error.message, provider: format.provider)
            case .responseTooLarge, .redirect, .egress:
                failure = ProviderError(code: .invalidResponse, message: error.message, provider: format.provider)
            }
        case is CancellationError:
            failure = ProviderError(code: .cancelled, message: "the call was cancelled", provider: format.provider)
        default:
            failure = ProviderError(code: .connection, message: String(describing: error), provider: format.provider)
        }
        if Task.isCancelled, failure.code != .cancelled {
            failure = ProviderError(code: .cancelled, message: "the call was cancelled", provider: format.provider)
        }
        failure.provider = failure.provider ?? format.provider
        failure.message = redactor.redact(failure.message)
        return failure
    }
}
