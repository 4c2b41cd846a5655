import Foundation

/// A W3C trace context (`traceparent`): which trace a piece of work belongs to and which span is its parent.
///
/// The engine carries the current one as a task-local value (``current``), so a provider or connector request sent
/// from inside a span carries that span as its parent (see ``TraceContextTransport``). A run keeps the context it was
/// submitted with (``RunDefinition/traceParent``), so an attempt carried on by another worker joins the same trace.
public struct TraceContext: Hashable, Sendable, CustomStringConvertible {
    /// 32 lower-case hex digits, not all zero.
    public var traceID: String
    /// 16 lower-case hex digits, not all zero.
    public var spanID: String
    /// The trace flags byte (bit 0: sampled).
    public var flags: UInt8

    /// The context of the span the current task runs in (nil outside any span).
    @TaskLocal public static var current: TraceContext?

    /// Creates a context from its parts; nil when an id is not hex of the right length or is all zeros.
    public init?(traceID: String, spanID: String, flags: UInt8 = 1) {
        guard Self.isID(traceID, length: 32), Self.isID(spanID, length: 16) else { return nil }
        self.traceID = traceID.lowercased()
        self.spanID = spanID.lowercased()
        self.flags = flags
    }

    /// Parses a `traceparent` header value (`00-<trace id>-<span id>-<flags>`); nil when it is not one.
    public init?(traceparent header: String) {
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0].lowercased() != "ff",
            parts[0].allSatisfy(\.isHexDigit), parts[0] != "00" || parts.count == 4,
            parts[3].count == 2, let flags = UInt8(parts[3], radix: 16)
        else { return nil }
        self.init(traceID: String(parts[1]), spanID: String(parts[2]), flags: flags)
    }

    /// The `traceparent` header value.
    public var traceparent: String {
        "00-\(traceID)-\(spanID)-\(Self.hex([flags]))"
    }

    /// Whether the trace is sampled.
    public var isSampled: Bool { flags & 1 == 1 }

    /// The `traceparent` header value.
    public var description: String { traceparent }

    /// A new random context (a fresh trace when `traceID` is nil).
    public static func random(traceID: String? = nil, sampled: Bool = true) -> TraceContext {
        TraceContext(
            traceID: traceID ?? randomHex(bytes: 16), spanID: randomHex(bytes: 8), flags: sampled ? 1 : 0)!
    }

    private static func randomHex(bytes: Int) -> String {
        var random: [UInt8]
        repeat {
            random = (0..<bytes).map { _ in UInt8.random(in: 0...255) }
        } while random.allSatisfy { $0 == 0 }
        return hex(random)
    }

    /// Lower-case hex of `bytes` (no `String(format:)`, which is slow on Linux).
    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func isID(_ text: String, length: Int) -> Bool {
        text.count == length && text.allSatisfy(\.isHexDigit) && !text.allSatisfy { $0 == "0" }
    }
}
