/// Turns text into index terms: case folding, splitting on anything that is
/// not a letter or digit, dropping common English stop words, and light
/// suffix stemming (so `campaigns`, `campaign` and `campaigning` match).
public enum TextAnalyzer {
    /// Words too common to help ranking.
    public static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "for", "from", "has", "have", "how", "i",
        "if", "in",
        "into", "is", "it", "its", "of", "on", "or", "our", "so", "that", "the", "their", "them", "then", "there",
        "these", "they",
        "this", "to", "was", "we", "what", "when", "where", "which", "who", "will", "with", "you", "your", "should",
        "must", "not",
        "no", "all", "any", "each", "than", "too", "very", "about", "after", "before", "more", "most", "other", "some",
        "such", "only",
        "own", "same", "just", "also", "may", "might", "would", "could", "been", "being", "were", "does", "did",
        "doing", "up", "out",
    ]

    /// The index terms of `text`, in order (repeats kept, for term frequencies).
    public static func terms(_ text: String) -> [String] {
        var result: [String] = []
        var word: [UInt8] = []
        var ascii = true
        var utf8 = text.utf8.makeIterator()
        var pending: [UInt8] = []
        func flush() {
            guard !word.isEmpty else { return }
            defer {
                word.removeAll(keepingCapacity: true)
                ascii = true
            }
            if ascii {
                if let term = asciiTerm(word) { result.append(term) }
                return
            }
            let token = String(decoding: word, as: UTF8.self).lowercased()
            guard !stopWords.contains(token), token.unicodeScalars.count > 1 else { return }
            result.append(token)
        }
        while let byte = utf8.next() {
            if byte < 0x80 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): word.append(byte)
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): word.append(byte + 32)
                default: flush()
                }
                continue
            }
            // A multi-byte scalar: collect it and decide whether it is part of a word.
            pending.removeAll(keepingCapacity: true)
            pending.append(byte)
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            for _ in 1..<length { if let next = utf8.next() { pending.append(next) } }
            let scalar = String(decoding: pending, as: UTF8.self).unicodeScalars.first
            if let scalar, scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                word.append(contentsOf: pending)
                ascii = false
            } else {
                flush()
            }
        }
        flush()
        return result
    }

    /// Stop-word filtering and stemming of a lower-case ASCII word.
    private static func asciiTerm(_ word: [UInt8]) -> String? {
        if word.count == 1, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(word[0]) { return nil }
        let stemmed = stemASCII(word)
        let token = String(decoding: word, as: UTF8.self)
        if word.count <= 8, stopWords.contains(token) { return nil }
        return stemmed.count == word.count ? token : String(decoding: stemmed, as: UTF8.self)
    }

    /// The stemmer on bytes (same rules as ``stem(_:)``).
    private static func stemASCII(_ word: [UInt8]) -> ArraySlice<UInt8> {
        let count = word.count
        guard count > 3 else { return word[...] }
        func ends(_ suffix: StaticString) -> Bool {
            let length = suffix.utf8CodeUnitCount
            guard count > length else { return false }
            return suffix.withUTF8Buffer { buffer in (0..<length).allSatisfy { word[count - length + $0] == buffer[$0] }
            }
        }
        func replace(_ suffix: StaticString, minimum: Int, with replacement: StaticString) -> ArraySlice<UInt8>? {
            let length = suffix.utf8CodeUnitCount
            guard count - length >= minimum, ends(suffix) else { return nil }
            var result = Array(word[..<(count - length)])
            replacement.withUTF8Buffer { result.append(contentsOf: $0) }
            return result[...]
        }
        if let stemmed = replace("ational", minimum: 3, with: "ate") ?? replace("ization", minimum: 3, with: "ize")
            ?? replace("fulness", minimum: 3, with: "ful")
            ?? replace("iveness", minimum: 3, with: "ive") ?? replace("ements", minimum: 3, with: "e")
            ?? replace("ement", minimum: 3, with: "e")
        {
            return stemmed
        }
        if let stemmed = replace("ies", minimum: 2, with: "y") ?? replace("sses", minimum: 2, with: "ss") {
            return stemmed
        }
        for suffix: StaticString in ["ing", "edly", "ed", "ly"] {
            let length = suffix.utf8CodeUnitCount
            if count - length >= 3, ends(suffix) {
                var stemmed = word[..<(count - length)]
                if stemmed.count > 2, let last = stemmed.last, stemmed[stemmed.endIndex - 2] == last,
                    last != UInt8(ascii: "l"), last != UInt8(ascii: "s"), last != UInt8(ascii: "z")
                {
                    stemmed = stemmed.dropLast()
                }
                return stemmed
            }
        }
        if word[count - 1] == UInt8(ascii: "s"), !ends("ss"), !ends("us"), !ends("is") { return word[..<(count - 1)] }
        return word[...]
    }

    /// `running` → `runn` → `run`.
    private static func undouble(_ word: String) -> String {
        guard word.count > 2, let last = word.last, word.dropLast().last == last, !"lsz".contains(last) else {
            return word
        }
        return String(word.dropLast())
    }
}
