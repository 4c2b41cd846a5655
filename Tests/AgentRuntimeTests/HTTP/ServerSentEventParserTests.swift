import AgentRuntime
import Testing

@Suite("Server-Sent Events parser")
struct ServerSentEventParserTests {
    private func parse(
        _ chunks: [String], framing: ServerSentEventParser.Framing = .serverSentEvents
    ) -> [ServerSentEvent] {
        var parser = ServerSentEventParser(framing: framing)
        var events: [ServerSentEvent] = []
        for chunk in chunks { events += parser.feed(Array(chunk.utf8)) }
        return events + parser.finish()
    }

    @Test("LF, CRLF and CR line endings give the same events")
    func lineEndings() {
        let expected = [ServerSentEvent(event: "a", data: "1"), ServerSentEvent(data: "2")]
        #expect(parse(["event: a\ndata: 1\n\ndata: 2\n\n"]) == expected)
        #expect(parse(["event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n"]) == expected)
        #expect(parse(["event: a\rdata: 1\r\rdata: 2\r\r"]) == expected)
    }

    @Test("CRLF split between CR and LF is one line ending")
    func splitCRLF() {
        #expect(
            parse(["data: 1\r", "\n\r", "\ndata: 2\r\n\r\n"]) == [
                ServerSentEvent(data: "1"), ServerSentEvent(data: "2"),
            ])
    }

    @Test("a multi-byte character split across chunks decodes intact")
    func splitUTF8() {
        let bytes = Array("data: é😀\n\n".utf8)
        for split in 0...bytes.count {
            var parser = ServerSentEventParser()
            let events = parser.feed(bytes[..<split]) + parser.feed(bytes[split...]) + parser.finish()
            #expect(events == [ServerSentEvent(data: "é😀")], "split at \(split)")
        }
    }

    @Test("comments are skipped and counted; multi-line data joins with newlines; ids carry over")
    func fields() {
        var parser = ServerSentEventParser()
        let events = parser.feed(
            Array(": ping\n\nid: 7\ndata: line one\ndata:line two\nretry: 100\nunknown: x\n\ndata\n\n".utf8))
        #expect(events == [ServerSentEvent(data: "line one\nline two", id: "7"), ServerSentEvent(data: "", id: "7")])
        #expect(parser.commentCount == 1)
    }

    @Test("an event without its final blank line is delivered at the end")
    func unterminated() {
        #expect(parse(["data: last"]) == [ServerSentEvent(data: "last")])
    }

    @Test("NDJSON: one event per non-empty line")
    func ndjson() {
        #expect(
            parse(["{\"a\":1}\n{\"b\"", ":2}\r\n\n{\"c\":3}"], framing: .newlineDelimitedJSON) == [
                ServerSentEvent(data: "{\"a\":1}"), ServerSentEvent(data: "{\"b\":2}"),
                ServerSentEvent(data: "{\"c\":3}"),
            ])
    }
}
