import Testing

@testable import agentctl

/// What Tab offers in the playground (the terminal itself is exercised by hand: REPL tests use stdin).
@Suite("agentctl playground completion")
struct PlaygroundCompletionTests {
    private func complete(_ before: String, _ word: String) -> [String] {
        PlaygroundSession.completions(before: before, word: word, agentIDs: ["seo-specialist", "copy-editor"])
    }

    @Test("the first word completes to the commands /help lists; later words by the command before them")
    func contexts() {
        #expect(complete("", "/").contains("/compare"))
        #expect(complete("", "/").contains("/quit"))
        #expect(complete("", "/").allSatisfy { $0.hasPrefix("/") && !$0.contains(" ") })
        #expect(complete("/agent ", "se") == ["seo-specialist", "copy-editor"])
        #expect(complete("/set ", "t") == PlaygroundSession.settableFields)
        #expect(complete("/set tools ", "kn").contains("knowledge.search"))
        #expect(complete("/set tools ", "knowledge.search,sh").contains("knowledge.search,shopify.list_orders"))
        #expect(complete("/show ", "x").isEmpty)
        #expect(complete("hello ", "wor").isEmpty)
    }
}
