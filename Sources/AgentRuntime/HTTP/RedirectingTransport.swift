import Foundation

/// Follows redirects for a transport that does not, under rules that keep credentials where they were sent.
///
/// The adapters (`URLSessionTransport`, the NIO transport) never follow redirects themselves, so these rules are
/// the only way a request moves to another URL:
/// - at most `maxRedirects` hops, then a `.redirect` error;
/// - only to `http` or `https`, never from `https` down to `http`;
/// - 303 (and 301/302 after anything but GET or HEAD) continues as a GET without a body; 307 and 308 keep the
///   method and body, but only on the same origin: a body is never resent to another origin;
/// - to another origin (scheme, host or port differ) only harmless headers travel (`Accept`, `Accept-Language`,
///   `User-Agent`, ...): `Authorization`, API-key and every other header is dropped.
public struct RedirectingTransport: HTTPTransport {
    /// The transport that sends each hop.
    public let base: any HTTPTransport
    /// Hops allowed per request.
    public let maxRedirects: Int

    /// Header names that may follow a redirect to another origin (lower-case).
    public static let crossOriginHeaders: Set<String> = [
        "accept", "accept-language", "accept-encoding", "user-agent", "cache-control", "x-request-id",
    ]

    /// Wraps `base`.
    public init(_ base: any HTTPTransport, maxRedirects: Int = 5) {
        self.base = base
        self.maxRedirects = maxRedirects
    }

    /// Sends `request`, following redirects under the rules above.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        var current = request
        var hops = 0
        while true {
            let response = try await base.stream(current)
            guard [301, 302, 303, 307, 308].contains(response.status), let location = response.headers["location"]
            else { return response }
            // The redirect's own body is not wanted: dropping the stream closes it.
            let next = try Self.follow(current, status: response.status, location: location)
            hops += 1
            guard hops <= maxRedirects else {
                throw HTTPTransportError(
                    kind: .redirect, message: "more than \(maxRedirects) redirects (last to \(Self.origin(next.url)))")
            }
            current = next
        }
    }

    /// The request to send after `status` with `location`, or an error when the redirect is refused.
    public static func follow(_ request: HTTPRequest, status: Int, location: String) throws -> HTTPRequest {
        guard let target = URL(string: location, relativeTo: request.url)?.absoluteURL,
            let scheme = target.scheme?.lowercased(), target.host != nil
        else {
            throw HTTPTransportError(kind: .redirect, message: "redirect to an invalid location")
        }
        guard scheme == "http" || scheme == "https" else {
            throw HTTPTransportError(kind: .redirect, message: "redirect to a \(scheme) URL refused")
        }
        if request.url.scheme?.lowercased() == "https", scheme == "http" {
            throw HTTPTransportError(
                kind: .redirect, message: "redirect from https to http (\(origin(target))) refused")
        }
        var next = request
        next.url = target
        let method = request.method.uppercased()
        if status == 303 || ((status == 301 || status == 302) && method != "GET" && method != "HEAD") {
            next.method = method == "HEAD" ? "HEAD" : "GET"
            next.body = nil
            next.headers = HTTPHeaders(
                request.headers.fields.filter {
                    !["content-type", "content-length", "content-encoding"].contains($0.name.lowercased())
                })
        }
        if origin(target) != origin(request.url) {
            if next.body != nil {
                throw HTTPTransportError(
                    kind: .redirect,
                    message:
                        "redirect (\(status)) to another origin (\(origin(target))) would resend the request body; refused"
                )
            }
            next.headers = HTTPHeaders(next.headers.fields.filter { crossOriginHeaders.contains($0.name.lowercased()) })
        }
        return next
    }

    /// `scheme://host:port`, with the scheme's default port filled in.
    static func origin(_ url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? ""
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(url.host?.lowercased() ?? ""):\(port)"
    }
}
