import AgentRuntime
import AgentRuntimeTesting
import Testing

@Suite("Tool registry")
struct ToolRegistryTests {
    static func tool(_ id: ToolID, _ description: String = "d", access: ToolAccess = .read) -> ClosureTool {
        ClosureTool(ToolSpec(id: id, description: description, parameters: .object([:]), access: access)) { _ in
            ToolResult(content: "\(id) \(description)")
        }
    }

    @Test("tools are found by id; an unknown id finds nothing")
    func lookup() async throws {
        let registry = ToolRegistry([Self.tool("crm.find"), Self.tool("web.search")])
        #expect(registry.tool("crm.find")?.spec.id == "crm.find")
        #expect(registry.spec("web.search")?.id == "web.search")
        #expect(registry.tool("crm.delete") == nil)
        #expect(registry.spec("crm.delete") == nil)
        #expect(registry.ids == ["crm.find", "web.search"])
        let result = try await registry.tool("web.search")!.call(
            [:], context: ToolContext(runID: "r", agent: "a", principal: .local()))
        #expect(result.content == "web.search d")
    }

    @Test("a later tool with the id of an earlier one replaces it")
    func laterWins() async throws {
        let registry = ToolRegistry([Self.tool("crm.find", "first"), Self.tool("crm.find", "second", access: .write)])
        #expect(registry.ids == ["crm.find"])
        #expect(registry.specs.count == 1)
        #expect(registry.spec("crm.find")?.description == "second")
        #expect(registry.spec("crm.find")?.access == .write)
        let result = try await registry.tool("crm.find")!.call(
            [:], context: ToolContext(runID: "r", agent: "a", principal: .local()))
        #expect(result.content == "crm.find second")
    }

    @Test("specs are sorted by id, and connectors are listed once each, sorted")
    func sorted() {
        let registry = ToolRegistry([
            Self.tool("web.search"), Self.tool("crm.update"), Self.tool("calculator.evaluate"), Self.tool("crm.find"),
        ])
        #expect(registry.specs.map(\.id) == ["calculator.evaluate", "crm.find", "crm.update", "web.search"])
        #expect(registry.connectors == ["calculator", "crm", "web"])
    }

    @Test("an empty registry has no tools")
    func empty() {
        let registry = ToolRegistry([])
        #expect(registry.specs.isEmpty)
        #expect(registry.ids.isEmpty)
        #expect(registry.tool("crm.find") == nil)
    }
}
