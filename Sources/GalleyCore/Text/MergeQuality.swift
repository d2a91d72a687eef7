/// How a merge of prose compares with what a person made of the same merge: the measures of
/// `galley-bench merge-quality`, kept beside the merge so that tests can hold it to them too.
public enum MergeQuality {
    /// How a clean merge compares with a reference text.
    public enum Agreement: String, Sendable {
        case identical
        /// The same text but for spaces and line breaks.
        case whitespace
        /// The same words in the same order; punctuation differs too (an apostrophe ' for ’).
        case punctuation
        case words
    }

    public static func agreement(_ merged: String, _ reference: String) -> Agreement {
        if merged == reference { return .identical }
        func visible(_ text: String) -> [Character] { text.filter { !$0.isWhitespace } }
        if visible(merged) == visible(reference) { return .whitespace }
        return words(merged) == words(reference) ? .punctuation : .words
    }

    /// The words of a text as a reader sees them: runs of letters, digits and combining marks
    /// (so "ў" typed as у and a breve is one word), everything else a separator.
    public static func words(_ text: String) -> [Substring] {
        var out: [Substring] = []
        var start: String.Index?
        var i = text.startIndex
        while i < text.endIndex {
            let isWord = text[i].isLetter || text[i].isNumber
            if isWord, start == nil { start = i }
            if !isWord, let s = start {
                out.append(text[s..<i])
                start = nil
            }
            i = text.index(after: i)
        }
        if let s = start { out.append(text[s...]) }
        return out
    }

    /// Words a clean merge must hold and does not: every word both sides kept from the base,
    /// and every word either side added that the person's resolution kept too, counted with their
    /// multiplicity. Empty when nothing was lost.
    ///
    /// By counts, per word: what neither side removed is `ours + theirs - base` (two sides that
    /// removed different occurrences leave the rest); an addition both sides made alike is one,
    /// which the cap by the person's text (or by the smaller side) allows for.
    public static func missingWords(merged: String, base: String, ours: String, theirs: String, human: String) -> [String: Int] {
        func count(_ text: String) -> [String: Int] { words(text).reduce(into: [:]) { $0[String($1), default: 0] += 1 } }
        let (b, o, t, h, m) = (count(base), count(ours), count(theirs), count(human), count(merged))
        var missing: [String: Int] = [:]
        for word in Set(o.keys).union(t.keys) {
            let (inBase, inOurs, inTheirs) = (b[word] ?? 0, o[word] ?? 0, t[word] ?? 0)
            let needed = min(max(0, inOurs + inTheirs - inBase), max(h[word] ?? 0, min(inOurs, inTheirs)))
            if (m[word] ?? 0) < needed { missing[word] = needed - (m[word] ?? 0) }
        }
        return missing
    }

    /// Words a merge holds more often than it may: more often than either side has it, and more
    /// often than the two sides' changes together make it (`ours + theirs - base`). A clean merge
    /// with such a word wrote something twice that a person wrote once (the same words added in
    /// two places, a word moved two ways, or a merge bug like node-diff3's duplicated stretch).
    /// Empty when nothing was duplicated.
    public static func duplicatedWords(merged: String, base: String, ours: String, theirs: String) -> [String: Int] {
        func count(_ text: String) -> [String: Int] { words(text).reduce(into: [:]) { $0[String($1), default: 0] += 1 } }
        let (b, o, t, m) = (count(base), count(ours), count(theirs), count(merged))
        var extra: [String: Int] = [:]
        for (word, n) in m {
            let (inBase, inOurs, inTheirs) = (b[word] ?? 0, o[word] ?? 0, t[word] ?? 0)
            let allowed = max(inOurs, inTheirs, inOurs + inTheirs - inBase)
            if n > allowed { extra[word] = n - allowed }
        }
        return extra
    }

    static func duplicatedWords(merged: [UInt8], base: [UInt8], ours: [UInt8], theirs: [UInt8]) -> [String: Int] {
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        return duplicatedWords(merged: text(merged), base: text(base), ours: text(ours), theirs: text(theirs))
    }
}
