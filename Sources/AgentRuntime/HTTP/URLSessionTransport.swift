import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// ``HTTPTransport`` over URLSession (libcurl on Linux).
///
/// Bodies stream through one session delegate that routes each task's
/// callbacks to its own stream (Linux ignores per-task delegates). The overall
/// deadline is enforced here, since URLSession's own timeouts are idle
/// timeouts in whole seconds. Cookies and caches are off: tenants share the
/// session, never state. Redirects are delivered, not followed (wrap it in
/// ``RedirectingTransport`` to follow them safely).
///
/// On Linux, libcurl keeps about one core busy while any request is in flight;
/// the NIO transport (module `NIOTransport`) is the runtime's default.
public final class URLSessionTransport: HTTPTransport, Sendable {
    private let session: URLSession
    private let router: TaskRouter

    /// Creates a transport.
    /// - Parameters:
    ///   - maximumConnectionsPerHost: concurrent connections per host (URLSession's default, 6, would cap concurrency).
    ///   - idleTimeout: seconds without any byte before a request fails.
    public init(maximumConnectionsPerHost: Int = 512, idleTimeout: TimeInterval = 300) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = maximumConnectionsPerHost
        configuration.timeoutIntervalForRequest = max(1, idleTimeout.rounded(.up))
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        router = TaskRouter()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        session = URLSession(configuration: configuration, delegate: router, delegateQueue: queue)
    }

    deinit { session.invalidateAndCancel() }

    /// Starts the request; returns when the response head arrives.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        for field in request.headers { urlRequest.addValue(field.value, forHTTPHeaderField: field.name) }
        if let body = request.body { urlRequest.httpBody = Data(body) }

        if let deadline = request.deadline, deadline <= .now {
            throw HTTPTransportError(kind: .timeout, message: "deadline passed before the request was sent")
        }
        try Task.checkCancellation()

        let task = session.dataTask(with: urlRequest)
        let (body, bodyContinuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let id = task.taskIdentifier
        let watchdog: Task<Void, Never>? = request.deadline.map { deadline in
            Task { [router] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                if !Task.isCancelled { router.expire(id, task: task) }
            }
        }
        bodyContinuation.onTermination = { [router] termination in
            watchdog?.cancel()
            if case .cancelled = termination { router.abandon(id, task: task) }
        }
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (headContinuation: CheckedContinuation<(Int, HTTPHeaders), any Error>) in
                router.register(id, head: headContinuation, body: bodyContinuation)
                task.resume()
            }
        } onCancel: { [router] in
            router.abandon(id, task: task)
        }
        return HTTPStreamingResponse(status: head.0, headers: head.1, body: body)
    }
}

/// Routes one session's delegate callbacks to each task's continuations.
///
/// `@unchecked Sendable`: its only mutable state is the routing table, and every
/// access holds `lock`. URLSession calls it on its serial delegate queue.
private final class TaskRouter: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private struct Route {
        var head: CheckedContinuation<(Int, HTTPHeaders), any Error>?
        var body: AsyncThrowingStream<[UInt8], any Error>.Continuation
        var failure: HTTPTransportError?
    }

    private let lock = NSLock()
    private var routes: [Int: Route] = [:]

    func register(
        _ id: Int, head: CheckedContinuation<(Int, HTTPHeaders), any Error>,
        body: AsyncThrowingStream<[UInt8], any Error>.Continuation
    ) {
        lock.withLock { routes[id] = Route(head: head, body: body) }
    }

    /// The deadline passed: fail the task as a timeout.
    func expire(_ id: Int, task: URLSessionTask) {
        fail(
            id, HTTPTransportError(kind: .timeout, message: "the request did not finish before its deadline"),
            task: task)
    }

    /// The caller went away: cancel the task.
    func abandon(_ id: Int, task: URLSessionTask) {
        fail(id, HTTPTransportError(kind: .cancelled, message: "the request was cancelled"), task: task)
    }

    private func fail(_ id: Int, _ error: HTTPTransportError, task: URLSessionTask) {
        let route: Route? = lock.withLock {
            guard var route = routes[id] else { return nil }
            routes[id] = nil
            route.failure = error
            return route
        }
        guard let route else { return }
        route.head?.resume(throwing: error)
        route.body.finish(throwing: error)
        task.cancel()
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        let head: CheckedContinuation<(Int, HTTPHeaders), any Error>? = lock.withLock {
            let head = routes[dataTask.taskIdentifier]?.head
            routes[dataTask.taskIdentifier]?.head = nil
            return head
        }
        let http = response as? HTTPURLResponse
        var headers = HTTPHeaders()
        for (name, value) in http?.allHeaderFields ?? [:] {
            headers.set(String(describing: name), String(describing: value))
        }
        head?.resume(returning: (http?.statusCode ?? 0, headers))
        completionHandler(.allow)
    }

    /// Redirects are not followed here: the 3xx response is delivered, and ``RedirectingTransport`` decides.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let body = lock.withLock { routes[dataTask.taskIdentifier]?.body }
        body?.yield([UInt8](data))
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let route: Route? = lock.withLock {
            let route = routes[task.taskIdentifier]
            routes[task.taskIdentifier] = nil
            return route
        }
        guard let route else { return }
        if let error {
            let mapped = Self.map(error)
            route.head?.resume(throwing: mapped)
            route.body.finish(throwing: mapped)
        } else {
            route.head?.resume(
                throwing: HTTPTransportError(kind: .connection, message: "connection closed before a response"))
            route.body.finish()
        }
    }

    static func map(_ error: any Error) -> HTTPTransportError {
        guard let urlError = error as? URLError else {
            return HTTPTransportError(kind: .connection, message: String(describing: error))
        }
        switch urlError.code {
        case .cancelled: return HTTPTransportError(kind: .cancelled, message: "the request was cancelled")
        case .timedOut: return HTTPTransportError(kind: .timeout, message: "no data received within the idle timeout")
        default: return HTTPTransportError(kind: .connection, message: urlError.localizedDescription)
        }
    }
}
