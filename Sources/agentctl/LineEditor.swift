import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The outcome of one ``LineEditor/readLine(prompt:)`` call.
enum LineResult: Equatable, Sendable {
    /// The user submitted a line; the string has no trailing newline.
    case line(String)
    /// The user pressed Ctrl-C; the partially typed line was discarded.
    case interrupted
    /// Input ended: Ctrl-D on an empty line, or end of a non-interactive stream.
    case endOfFile
}

/// Minimal line editor with history for interactive prompts, built on termios only
/// (no readline, no libedit).
///
/// On a terminal it supports cursor movement (arrows, Home/End, Ctrl-A/E/B/F, Ctrl/Alt-arrows and
/// Alt-B/F by word), Backspace/Delete, Ctrl-U/K/W kills, Ctrl-L, history with Up/Down (Ctrl-P/N)
/// and UTF-8 input; lines longer than the terminal width wrap over several rows.
/// Display width is approximated as one column per `Character`.
/// When stdin or stdout is not a terminal it falls back to `Swift.readLine`.
///
/// Not thread-safe: use one instance from one task. `readLine(prompt:)` blocks the calling thread.
final class LineEditor {
    /// History entries, oldest first, at most `maxHistory` of them.
    private(set) var history: [String] = []
    /// Where history is persisted, one entry per line; `nil` keeps history in memory only.
    private let historyFile: URL?
    /// Maximum number of entries kept in memory (and, after compaction, in the file).
    private let maxHistory: Int
    /// Number of lines believed to be in the history file; the file is compacted when it reaches twice `maxHistory`.
    private var fileLineCount = 0
    /// Buffered reader over stdin; keeps type-ahead and pasted bytes between calls.
    private var input = ByteReader()

    /// Creates an editor and loads history from `historyFile` when that file exists.
    /// - Parameters:
    ///   - historyFile: File holding one history entry per line (empty lines are skipped); `nil` disables persistence.
    ///   - maxHistory: Maximum number of entries to keep.
    init(historyFile: URL?, maxHistory: Int = 1000) {
        self.historyFile = historyFile
        self.maxHistory = max(0, maxHistory)
        loadHistory()
    }

    /// `true` when both stdin and stdout are terminals, i.e. interactive line editing is possible.
    static var isInteractive: Bool {
        isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
    }

    /// Reads one line. On a terminal, shows `prompt` and lets the user edit the line; otherwise
    /// prints nothing and reads a plain line from stdin.
    /// - Returns: `.line` with the text, `.interrupted` on Ctrl-C, `.endOfFile` on Ctrl-D (empty line) or end of input.
    func readLine(prompt: String) -> LineResult {
        guard Self.isInteractive else {
            guard let line = Swift.readLine(strippingNewline: true) else { return .endOfFile }
            return .line(line)
        }
        fflush(nil)  // anything `print`ed before must appear before the prompt
        guard let terminal = RawTerminal(fd: STDIN_FILENO) else {
            // A terminal whose attributes cannot be changed: let the kernel's line discipline do the editing.
            emit(prompt)
            guard let line = Swift.readLine(strippingNewline: true) else { return .endOfFile }
            return .line(line)
        }
        defer { terminal.restore() }
        return edit(prompt: prompt)
    }

    /// Records `line` in history: skips blank lines and repeats of the latest entry, trims to
    /// `maxHistory`, and appends the entry to the history file (mode 0600, parent folder created).
    /// Newlines inside `line` are stored as spaces so the file stays one entry per line.
    func addHistory(_ line: String) {
        let entry = String(line.map { $0.isNewline ? " " : $0 })
        guard maxHistory > 0,
              !entry.trimmingCharacters(in: .whitespaces).isEmpty,
              entry != history.last else { return }
        history.append(entry)
        if history.count > maxHistory { history.removeFirst(history.count - maxHistory) }
        persist(entry)
    }

    // MARK: - Editing

    /// The interactive editing loop; the terminal is already in raw mode.
    private func edit(prompt: String) -> LineResult {
        var state = LineState(prompt: prompt)
        var historyIndex = history.count  // == history.count means "the line being edited"
        var draft: [Character] = []
        emit(prompt)
        while true {
            let key = readKey()
            switch key {
            case .text(let text):
                state.insert(text)
            case .enter:
                state.cursor = state.buffer.count
                emit(state.render() + "\r\n")
                return .line(String(state.buffer))
            case .interrupt:
                state.cursor = state.buffer.count
                emit(state.render() + "^C\r\n")
                return .interrupted
            case .inputClosed:
                emit("\r\n")
                return .endOfFile
            case .ctrlD:
                if state.buffer.isEmpty {
                    emit("\r\n")
                    return .endOfFile
                }
                state.deleteForward()
            case .backspace:
                state.deleteBackward()
            case .delete:
                state.deleteForward()
            case .left:
                state.cursor = max(0, state.cursor - 1)
            case .right:
                state.cursor = min(state.buffer.count, state.cursor + 1)
            case .wordLeft:
                state.cursor = state.previousWordStart()
            case .wordRight:
                state.cursor = state.nextWordEnd()
            case .home:
                state.cursor = 0
            case .end:
                state.cursor = state.buffer.count
            case .up:
                guard historyIndex > 0 else { continue }
                if historyIndex == history.count { draft = state.buffer }
                historyIndex -= 1
                state.replace(with: Array(history[historyIndex]))
            case .down:
                guard historyIndex < history.count else { continue }
                historyIndex += 1
                state.replace(with: historyIndex == history.count ? draft : Array(history[historyIndex]))
            case .killToStart:
                state.buffer.removeSubrange(0..<state.cursor)
                state.cursor = 0
            case .killToEnd:
                state.buffer.removeSubrange(state.cursor...)
            case .deleteWordBackward:
                let start = state.previousWordStart()
                state.buffer.removeSubrange(start..<state.cursor)
                state.cursor = start
            case .clearScreen:
                emit("\u{1B}[H\u{1B}[2J")
                state.screenCleared()
            case .ignored:
                continue
            }
            emit(state.render())
        }
    }

    /// Reads and decodes one key press (or one printable character) from stdin.
    private func readKey() -> Key {
        guard let byte = input.next() else { return .inputClosed }
        switch byte {
        case 1: return .home                  // Ctrl-A
        case 2: return .left                  // Ctrl-B
        case 3: return .interrupt             // Ctrl-C
        case 4: return .ctrlD                 // Ctrl-D
        case 5: return .end                   // Ctrl-E
        case 6: return .right                 // Ctrl-F
        case 8, 127: return .backspace        // Ctrl-H, DEL
        case 9: return .text("    ")          // Tab: spaces keep the column arithmetic right
        case 10: return .enter
        case 13:
            if input.peekBuffered() == 10 { _ = input.next() }  // pasted CR LF is one line break
            return .enter
        case 11: return .killToEnd            // Ctrl-K
        case 12: return .clearScreen          // Ctrl-L
        case 14: return .down                 // Ctrl-N
        case 16: return .up                   // Ctrl-P
        case 21: return .killToStart          // Ctrl-U
        case 23: return .deleteWordBackward   // Ctrl-W
        case 27: return readEscapeSequence()
        case 0x20..<0x7F: return .text(String(UnicodeScalar(byte)))
        case 0xC2...0xF4: return readUTF8(lead: byte)
        default: return .ignored
        }
    }

    /// Reads the rest of a multi-byte UTF-8 character whose first byte is `lead`.
    private func readUTF8(lead: UInt8) -> Key {
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        var bytes = [lead]
        while bytes.count < length {
            guard let next = input.next() else { return .inputClosed }
            guard next & 0xC0 == 0x80 else {
                input.unread()  // not a continuation byte: drop the broken prefix, keep this byte
                return .ignored
            }
            bytes.append(next)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard !text.unicodeScalars.contains(where: { $0 == "\u{FFFD}" || $0.properties.generalCategory == .control }) else {
            return .ignored
        }
        return .text(text)
    }

    /// Decodes what follows an ESC byte: CSI (`ESC [`) and SS3 (`ESC O`) sequences, Alt-B/F and
    /// Alt-Backspace. A lone ESC (nothing follows within 100 ms) is ignored.
    private func readEscapeSequence() -> Key {
        guard input.waitForInput(milliseconds: 100) else { return .ignored }
        guard let first = input.next() else { return .inputClosed }
        switch first {
        case UInt8(ascii: "["):
            var parameters: [UInt8] = []
            while true {
                guard let byte = input.next() else { return .inputClosed }
                if (0x40...0x7E).contains(byte) { return csiKey(parameters: parameters, final: byte) }
                parameters.append(byte)
                if parameters.count > 16 { return .ignored }
            }
        case UInt8(ascii: "O"):
            guard let byte = input.next() else { return .inputClosed }
            return csiKey(parameters: [], final: byte)
        case UInt8(ascii: "b"), UInt8(ascii: "B"): return .wordLeft
        case UInt8(ascii: "f"), UInt8(ascii: "F"): return .wordRight
        case 8, 127: return .deleteWordBackward
        default: return .ignored
        }
    }

    /// Maps a CSI/SS3 sequence (parameter bytes and final byte) to a key.
    private func csiKey(parameters: [UInt8], final: UInt8) -> Key {
        let fields = String(decoding: parameters, as: UTF8.self).split(separator: ";").map { Int($0) ?? 0 }
        let modifier = fields.count > 1 ? fields[1] : 1  // 3 = Alt, 5 = Ctrl
        let byWord = modifier == 3 || modifier == 5
        switch final {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return byWord ? .wordRight : .right
        case UInt8(ascii: "D"): return byWord ? .wordLeft : .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "~"):
            switch fields.first ?? 0 {
            case 1, 7: return .home
            case 4, 8: return .end
            case 3: return .delete
            default: return .ignored
            }
        default: return .ignored
        }
    }

    /// Writes `string` to stdout unbuffered (so it is visible before the next `read`).
    private func emit(_ string: String) {
        let bytes = Array(string.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    // MARK: - History file

    /// Loads the last `maxHistory` non-empty lines of the history file, if it exists.
    private func loadHistory() {
        guard let url = historyFile, let data = try? Data(contentsOf: url) else { return }
        let lines = String(decoding: data, as: UTF8.self)
            .split(whereSeparator: \.isNewline)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        fileLineCount = lines.count
        history = lines.suffix(maxHistory).map(String.init)
    }

    /// Appends `entry` to the history file, or rewrites the file with the in-memory history when it
    /// has grown to twice `maxHistory` lines. Failures are ignored: history is a convenience.
    private func persist(_ entry: String) {
        guard let url = historyFile else { return }
        try? FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        if fileLineCount + 1 >= maxHistory * 2 {
            if rewriteHistoryFile(url) { fileLineCount = history.count }
            return
        }
        let appended = url.withUnsafeFileSystemRepresentation { path -> Bool in
            guard let path else { return false }
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            _ = fchmod(fd, 0o600)
            return Self.writeAll(fd: fd, Array((entry + "\n").utf8))
        }
        if appended { fileLineCount += 1 }
    }

    /// Atomically replaces the history file with the in-memory history (temporary file in the same
    /// folder, mode 0600, then `rename`).
    private func rewriteHistoryFile(_ url: URL) -> Bool {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let contents = Array(history.map { $0 + "\n" }.joined().utf8)
        return temporary.withUnsafeFileSystemRepresentation { temporaryPath -> Bool in
            url.withUnsafeFileSystemRepresentation { path -> Bool in
                guard let temporaryPath, let path else { return false }
                let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                guard fd >= 0 else { return false }
                _ = fchmod(fd, 0o600)
                let written = Self.writeAll(fd: fd, contents)
                close(fd)
                guard written, rename(temporaryPath, path) == 0 else {
                    unlink(temporaryPath)
                    return false
                }
                return true
            }
        }
    }

    /// Writes all of `bytes` to `fd`, retrying on partial writes and `EINTR`.
    private static func writeAll(fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if !(written < 0 && errno == EINTR) {
                return false
            }
        }
        return true
    }
}

// MARK: - Helpers

extension LineEditor {
    /// A decoded key press.
    fileprivate enum Key {
        /// Printable text to insert at the cursor.
        case text(String)
        /// Enter (CR or LF).
        case enter
        /// Ctrl-C.
        case interrupt
        /// Ctrl-D: end of input on an empty line, otherwise delete under the cursor.
        case ctrlD
        /// Stdin was closed or failed.
        case inputClosed
        /// Backspace (DEL or Ctrl-H).
        case backspace
        /// Delete key (`ESC [ 3 ~`).
        case delete
        /// Cursor one character left.
        case left
        /// Cursor one character right.
        case right
        /// Cursor to the start of the previous word.
        case wordLeft
        /// Cursor to the end of the next word.
        case wordRight
        /// Cursor to the start of the line.
        case home
        /// Cursor to the end of the line.
        case end
        /// Previous history entry.
        case up
        /// Next history entry (or back to the draft).
        case down
        /// Ctrl-U: delete from the start of the line to the cursor.
        case killToStart
        /// Ctrl-K: delete from the cursor to the end of the line.
        case killToEnd
        /// Ctrl-W: delete the word before the cursor.
        case deleteWordBackward
        /// Ctrl-L: clear the screen and redraw.
        case clearScreen
        /// Anything else; nothing to do.
        case ignored
    }

    /// The line being edited plus what is needed to redraw it over several terminal rows.
    fileprivate struct LineState {
        /// The prompt, written before the buffer on every redraw.
        let prompt: String
        /// Columns the prompt occupies (ANSI escape sequences excluded).
        let promptWidth: Int
        /// The text being edited.
        var buffer: [Character] = []
        /// Cursor position as an index into `buffer`.
        var cursor = 0
        /// Cursor position at the previous redraw (the terminal cursor is there now).
        private var renderedCursor = 0
        /// Most rows the line has occupied since editing began; they are all cleared on redraw.
        private var renderedRows = 0

        /// Starts with an empty buffer; the prompt is assumed to have been written already.
        init(prompt: String) {
            self.prompt = prompt
            self.promptWidth = LineState.displayWidth(of: prompt)
        }

        /// Inserts `text` at the cursor; a combining mark merges with the character before it.
        mutating func insert(_ text: String) {
            let head = Array(String(buffer[..<cursor]) + text)
            buffer = head + buffer[cursor...]
            cursor = head.count
        }

        /// Deletes the character before the cursor.
        mutating func deleteBackward() {
            guard cursor > 0 else { return }
            buffer.remove(at: cursor - 1)
            cursor -= 1
        }

        /// Deletes the character under the cursor.
        mutating func deleteForward() {
            guard cursor < buffer.count else { return }
            buffer.remove(at: cursor)
        }

        /// Replaces the whole buffer (history recall) and puts the cursor at its end.
        mutating func replace(with characters: [Character]) {
            buffer = characters
            cursor = characters.count
        }

        /// Index where the word before the cursor starts (whitespace-separated words).
        func previousWordStart() -> Int {
            var index = cursor
            while index > 0 && buffer[index - 1].isWhitespace { index -= 1 }
            while index > 0 && !buffer[index - 1].isWhitespace { index -= 1 }
            return index
        }

        /// Index just past the end of the word after the cursor.
        func nextWordEnd() -> Int {
            var index = cursor
            while index < buffer.count && buffer[index].isWhitespace { index += 1 }
            while index < buffer.count && !buffer[index].isWhitespace { index += 1 }
            return index
        }

        /// Forgets the rendered layout after the screen was cleared (cursor now at the top left).
        mutating func screenCleared() {
            renderedCursor = 0
            renderedRows = 0
        }

        /// Escape sequences that redraw prompt and buffer in place and leave the terminal cursor at `cursor`.
        ///
        /// For a line that fits in one row this amounts to `\r ESC[K prompt buffer` followed by a
        /// move to the cursor column. Longer lines wrap, so every row used so far is cleared
        /// bottom-up first (the linenoise multi-line scheme).
        mutating func render() -> String {
            let columns = LineState.terminalColumns()
            let length = buffer.count
            var rows = (promptWidth + length + columns - 1) / columns
            let oldCursorRow = (promptWidth + renderedCursor) / columns + 1  // 1-based
            let oldRows = renderedRows
            renderedRows = max(renderedRows, rows)
            var out = ""
            // Go down to the last row used so far, then clear each row on the way up.
            if oldRows > oldCursorRow { out += "\u{1B}[\(oldRows - oldCursorRow)B" }
            for _ in 0..<max(0, oldRows - 1) { out += "\r\u{1B}[K\u{1B}[1A" }
            out += "\r\u{1B}[K" + prompt + String(buffer)
            // Cursor at the end of a row that exactly fills the width: the terminal has not wrapped yet, so force it.
            if cursor > 0 && cursor == length && (promptWidth + cursor) % columns == 0 {
                out += "\n\r"
                rows += 1
                renderedRows = max(renderedRows, rows)
            }
            // From the last written row, go up to the cursor's row, then to its column.
            let cursorRow = (promptWidth + cursor) / columns + 1  // 1-based
            if rows > cursorRow { out += "\u{1B}[\(rows - cursorRow)A" }
            let column = (promptWidth + cursor) % columns
            out += column > 0 ? "\r\u{1B}[\(column)C" : "\r"
            renderedCursor = cursor
            return out
        }

        /// Terminal width from `TIOCGWINSZ`, or 80 when unknown.
        static func terminalColumns() -> Int {
            var size = winsize()
            #if canImport(Darwin)
            let request: UInt = 0x4008_7468  // TIOCGWINSZ
            #else
            let request = UInt(TIOCGWINSZ)
            #endif
            guard ioctl(STDOUT_FILENO, request, &size) == 0, size.ws_col > 0 else { return 80 }
            return Int(size.ws_col)
        }

        /// Width of `text` in columns: one per `Character`, skipping ANSI escape sequences
        /// (CSI sequences `ESC [ ... final` and two-byte `ESC x` sequences).
        static func displayWidth(of text: String) -> Int {
            var plain = String.UnicodeScalarView()
            var state = 0  // 0: text, 1: after ESC, 2: inside CSI
            for scalar in text.unicodeScalars {
                switch state {
                case 1: state = scalar == "[" ? 2 : 0
                case 2: if (0x40...0x7E).contains(scalar.value) { state = 0 }
                default: if scalar == "\u{1B}" { state = 1 } else { plain.append(scalar) }
                }
            }
            return String(plain).count
        }
    }

    /// Puts a terminal into raw mode and remembers its original attributes.
    fileprivate struct RawTerminal {
        /// The terminal's file descriptor.
        let fd: Int32
        /// Attributes to restore.
        let original: termios

        /// Switches `fd` to raw mode: no canonical mode, echo, signals (Ctrl-C arrives as byte 3),
        /// flow control or CR translation; output processing (OPOST) stays on. `nil` if `fd` is not a terminal.
        init?(fd: Int32) {
            var original = termios()
            guard tcgetattr(fd, &original) == 0 else { return nil }
            var raw = original
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
            raw.c_iflag &= ~tcflag_t(IXON | ICRNL | INLCR | IGNCR)
            withUnsafeMutableBytes(of: &raw.c_cc) { cc in
                cc[Int(VMIN)] = 1
                cc[Int(VTIME)] = 0
            }
            guard tcsetattr(fd, TCSADRAIN, &raw) == 0 else { return nil }
            self.fd = fd
            self.original = original
        }

        /// Restores the original attributes.
        func restore() {
            var attributes = original
            _ = tcsetattr(fd, TCSADRAIN, &attributes)
        }
    }

    /// Reads stdin in chunks and hands out single bytes; unread bytes survive between lines.
    fileprivate struct ByteReader {
        /// Bytes read from stdin but not consumed yet (from `index` on).
        private var pending: [UInt8] = []
        /// Next byte to hand out from `pending`.
        private var index = 0

        /// Next byte, blocking until one is available; `nil` at end of input or on a read error.
        mutating func next() -> UInt8? {
            if index < pending.count {
                index += 1
                return pending[index - 1]
            }
            var chunk = [UInt8](repeating: 0, count: 512)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count > 0 {
                    pending = Array(chunk[0..<count])
                    index = 1
                    return pending[0]
                }
                if count < 0 && errno == EINTR { continue }
                return nil
            }
        }

        /// Gives back the byte just returned by `next()`.
        mutating func unread() {
            if index > 0 { index -= 1 }
        }

        /// The next byte if it has already been read from stdin, without consuming it.
        func peekBuffered() -> UInt8? {
            index < pending.count ? pending[index] : nil
        }

        /// `true` if a byte is buffered or arrives on stdin within `milliseconds`.
        func waitForInput(milliseconds: Int32) -> Bool {
            if index < pending.count { return true }
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            return poll(&descriptor, 1, milliseconds) > 0
        }
    }
}
