/// How a merge of prose compares with what a person made of the same merge, and the bounds a
/// merge must keep on how often each word occurs: the measures of `galley-bench merge-quality`,
/// and the checks the prose merge itself makes before it trusts a word merge (``ProseMerge``).
///
/// Words are counted by ``Words``: runs of letters and digits with their marks.
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

    /// The words of a text as a reader sees them: runs of letters and digits with their marks
    /// (so "ў" typed as у and a breve is one word), everything else a separator.
    public static func words(_ text: String) -> [Substring] {
        let utf8 = text.utf8
        return Words.ranges(utf8).map { range in
            text[utf8.index(utf8.startIndex, offsetBy: range.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: range.upperBound)]
        }
    }

    /// Which texts of a ``WordTally`` are the base and the two sides, seen from one side.
    struct Sides {
        let base: Int, own: Int, other: Int
    }

    private static func tally(_ texts: String...) -> WordTally { WordTally(texts.map { Array($0.utf8) }) }

    /// Words a clean merge must hold and does not: every word both sides kept from the base,
    /// and every word either side added that the person's resolution kept too, counted with their
    /// multiplicity. Empty when nothing was lost.
    ///
    /// By counts, per word: what neither side removed is `ours + theirs - base` (two sides that
    /// removed different occurrences leave the rest); an addition both sides made alike is one,
    /// which the cap by the person's text (or by the smaller side) allows for.
    public static func missingWords(merged: String, base: String, ours: String, theirs: String, human: String) -> [String: Int] {
        let t = tally(base, ours, theirs, human, merged)
        let (b, o, th, h, m) = (t.counts[0], t.counts[1], t.counts[2], t.counts[3], t.counts[4])
        var missing: [Int: Int] = [:]
        for w in t.words {
            let needed = min(max(0, o[w] + th[w] - b[w]), max(h[w], min(o[w], th[w])))
            if m[w] < needed { missing[w] = needed - m[w] }
        }
        return t.report(missing)
    }

    /// Words a merge holds more often than it may: more often than either side has it, and more
    /// often than the two sides' changes together make it (`ours + theirs - base`). A clean merge
    /// with such a word wrote something twice that a person wrote once (the same words added in
    /// two places, a word moved two ways, or a merge bug like node-diff3's duplicated stretch).
    /// Empty when nothing was duplicated.
    public static func duplicatedWords(merged: String, base: String, ours: String, theirs: String) -> [String: Int] {
        let t = tally(base, ours, theirs, merged)
        let (b, o, th, m) = (t.counts[0], t.counts[1], t.counts[2], t.counts[3])
        var extra: [Int: Int] = [:]
        for w in t.words {
            let allowed = max(o[w], th[w], o[w] + th[w] - b[w])
            if m[w] > allowed { extra[w] = m[w] - allowed }
        }
        return t.report(extra)
    }

    /// Words a clean merge holds fewer times than the two sides' changes leave them: where both
    /// sides added a word, as often as the side that added more has it (an addition both made
    /// alike is one); otherwise `ours + theirs - base` (each side's removals and additions, applied
    /// to what the other kept). Empty when nothing was lost. Unlike ``missingWords``, it needs no
    /// reference resolution: it is what the merge itself checks before it trusts a word merge.
    public static func lostWords(merged: String, base: String, ours: String, theirs: String) -> [String: Int] {
        let t = tally(base, ours, theirs, merged)
        return t.report(lost(t, merged: 3, Sides(base: 0, own: 1, other: 2)))
    }

    static func lost(_ t: WordTally, merged m: Int, _ s: Sides) -> [Int: Int] {
        let (b, o, th, merged) = (t.counts[s.base], t.counts[s.own], t.counts[s.other], t.counts[m])
        var lost: [Int: Int] = [:]
        for w in t.words {
            let least = o[w] > b[w] && th[w] > b[w] ? max(o[w], th[w]) : max(0, o[w] + th[w] - b[w])
            if merged[w] < least { lost[w] = least - merged[w] }
        }
        return lost
    }

    /// Words one side of a merge (that side's text, with the other side's edits that merged)
    /// holds more often than it may: more often than that side has them, and than that side with
    /// all of the other's changes would (`side + other - base`). A word that side removed and the
    /// other kept, back in its text, or a word written twice, is too many. Empty when none is.
    /// For a clean merge, checked from both sides, it is the strictest bound there is:
    /// `max(min(ours, theirs), ours + theirs - base)`.
    public static func excessWords(merged: String, base: String, side: String, other: String) -> [String: Int] {
        let t = tally(base, side, other, merged)
        return t.report(excess(t, merged: 3, Sides(base: 0, own: 1, other: 2)))
    }

    static func excess(_ t: WordTally, merged m: Int, _ s: Sides) -> [Int: Int] {
        let (b, own, other, merged) = (t.counts[s.base], t.counts[s.own], t.counts[s.other], t.counts[m])
        var extra: [Int: Int] = [:]
        for w in t.words {
            let allowed = max(own[w], own[w] + other[w] - b[w])
            if merged[w] > allowed { extra[w] = merged[w] - allowed }
        }
        return extra
    }

    /// Words one side of a merge holds fewer times than it must: that side's own count, less
    /// what the other side removed (`side - (base - other)`, where the other has fewer). A word
    /// the side wrote and nobody removed, missing from its text, went somewhere it should not.
    /// Empty when none is.
    public static func missingFromSide(merged: String, base: String, side: String, other: String) -> [String: Int] {
        let t = tally(base, side, other, merged)
        return t.report(missing(t, merged: 3, Sides(base: 0, own: 1, other: 2)))
    }

    static func missing(_ t: WordTally, merged m: Int, _ s: Sides) -> [Int: Int] {
        let (b, own, other, merged) = (t.counts[s.base], t.counts[s.own], t.counts[s.other], t.counts[m])
        var missing: [Int: Int] = [:]
        for w in t.words {
            let least = max(0, own[w] - max(0, b[w] - other[w]))
            if merged[w] < least { missing[w] = least - merged[w] }
        }
        return missing
    }
}
