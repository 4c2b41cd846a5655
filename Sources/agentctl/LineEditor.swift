import CEditLine
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

/// Line editor with history for interactive prompts: a thin wrapper over libedit's readline interface.
///
/// On a terminal, libedit edits the line (emacs bindings: arrows, Home/End, Ctrl-A/E/B/F, Ctrl/Alt-arrows and
/// Alt-B/F by word, Backspace/Delete, Ctrl-U/K/W, Ctrl-L, Ctrl-R search; `~/.editrc` can change them), recalls
/// history with Up/Down (Ctrl-P/N) and completes the word before the cursor on Tab (listing the candidates on a
/// second Tab). Ctrl-C discards the line; Ctrl-D on an empty line ends input.
/// When stdin or stdout is not a terminal it falls back to `Swift.readLine` and prints no prompt.
///
/// History is this type's own: loaded from and appended to `historyFile` (one entry per line, the format of
/// earlier versions), and mirrored into libedit's in-memory history for recall.
///
/// libedit's readline interface is process-wide state: create one editor per process and use it from one task.
/// `readLine(prompt:)` blocks the calling thread.
final class LineEditor {
    /// Completion candidates for the word before the cursor, given the line before that word and the word.
    /// Candidates that do not start with the word are dropped.
    typealias Completions = (_ lineBeforeWord: String, _ word: String) -> [String]

    /// History entries, oldest first, at most `maxHistory` of them.
    private(set) var history: [String] = []
    /// Where history is persisted, one entry per line; `nil` keeps history in memory only.
    private let historyFile: URL?
    /// Maximum number of entries kept in memory (and, after compaction, in the file).
    private let maxHistory: Int
    /// Number of lines believed to be in the history file; the file is compacted when it reaches twice `maxHistory`.
    private var fileLineCount = 0
    /// What Tab completes; `nil` completes nothing.
    private let completions: Completions?
    /// Whether libedit has been set up; that happens on the first read from a terminal, so piped use never touches it.
    private var libeditStarted = false

    /// Creates an editor and loads history from `historyFile` when that file exists.
    /// - Parameters:
    ///   - historyFile: File holding one history entry per line (empty lines are skipped); `nil` disables persistence.
    ///   - maxHistory: Maximum number of entries to keep.
    ///   - completions: Candidates for Tab completion; `nil` completes nothing.
    init(historyFile: URL?, maxHistory: Int = 1000, completions: Completions? = nil) {
        self.historyFile = historyFile
        self.maxHistory = max(0, maxHistory)
        self.completions = completions
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
        startLibedit()
        EditorCallbacks.completions = completions
        EditorCallbacks.interruptedTail = nil
        defer { EditorCallbacks.completions = nil }
        guard let line = readline(prompt) else {
            if let tail = EditorCallbacks.interruptedTail {
                // libedit left the cursor where Ctrl-C was typed: rewrite the rest of the line so "^C" follows it.
                emit(tail + "^C\n")
                return .interrupted
            }
            emit("\n")
            return .endOfFile
        }
        defer { free(line) }
        return .line(String(cString: line))
    }

    /// Records `line` in history: skips blank lines and repeats of the latest entry, trims to
    /// `maxHistory`, and appends the entry to the history file (mode 0600, parent folder created).
    /// Newlines inside `line` are stored as spaces so the file stays one entry per line.
    func addHistory(_ line: String) {
        let entry = String(line.map { $0.isNewline ? " " : $0 })
        guard maxHistory > 0,
            !entry.trimmingCharacters(in: .whitespaces).isEmpty,
            entry != history.last
        else { return }
        history.append(entry)
        if history.count > maxHistory { history.removeFirst(history.count - maxHistory) }
        if libeditStarted { add_history(entry) }
        persist(entry)
    }

    /// Sets libedit up once: UTF-8 input, no signal handlers, Ctrl-C as a key, Ctrl-Z ignored, Tab completion, the history so far.
    private func startLibedit() {
        guard !libeditStarted else { return }
        libeditStarted = true
        // libedit decodes input with the C locale's character set; typed text is UTF-8 whatever the locale says.
        setlocale(LC_CTYPE, "")
        if String(cString: nl_langinfo(nl_item(CODESET))) != "UTF-8" { setlocale(LC_CTYPE, "C.UTF-8") }
        ceditline_set_readline_name(strdup("agentctl"))  // selects "agentctl:" lines in ~/.editrc; never freed
        // No signal handlers from libedit: it saves and restores SIGINT's around each read, which races with the
        // dispatch source that lets Ctrl-C cancel an answer (and can leave SIGINT ignored for good).
        ceditline_set_catch_signals(0)
        rl_initialize()
        ceditline_set_pre_input_hook(configureTerminal)
        rl_add_defun("agentctl-interrupt", interruptLine, 3)
        rl_parse_and_bind("bind ^Z ed-ignore")  // readline's suspend key would stop the session (and not redraw on fg)
        ceditline_set_attempted_completion(completeWord)
        stifle_history(Int32(clamping: maxHistory))
        for entry in history { add_history(entry) }
    }

    /// Writes `string` to stdout unbuffered (so it is visible before the next read).
    private func emit(_ string: String) {
        _ = Self.writeAll(fd: STDOUT_FILENO, Array(string.utf8))
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

// MARK: - libedit callbacks

/// What the C callbacks below need: they are plain C function pointers, which cannot capture anything.
///
/// `nonisolated(unsafe)` is sound here: `LineEditor.readLine(prompt:)` sets these right before calling
/// `readline()`, libedit calls the callbacks synchronously on that same thread while `readline()` runs, and
/// `readLine(prompt:)` reads them after it returns. One editor is used from one task at a time (libedit's
/// readline state is process-wide anyway), so no two threads touch them at once.
private enum EditorCallbacks {
    /// The completion source of the `readline()` call in progress.
    nonisolated(unsafe) static var completions: LineEditor.Completions?
    /// Candidates of the completion in progress, handed to libedit one by one by `nextMatch`.
    nonisolated(unsafe) static var matches: [String] = []
    /// Set by Ctrl-C: the text from the cursor to the end of the discarded line.
    nonisolated(unsafe) static var interruptedTail: String?
}

/// `rl_attempted_completion_function`: the candidates for `text`, the word that ends at the cursor and starts at
/// `start` (counted in Unicode scalars, libedit's wide characters). Never falls back to libedit's file-name completion.
private func completeWord(
    _ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32
) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    ceditline_set_attempted_completion_over(1)
    guard let text, let completions = EditorCallbacks.completions else { return nil }
    let word = String(cString: text)
    let line = ceditline_line_buffer().map { String(cString: $0) } ?? ""
    let before = String(String.UnicodeScalarView(line.unicodeScalars.prefix(max(0, Int(start)))))
    EditorCallbacks.matches = completions(before, word).filter { $0.hasPrefix(word) }
    return rl_completion_matches(text, nextMatch)
}

/// The generator behind `rl_completion_matches`: the `state`-th candidate, or `nil` after the last.
private func nextMatch(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
    let index = Int(state)
    guard index < EditorCallbacks.matches.count else { return nil }
    return strdup(EditorCallbacks.matches[index])
}

/// `rl_pre_input_hook`, run by every `readline()` call after it has reset libedit's terminal modes: while editing,
/// the terminal hands Ctrl-C (and Ctrl-S/Q) to the editor instead of raising SIGINT (or pausing output). The
/// terminal's width is read again here, since without signal handlers libedit does not see SIGWINCH.
private func configureTerminal() -> Int32 {
    rl_resize_terminal()
    return rl_parse_and_bind("setty -d -isig -ixon")
}

/// Bound to Ctrl-C: remembers the text after the cursor and ends `readline()` with no line.
private func interruptLine(_ count: Int32, _ key: Int32) -> Int32 {
    let bytes = ceditline_line_buffer().map { Array(String(cString: $0).utf8) } ?? []
    let cursor = min(max(0, Int(ceditline_point())), bytes.count)  // a byte offset here: libedit has just synced it
    EditorCallbacks.interruptedTail = String(decoding: bytes[cursor...], as: UTF8.self)
    ceditline_set_done(1)
    return 0
}
