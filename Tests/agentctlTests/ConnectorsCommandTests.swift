import AgentRuntime
import AgentRuntimeTesting
import Foundation
import Testing

/// `agentctl connectors list|show|import openapi`.
@Suite("agentctl connectors")
struct ConnectorsCommandTests {
    static let elevation = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Resources/open-meteo-elevation.yml")

    @Test("list names every connector with its source, auth and operations with their access")
    func list() async throws {
        let result = try await AgentCtl.run(["connectors", "list"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let slack = try #require(lines.first { $0.hasPrefix("slack ") })
        #expect(slack.contains("connectors/slack.json"))
        #expect(slack.contains("bearer"))
        #expect(slack.contains("post_message (write)") && slack.contains("list_channels (read)"))
        #expect(
            lines.contains { $0.hasPrefix("wordpress ") && $0.contains("swift") && $0.contains("create_post (write)") })
    }

    @Test("show prints settings, secrets, the auth type and each operation's method and path")
    func show() async throws {
        let result = try await AgentCtl.run(["connectors", "show", "stripe"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("auth: bearer"))
        #expect(result.stdout.contains("secret_key"))
        #expect(result.stdout.contains("stripe.create_customer") && result.stdout.contains("POST"))
        #expect(result.stdout.contains("/customers"))
        let unknown = try await AgentCtl.run(["connectors", "show", "strpe"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains(#"did you mean "stripe"?"#))
    }

    @Test("import openapi turns a real service's published OpenAPI document into a definition that validates")
    func importOpenAPI() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for folder in ["agents/operations", "connectors", "tenants"] {
            try FileManager.default.createDirectory(
                at: directory.url.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let output = directory.url.appendingPathComponent("connectors/open_meteo_elevation.json")
        let imported = try await AgentCtl.run(
            [
                "connectors", "import", "openapi", Self.elevation.path, "--operations", "get_v1_elevation",
                "--id", "open_meteo_elevation", "--output", output.path,
            ], in: directory.url)
        #expect(imported.status == 0, "\(imported.stderr)")
        let definition = try JSONParser.value(Array(try Data(contentsOf: output)))
        #expect(definition["base_url"] == "https://api.open-meteo.com")
        #expect(definition["allowed_hosts"] == ["api.open-meteo.com"])
        #expect(definition["notes"] == "imported from OpenAPI; add examples before shipping")
        let operation = try #require(definition["operations"]?[0])
        #expect(operation["id"] == "get_v1_elevation")
        #expect(operation["access"] == "read")
        #expect(operation["method"] == "GET")
        #expect(operation["path"] == "/v1/elevation")
        #expect(operation["query"] == ["latitude": "{latitude}", "longitude": "{longitude}", "apikey": "{apikey}"])
        #expect(operation["parameters"]?["required"] == ["latitude", "longitude"])
        #expect(operation["description"]?.stringValue?.hasPrefix("Get terrain elevation for coordinates") == true)

        // The catalog loads it: validate reports no error, and the tool is offered by `tools list`.
        try
            #"{"id": "surveyor", "name": "Surveyor", "category": "operations", "role": "r", "goal": "g", "backstory": "b", "tools": ["open_meteo_elevation.get_v1_elevation"]}"#
            .write(
                to: directory.url.appendingPathComponent("agents/operations/surveyor.json"), atomically: true,
                encoding: .utf8)
        let validated = try await AgentCtl.run(["validate"], in: directory.url)
        #expect(validated.status == 0, "\(validated.stdout)\(validated.stderr)")
        let tools = try await AgentCtl.run(["tools", "list"], in: directory.url)
        #expect(tools.stdout.contains("open_meteo_elevation.get_v1_elevation"))

        let missing = try await AgentCtl.run(
            ["connectors", "import", "openapi", Self.elevation.path, "--operations", "listThings"], in: directory.url)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains(#"no operation "listThings" in the document (operations: get_v1_elevation)"#))
    }

    @Test("validate reports a broken connector file at its line and column")
    func validateConnector() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for folder in ["agents/operations", "connectors"] {
            try FileManager.default.createDirectory(
                at: directory.url.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try #"""
        {"id": "shop", "name": "Shop", "description": "d", "base_url": "https://{store}.example.com",
         "operations": [{"id": "get_order", "description": "d", "access": "read", "method": "GET",
           "path": "/orders/{order_id}", "parameters": {"type": "object", "properties": {}}, "respons": {}}]}
        """#.write(to: directory.url.appendingPathComponent("connectors/shop.json"), atomically: true, encoding: .utf8)
        let result = try await AgentCtl.run(["validate"], in: directory.url)
        #expect(result.status == 1)
        #expect(
            result.stdout.contains(
                #"connectors/shop.json:1:64: error: {store}: setting "store" is not declared under "settings""#),
            "\(result.stdout)")
        #expect(
            result.stdout.contains(#"connectors/shop.json:3:12: error: path argument {order_id} is not declared"#),
            "\(result.stdout)")
        #expect(
            result.stdout.contains(#"unknown field "respons" in operation; did you mean "response"?"#),
            "\(result.stdout)")
    }
}
