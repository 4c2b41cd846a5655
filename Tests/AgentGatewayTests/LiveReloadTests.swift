import AgentGateway
import AgentRuntime
import AgentRuntimeTesting
import Agents
import Clocks
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Holds the first model call until the test lets it go.
private actor Gate {
    private var waiting: CheckedContinuation<Void, Never>?
    private var arrived: CheckedContinuation<Void, Never>?
    private var isWaiting = false

    func wait() async {
        isWaiting = true
        arrived?.resume()
        arrived = nil
        await withCheckedContinuation { waiting = $0 }
    }

    func untilWaiting() async {
        if isWaiting { return }
        await withCheckedContinuation { arrived = $0 }
    }

    func open() {
        waiting?.resume()
        waiting = nil
    }
}

/// `serve` watching its definition files: edits live for new runs, runs in flight unchanged, invalid edits refused
/// with their diagnostics, every change audited.
@Suite("Live reload of definitions")
struct LiveReloadTests {
    typealias F = GatewayFixture

    static func system(_ request: ChatRequest) -> String {
        request.messages.first.flatMap { if case .system(let text) = $0 { text } else { nil } } ?? ""
    }

    static func edit(_ fixture: F, _ relative: String, _ change: (String) -> String) throws {
        let file = fixture.directory.url.appendingPathComponent(relative)
        try Data(change(try String(contentsOf: file, encoding: .utf8)).utf8).write(to: file, options: .atomic)
    }

    @Test("a file edited on disk is live for new runs; a run started before it finishes with the old definition")
    func editLiveRunInFlightKeepsOld() async throws {
        let gate = Gate()
        let fixture = try F { request in
            let system = Self.system(request)
            if system.contains("Senior SEO Specialist") { await gate.wait() }
            return ScriptedChatModel.text(system.contains("Principal SEO Strategist") ? "as new" : "as old")
        }
        defer { fixture.directory.remove() }
        let before = await fixture.services.catalog.version
        try await fixture.app.test(.router) { client in
            let invoke: @Sendable () async throws -> String? = {
                try await client.execute(
                    uri: "/v1/agents/seo-specialist/invoke", method: .post, headers: F.headers(),
                    body: F.body(["prompt": "Who are you?"])
                ) { try F.json($0)["data"]?["output"]?.stringValue }
            }
            let first = Task { try await invoke() }
            await gate.untilWaiting()
            try Self.edit(fixture, "agents/marketing/seo-specialist.json") {
                $0.replacingOccurrences(of: "Senior SEO Specialist", with: "Principal SEO Strategist")
            }
            await fixture.services.checkDefinitions()
            #expect(await fixture.services.catalog.version == before + 1)
            try await client.execute(uri: "/v1/agents/seo-specialist", method: .get, headers: F.headers()) {
                try #expect(F.json($0)["data"]?["role"] == "Principal SEO Strategist")
            }
            #expect(try await invoke() == "as new", "a run started after the edit uses it")
            await gate.open()
            #expect(try await first.value == "as old", "the run in flight kept the definition it started with")
        }
        // Audited as a change from disk, with a diff, and stored as the agent's next version.
        let entries = try await fixture.services.store.auditEntries(AuditQuery(kind: "agent"))
        let entry = try #require(entries.first)
        #expect(entry.user == "file" && entry.tool == "config.agent_update" && entry.outcome == "applied")
        #expect(entry.tenant == AuditEntry.platformTenant && entry.agent == "seo-specialist")
        #expect(entry.diff.contains(#"-  "role": "Senior SEO Specialist","#))
        #expect(entry.diff.contains(#"+  "role": "Principal SEO Strategist","#))
        #expect(entry.diff.hasPrefix("--- a/"))
        let versions = try await fixture.services.store.agentVersions("seo-specialist")
        #expect(versions.map(\.user) == ["file", "file"])
        #expect(versions.first?.content.contains("Principal SEO Strategist") == true)
        // Nothing changed since: the next look loads nothing and audits nothing.
        await fixture.services.checkDefinitions()
        #expect(try await fixture.services.store.auditEntries(AuditQuery(kind: "agent")).count == 1)
    }

    @Test(
        "an invalid edit keeps the previous definitions serving; its diagnostics are at /v1/admin/catalog and readiness says degraded"
    )
    func invalidEditKeepsOld() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let version = await fixture.services.catalog.version
        try Self.edit(fixture, "agents/marketing/seo-specialist.json") {
            $0.replacingOccurrences(of: #""role": "Senior SEO Specialist","#, with: #""role": "Broken" "#)
        }
        await fixture.services.checkDefinitions()
        #expect(await fixture.services.catalog.version == version)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/agents/seo-specialist", method: .get, headers: F.headers()) {
                try #expect(F.json($0)["data"]?["role"] == "Senior SEO Specialist")
            }
            try await client.execute(uri: "/v1/admin/catalog", method: .get, headers: F.headers()) {
                #expect($0.status == .forbidden, "tenant roles do not read the admin view")
            }
            try await client.execute(
                uri: "/v1/admin/catalog", method: .get, headers: F.headers(roles: "platform_admin")
            ) { response in
                #expect(response.status == .ok)
                let data = try F.json(response)["data"]
                #expect(data?["status"] == "degraded")
                #expect(data?["version"] == .int(version))
                #expect(data?["loaded_at"]?.stringValue != nil)
                let diagnostic = try #require(data?["diagnostics"]?.arrayValue?.first)
                #expect(diagnostic["file"]?.stringValue?.hasSuffix("agents/marketing/seo-specialist.json") == true)
                #expect(diagnostic["code"] == "syntax-error")
                #expect((diagnostic["line"]?.intValue ?? 0) > 1 && (diagnostic["column"]?.intValue ?? 0) > 1)
            }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok, "degraded is still ready")
                let data = try F.json(response)["data"]
                #expect(data?["status"] == "degraded")
                #expect(data?["checks"]?["definitions"]?["detail"]?.stringValue?.hasPrefix("degraded") == true)
            }
        }
        // Refused changes are audited too, with the errors.
        let rejected = try await fixture.services.store.auditEntries(AuditQuery(outcome: "rejected"))
        #expect(rejected.count == 1 && rejected.first?.detail.contains("seo-specialist.json") == true)
        // Put back as it was: not degraded any more, and nothing new to load.
        try Self.edit(fixture, "agents/marketing/seo-specialist.json") {
            $0.replacingOccurrences(of: #""role": "Broken" "#, with: #""role": "Senior SEO Specialist","#)
        }
        await fixture.services.checkDefinitions()
        #expect(await fixture.services.catalog.rejectedDiagnostics.isEmpty)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) {
                try #expect(F.json($0)["data"]?["status"] == "ready")
            }
        }
    }

    @Test("the watcher looks on its clock's ticks: an edit is loaded at the next tick, not before")
    func watcherTicks() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let clock = TestClock()
        let watcher = DefinitionWatcher(services: fixture.services, interval: .milliseconds(500), clock: clock)
        let running = Task { try await watcher.run() }
        defer { running.cancel() }
        let version = await fixture.services.catalog.version
        await clock.waitForSleeper()
        try Self.edit(fixture, "agents/marketing/seo-specialist.json") {
            $0.replacingOccurrences(of: "Senior SEO Specialist", with: "Principal SEO Strategist")
        }
        #expect(await fixture.services.catalog.version == version, "not before the tick")
        await clock.advance(by: .milliseconds(500))
        // The watcher sleeps again once it has looked.
        await clock.waitForSleeper()
        #expect(await fixture.services.catalog.version == version + 1)
        #expect(await fixture.services.catalog.catalog.agent("seo-specialist")?.role == "Principal SEO Strategist")
    }

    @Test(
        "a PUT is audited once, with its diff (the watcher does not report it again), and a version can be shown and restored"
    )
    func putAuditAndRestore() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let file = fixture.directory.url.appendingPathComponent("agents/marketing/seo-specialist.json")
        let original = try String(contentsOf: file, encoding: .utf8)
        let updated = original.replacingOccurrences(of: "Senior SEO Specialist", with: "Principal SEO Strategist")
        let admin = F.headers(roles: "platform_admin", user: "grace")
        try await fixture.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/agents/seo-specialist", method: .put, headers: admin, body: ByteBuffer(string: updated)
            ) { #expect($0.status == .ok) }
            await fixture.services.checkDefinitions()
            let entries = try await fixture.services.store.auditEntries(AuditQuery(kind: "agent"))
            #expect(entries.count == 1, "\(entries.map(\.user))")
            #expect(entries.first?.user == "grace" && entries.first?.tool == "config.agent_update")
            #expect(entries.first?.diff.contains(#"+  "role": "Principal SEO Strategist","#) == true)
            #expect(entries.first?.arguments.contains(#""version":2"#) == true)
            try await client.execute(uri: "/v1/agents/seo-specialist/versions/1", method: .get, headers: admin) {
                response in
                #expect(response.status == .ok)
                let data = try F.json(response)["data"]
                #expect(data?["content"]?.stringValue == original && data?["user"] == "file")
            }
            try await client.execute(uri: "/v1/agents/seo-specialist/versions/9", method: .get, headers: admin) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: "/v1/agents/seo-specialist/versions/1/restore", method: .post, headers: F.headers()
            ) { #expect($0.status == .forbidden) }
            try await client.execute(
                uri: "/v1/agents/seo-specialist/versions/1/restore", method: .post, headers: admin
            ) { response in
                #expect(response.status == .ok)
                try #expect(F.json(response)["data"]?["version"] == 3)
                try #expect(F.json(response)["data"]?["agent"]?["role"] == "Senior SEO Specialist")
            }
            #expect(try String(contentsOf: file, encoding: .utf8) == original)
            #expect(await fixture.services.catalog.catalog.agent("seo-specialist")?.role == "Senior SEO Specialist")
            let restore = try await fixture.services.store.auditEntries(AuditQuery(tool: "config.agent_restore"))
            #expect(restore.count == 1 && restore.first?.detail == "restored version 1")
            #expect(restore.first?.diff.contains(#"+  "role": "Senior SEO Specialist","#) == true)
            #expect(try await fixture.services.store.agentVersions("seo-specialist").map(\.version) == [3, 2, 1])
        }
    }

    @Test("GET /v1/audit: a tenant admin reads only its tenant; platform roles read all; filters and cursor pages")
    func auditRoute() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let store = fixture.services.store
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for (index, (tenant, tool, outcome)) in [
            ("acme", "web.fetch", "allowed"), ("globex", "web.fetch", "allowed"), ("acme", "slack.post", "denied"),
            ("acme", "web.fetch", "failed"),
        ].enumerated() {
            try await store.appendAudit(
                AuditEntry(
                    time: start.addingTimeInterval(Double(index) * 60), tenant: TenantID(tenant), user: "ada",
                    roles: ["tenant_user"], runID: RunID("r\(index)"), agent: "writer", tool: tool, outcome: outcome,
                    durationMS: 5, arguments: "{}", detail: ""))
        }
        try await fixture.app.test(.router) { client in
            func tools(_ query: String, _ headers: HTTPFields) async throws -> [String] {
                try await client.execute(uri: "/v1/audit\(query)", method: .get, headers: headers) { response in
                    #expect(response.status == .ok)
                    return (try F.json(response)["data"]?.arrayValue ?? []).compactMap { $0["tool"]?.stringValue }
                }
            }
            try await client.execute(uri: "/v1/audit", method: .get, headers: F.headers(roles: "tenant_user")) {
                #expect($0.status == .forbidden)
            }
            let acme = F.headers()
            #expect(try await tools("", acme) == ["web.fetch", "slack.post", "web.fetch"])
            #expect(try await tools("", F.headers(tenant: "globex")) == ["web.fetch"])
            try await client.execute(uri: "/v1/audit?tenant=globex", method: .get, headers: acme) {
                #expect($0.status == .forbidden)
            }
            let platform = F.headers(roles: "platform_admin")
            #expect(try await tools("", platform).count == 4)
            #expect(try await tools("?tenant=globex", platform) == ["web.fetch"])
            #expect(try await tools("?outcome=denied", acme) == ["slack.post"])
            #expect(try await tools("?tool=web.fetch&outcome=failed", acme) == ["web.fetch"])
            #expect(try await tools("?actor=bob", acme).isEmpty)
            #expect(try await tools("?kind=tool_call", acme).count == 3)
            #expect(
                try await tools("?from=2027-01-15T08:01:00Z&to=2027-01-15T08:03:00Z", platform) == [
                    "web.fetch", "slack.post",
                ])
            try await client.execute(uri: "/v1/audit?from=yesterday", method: .get, headers: acme) {
                #expect($0.status == .badRequest)
            }
            // Pages of two: the cursor of the first leads to the rest.
            let cursor = try await client.execute(uri: "/v1/audit?limit=2", method: .get, headers: platform) {
                response in
                let body = try F.json(response)
                #expect(body["data"]?.arrayValue?.count == 2)
                return try #require(body["meta"]?["next_cursor"]?.stringValue)
            }
            #expect(try await tools("?limit=2&cursor=\(cursor)", platform) == ["slack.post", "web.fetch"])
        }
    }

    @Test(
        "tenant files reload live (policy and who may call), audited per tenant with a diff; an invalid one is refused")
    func tenantsReload() async throws {
        let fixture = try F()
        defer { fixture.directory.remove() }
        let tenants = try TemporaryDirectory()
        defer { tenants.remove() }
        try tenants.write("tenants/acme.json", #"{"id": "acme", "name": "Acme"}"#)
        let directory = tenants.url.appendingPathComponent("tenants")
        let source = SettingsSource(paths: [directory]) {
            let loaded = TenantCatalog.load(directory, knownTools: [], displayBase: tenants.url)
            var files: [String: String] = [:]
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
                files["tenants/\(name)"] = try? String(
                    contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            }
            let errors = loaded.diagnostics.filter { $0.severity == .error }
            return SettingsLoad(files: files, tenants: errors.isEmpty ? loaded.tenants : nil, errors: errors)
        }
        var services = fixture.services
        services.settingsSource = source
        await services.checkDefinitions()
        #expect(services.tenants.keys.sorted() == ["acme", "globex"], "the first look takes the files as they are")
        #expect(try await services.store.auditEntries(AuditQuery(kind: "tenant")).isEmpty)
        let application = Application(router: Gateway.router(services))
        let initech = F.headers(tenant: "initech")
        try await application.test(.router) { client in
            try await client.execute(uri: "/v1/agents", method: .get, headers: initech) {
                #expect($0.status != .ok, "not a tenant yet")
            }
        }
        try tenants.write("tenants/initech.json", #"{"id": "initech", "name": "Initech"}"#)
        await services.checkDefinitions()
        #expect(services.tenants.keys.sorted() == ["acme", "initech"])
        try await application.test(.router) { client in
            try await client.execute(uri: "/v1/agents", method: .get, headers: initech) {
                #expect($0.status == .ok, "a tenant added on disk may call at once")
            }
        }
        let added = try await services.store.auditEntries(AuditQuery(tenant: "initech"))
        #expect(added.map(\.kind) == ["tenant"] && added.first?.user == "file")
        #expect(added.first?.diff.contains(#"+{"id": "initech", "name": "Initech"}"#) == true)
        try tenants.write("tenants/initech.json", #"{"id": "initech", "name": 5}"#)
        await services.checkDefinitions()
        #expect(services.tenants.keys.sorted() == ["acme", "initech"], "the previous tenants keep serving")
        try await application.test(.router) { client in
            try await client.execute(
                uri: "/v1/admin/catalog", method: .get, headers: F.headers(roles: "platform_admin")
            ) { response in
                let settings = try F.json(response)["data"]?["settings"]
                #expect(settings?["diagnostics"]?.arrayValue?.first?["file"] == "tenants/initech.json")
                try #expect(F.json(response)["data"]?["status"] == "degraded")
            }
        }
    }
}
