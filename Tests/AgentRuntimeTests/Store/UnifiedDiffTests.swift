import AgentRuntime
import Testing

@Suite("Unified diff")
struct UnifiedDiffTests {
    @Test("a changed line with three lines of context each side; far-apart changes get their own hunks")
    func hunks() {
        let old = (1...20).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "line 5\n", with: "line five\n")
            .replacingOccurrences(of: "line 18\n", with: "line 18\nline 18b\n")
        #expect(
            UnifiedDiff.make(from: old, to: new, path: "agents/x.json") == """
                --- a/agents/x.json
                +++ b/agents/x.json
                @@ -2,7 +2,7 @@
                 line 2
                 line 3
                 line 4
                -line 5
                +line five
                 line 6
                 line 7
                 line 8
                @@ -16,5 +16,6 @@
                 line 16
                 line 17
                 line 18
                +line 18b
                 line 19
                 line 20

                """)
    }

    @Test("a new file, a removed file, and no change")
    func edges() {
        #expect(
            UnifiedDiff.make(from: nil, to: "a\nb\n", path: "t.json")
                == "--- /dev/null\n+++ b/t.json\n@@ -0,0 +1,2 @@\n+a\n+b\n")
        #expect(
            UnifiedDiff.make(from: "a\n", to: nil, path: "t.json")
                == "--- a/t.json\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-a\n")
        #expect(UnifiedDiff.make(from: "same", to: "same", path: "t.json").isEmpty)
    }
}
