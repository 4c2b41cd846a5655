import AgentRuntime
import Testing

@Suite("Templates and identifiers")
struct TemplateTests {
    @Test("finds identifier placeholders and ignores other braces")
    func placeholders() {
        let text = #"Write about {topic} for {audience_2}; format {"a": 1} and { spaced } and {{literal}} and {topic}."#
        #expect(Template.names(in: text) == ["topic", "audience_2"])
        #expect(Template.placeholders(in: text).count == 3)
    }

    @Test("renders values and reports the missing ones")
    func render() {
        let result = Template.render("Hi {name}, {{x}} is {missing}.", values: ["name": "Ada"])
        #expect(result.text == "Hi Ada, {x} is {missing}.")
        #expect(result.missing == ["missing"])
    }

    @Test(
        "parses provider/model references",
        arguments: [
            ("openai/gpt-4o-mini", "openai", "gpt-4o-mini"), ("ollama/llama3.2", "ollama", "llama3.2"),
            ("openrouter/meta-llama/llama-3-70b", "openrouter", "meta-llama/llama-3-70b"),
            ("Anthropic/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ])
    func modelReferences(text: String, provider: String, model: String) throws {
        let reference = try #require(ModelReference(parsing: text))
        #expect(reference.provider == provider)
        #expect(reference.model == model)
    }

    @Test("rejects malformed model references", arguments: ["gpt-4o", "/x", "openai/", "open ai/x", "a/b c"])
    func badModelReferences(text: String) {
        #expect(ModelReference(parsing: text) == nil)
    }

    @Test("tool ids have the connector.operation shape")
    func toolIDs() {
        let tool: ToolID = "zoho_crm.create_lead"
        #expect(tool.isWellFormed)
        #expect(tool.connector == "zoho_crm")
        #expect(tool.operation == "create_lead")
        for bad in ["wordpress", "WordPress.list", "a.b.c", ".x", "x.", "a b.c", "1x.y"] {
            #expect(!ToolID(bad).isWellFormed, "\(bad)")
        }
    }
}
