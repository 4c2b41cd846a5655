/// Finds many byte patterns in one pass: at each position the patterns starting with that byte are tried,
/// longest first, and the leftmost longest match is replaced. Built once; used for every text.
struct SecretMatcher: Sendable {
    /// Every pattern's bytes, one after another.
    private let storage: [UInt8]
    /// `(offset in storage, length)` per pattern, grouped by first byte, longest first within a group.
    private let patterns: [(offset: Int, length: Int)]
    /// For each first byte `b`, its patterns are `patterns[groupStart[b]..<groupStart[b + 1]]`.
    private let groupStart: [Int]

    /// A matcher for `texts` (empty texts are ignored).
    init(_ texts: [String]) {
        let sorted = Set(texts.filter { !$0.isEmpty }).map { Array($0.utf8) }.sorted {
            $0[0] != $1[0] ? $0[0] < $1[0] : $0.count > $1.count
        }
        var storage: [UInt8] = []
        var patterns: [(offset: Int, length: Int)] = []
        var groupStart = [Int](repeating: 0, count: 257)
        for bytes in sorted {
            patterns.append((storage.count, bytes.count))
            storage.append(contentsOf: bytes)
            groupStart[Int(bytes[0]) + 1] += 1
        }
        for index in 1...256 { groupStart[index] += groupStart[index - 1] }
        self.storage = storage
        self.patterns = patterns
        self.groupStart = patterns.isEmpty ? [] : groupStart
    }

    /// Whether any pattern occurs in `text`.
    func matches(in text: String) -> Bool {
        guard !patterns.isEmpty else { return false }
        var text = text
        return text.withUTF8 { bytes in
            storage.withUnsafeBufferPointer { storage in
                for position in bytes.indices where match(bytes, at: position, storage) > 0 { return true }
                return false
            }
        }
    }

    /// The length of the longest pattern at `position` (0: none).
    private func match(
        _ bytes: UnsafeBufferPointer<UInt8>, at position: Int, _ storage: UnsafeBufferPointer<UInt8>
    ) -> Int {
        let first = Int(bytes[position])
        for index in groupStart[first]..<groupStart[first + 1] {
            let (offset, length) = patterns[index]
            guard length <= bytes.count - position else { continue }
            var same = true
            for step in 1..<length where bytes[position + step] != storage[offset + step] {
                same = false
                break
            }
            if same { return length }
        }
        return 0
    }

    /// `text` with every match replaced by `replacement`; `text` itself when nothing matches.
    func replacing(in text: String, with replacement: String) -> String {
        guard !patterns.isEmpty else { return text }
        var text = text
        let replaced: [UInt8]? = text.withUTF8 { bytes in
            storage.withUnsafeBufferPointer { storage in
                var output: [UInt8]?
                var copied = 0
                var position = 0
                while position < bytes.count {
                    let matched = match(bytes, at: position, storage)
                    if matched == 0 {
                        position += 1
                        continue
                    }
                    if output == nil {
                        output = Array()
                        output!.reserveCapacity(bytes.count)
                    }
                    output!.append(contentsOf: bytes[copied..<position])
                    output!.append(contentsOf: replacement.utf8)
                    position += matched
                    copied = position
                }
                output?.append(contentsOf: bytes[copied..<bytes.count])
                return output
            }
        }
        return replaced.map { String(decoding: $0, as: UTF8.self) } ?? text
    }
}
