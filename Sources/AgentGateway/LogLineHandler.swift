import AgentRuntime
import Foundation
import Logging

/// A swift-log handler that writes one line per record to a stream (standard error by default): a JSON object
/// (`timestamp`, `level`, `message`, `logger`, then the metadata as fields: `request_id`, `tenant`, `user`, `run_id`,
/// `crew`, `route`, `status`, `duration_ms`, ...) or human-readable text. Every line passes through the runtime's
/// ``Redactor`` (the secrets it was given, in all their forms, and key-shaped tokens) before it is written.
public struct LogLineHandler: LogHandler {
    /// How lines look.
    public enum Format: String, Sendable, CaseIterable {
        /// One JSON object per line (for Loki, Elasticsearch, CloudWatch...).
        case json
        /// `2026-01-01T00:00:00Z info message key=value ...`.
        case text
    }

    /// The label of the logger.
    public let label: String
    /// How lines look.
    public let format: Format
    /// Masks secrets in every line.
    public let redaction: LogRedaction
    private let output: LogOutput

    /// The least severe level written.
    public var logLevel: Logger.Level
    /// Metadata on every record of this logger.
    public var metadata: Logger.Metadata = [:]

    /// Creates a handler writing to `output` (standard error when nil).
    public init(
        label: String, format: Format, level: Logger.Level, redaction: LogRedaction = LogRedaction(),
        output: LogOutput? = nil
    ) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.redaction = redaction
        self.output = output ?? .standardError
    }

    /// One metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one record as one line.
    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        output.write(redaction.redact(line(event.level, event.message.description, fields)) + "\n")
    }

    /// The line for one record (without its end).
    func line(_ level: Logger.Level, _ message: String, _ fields: Logger.Metadata) -> String {
        let timestamp = Date().formatted(Self.timestampStyle)
        switch format {
        case .json:
            var object: JSONObject = [
                "timestamp": .string(timestamp), "level": .string(level.rawValue), "message": .string(message),
                "logger": .string(label),
            ]
            for (key, value) in fields.sorted(by: { $0.key < $1.key }) where object[key] == nil {
                object[key] = Self.json(value)
            }
            return JSONValue.object(object).serialized()
        case .text:
            let pairs = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return ([timestamp, level.rawValue, message.replacingOccurrences(of: "\n", with: " ")] + pairs)
                .joined(separator: " ")
        }
    }

    /// `2026-01-01T00:00:00.000Z`.
    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// A metadata value as JSON: numbers and booleans given as text stay text (swift-log keeps them as strings).
    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let value):
            if let number = value as? Int { return .int(number) }
            if let number = value as? Double { return .double(number) }
            if let flag = value as? Bool { return .bool(flag) }
            return .string(value.description)
        case .array(let items): return .array(items.map(json))
        case .dictionary(let entries):
            return .object(JSONObject(entries.sorted { $0.key < $1.key }.map { (key: $0.key, value: json($0.value)) }))
        }
    }
}

/// Where log lines go: one write per line, lines never interleaved.
public final class LogOutput: Sendable {
    private let lock = NSLock()
    private let handle: FileHandle

    /// Lines written to `handle`.
    public init(handle: FileHandle) { self.handle = handle }

    /// Standard error.
    public static let standardError = LogOutput(handle: .standardError)

    /// Writes `text` at once.
    public func write(_ text: String) {
        lock.withLock { handle.write(Data(text.utf8)) }
    }
}

/// The redactor every log line passes through; secrets the process learns after logging started (tokens read from
/// the secret store) are added to it.
public final class LogRedaction: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var redactor: Redactor

    /// Starts with `secrets` (key-shaped tokens are masked regardless).
    public init(secrets: [String] = []) { redactor = Redactor(secrets: secrets) }

    /// Masks `secrets` from now on.
    public func add(_ secrets: [String]) {
        lock.withLock { redactor = redactor.adding(secrets) }
    }

    /// `text` with every known secret and key-shaped token masked.
    public func redact(_ text: String) -> String {
        lock.withLock { redactor }.redact(text)
    }
}
