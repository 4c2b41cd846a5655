import AgentRuntime
import Foundation
import JWTKit

/// An OIDC issuer's signing keys, fetched from its JWKS through the runtime's `HTTPTransport` and kept.
///
/// Keys are fetched on first use, again once they are older than the cache duration, and again when a token names a
/// key id the set does not hold (the issuer rotated its keys), but never more often than the minimum refresh
/// interval, so tokens with made-up key ids cannot make the service hammer the issuer. Concurrent requests share one
/// fetch. When the issuer is unreachable, the keys already fetched keep working.
actor JWKSKeyCache {
    /// One fetched key set.
    struct KeySet: Sendable {
        /// The keys, ready to verify signatures.
        let collection: JWTKeyCollection
        /// What each key is, by key id.
        let entries: [String: Entry]
        /// When the set was fetched.
        let fetchedAt: Date
        /// Where it came from.
        let source: URL
    }

    /// A key's type (`RSA`, `EC`, `OKP`), its `alg` when the set names one, and its curve.
    struct Entry: Sendable {
        let keyType: String
        let algorithm: String?
        let curve: String?
    }

    /// Why the keys could not be had.
    struct FetchFailure: Error, CustomStringConvertible {
        let description: String
    }

    private let settings: OIDCSettings
    private let transport: any HTTPTransport
    private var current: KeySet?
    private var jwksURL: URL?
    private var lastAttempt: Date?
    private var lastFailure: String?
    private var inFlight: Task<Void, Never>?

    init(settings: OIDCSettings, transport: any HTTPTransport) {
        self.settings = settings
        self.transport = transport
        jwksURL = settings.jwksURL
    }

    /// The key set holding `kid` (any set when nil), fetching it when needed. 401 when the issuer's keys do not
    /// include `kid`; 503 when the keys cannot be fetched and none that would do are cached.
    func keys(for kid: String?, now: Date) async throws(GatewayError) -> KeySet {
        if let current, now.timeIntervalSince(current.fetchedAt) < settings.jwksCacheDuration.seconds,
            kid.map({ current.entries[$0] != nil }) ?? true
        {
            return current
        }
        if inFlight == nil, lastAttempt.map({ now.timeIntervalSince($0) >= minimumInterval }) ?? true {
            lastAttempt = now
            inFlight = Task { await refresh(at: now) }
        }
        if let inFlight { await inFlight.value }
        guard let current else {
            throw GatewayError(
                .unavailable,
                "cannot check the token: the signing keys of \(settings.issuer) could not be fetched (\(lastFailure ?? "not fetched yet"))",
                retryAfter: Int(minimumInterval.rounded(.up)))
        }
        if let kid, current.entries[kid] == nil {
            if let lastFailure {
                throw GatewayError(
                    .unavailable,
                    "cannot check the token: key \"\(kid)\" is not among the cached keys of \(settings.issuer), and fetching them again failed (\(lastFailure))",
                    retryAfter: Int(minimumInterval.rounded(.up)))
            }
            throw GatewayError(.unauthorized, "key \"\(kid)\" is not among the signing keys of \(current.source)")
        }
        return current
    }

    private var minimumInterval: Double { settings.jwksMinimumRefreshInterval.seconds }

    private func refresh(at now: Date) async {
        defer { inFlight = nil }
        do {
            let url = try await keySetURL()
            current = try await download(url, at: now)
            lastFailure = nil
        } catch {
            lastFailure = "\(error)"
        }
    }

    /// The configured `jwks_url`, or the `jwks_uri` of the issuer's discovery document (whose `issuer` must be the
    /// configured one, as OpenID Connect Discovery requires).
    private func keySetURL() async throws -> URL {
        if let jwksURL { return jwksURL }
        guard let discovery = settings.discoveryURL else {
            throw FetchFailure(description: "the issuer \(settings.issuer) is not a URL")
        }
        let document = try await fetchJSON(discovery)
        guard document["issuer"]?.stringValue == settings.issuer else {
            throw FetchFailure(
                description:
                    "\(discovery) names issuer \(document["issuer"]?.serialized() ?? "none"), not \"\(settings.issuer)\""
            )
        }
        guard let text = document["jwks_uri"]?.stringValue, let url = URL(string: text), url.host != nil else {
            throw FetchFailure(description: "\(discovery) has no jwks_uri")
        }
        jwksURL = url
        return url
    }

    private func download(_ url: URL, at now: Date) async throws -> KeySet {
        let document = try await fetchJSON(url)
        guard let items = document["keys"]?.arrayValue else {
            throw FetchFailure(description: "\(url) is not a JSON Web Key Set (no \"keys\" array)")
        }
        let collection = JWTKeyCollection()
        var entries: [String: Entry] = [:]
        for item in items {
            // Signing keys only: encryption keys, symmetric keys and keys without an id are skipped.
            guard let kid = item["kid"]?.stringValue, let keyType = item["kty"]?.stringValue,
                ["RSA", "EC", "OKP"].contains(keyType), (item["use"]?.stringValue ?? "sig") == "sig",
                let jwk = try? JSONDecoder().decode(JWK.self, from: Data(item.serialized().utf8))
            else { continue }
            do { try await collection.add(jwk: jwk) } catch { continue }
            entries[kid] = Entry(
                keyType: keyType, algorithm: item["alg"]?.stringValue, curve: item["crv"]?.stringValue)
        }
        guard !entries.isEmpty else { throw FetchFailure(description: "\(url) holds no usable signing key") }
        return KeySet(collection: collection, entries: entries, fetchedAt: now, source: url)
    }

    private func fetchJSON(_ url: URL) async throws -> JSONValue {
        let request = HTTPRequest(
            method: "GET", url: url, headers: ["Accept": "application/json"],
            deadline: .now + .seconds(10))
        let response = try await transport.send(request, limit: 1 << 20)
        guard response.status == 200 else { throw FetchFailure(description: "\(url) answered \(response.status)") }
        do {
            return try JSONParser.value(response.body)
        } catch {
            throw FetchFailure(description: "\(url) did not answer JSON (\(error))")
        }
    }
}
