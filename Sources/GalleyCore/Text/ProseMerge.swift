/// The merge of one stretch where the lines of both sides overlap, read as prose.
///
/// Lines are the wrong unit for prose: a paragraph is one line or several wrapped ones, and the
/// blank line between two paragraphs is the most common line there is, so a line diff happily
/// anchors on it and pairs the end of one paragraph with the start of another. So the stretch is
/// merged again paragraph by paragraph, paragraphs compared by their words and lines alone (the
/// break and blank lines after a paragraph are its `trailer`: a paragraph added after the last
/// one does not change it), and each paragraph both sides changed is merged word by word
/// (``TokenTable/wordEnds``). Where the two sides split, joined, added or removed paragraphs
/// around an edit of the other, the paragraphs concerned are merged word by word as one piece.
///
/// What is left are conflicts of the words that collide, each with the true base text of those
/// words; around them both sides already hold everything that merged. A word merge is not
/// trusted, and that paragraph stays a conflict as a whole:
/// - where one side rewrote most of it (kept less than half of its words): the other side's
///   edits were made to a text that is gone, and words the rewrite kept by chance are no anchor;
/// - where both sides added the same words in different places (openstreetmap/iD#3058's
///   duplicated text): in one paragraph a phrase of two thirds of the shorter addition (a word
///   added twice counts), across paragraphs such a phrase of three words or more;
/// - where the result would hold a word more often than either side has it, or fewer times
///   than both sides' changes leave it (the final check on the whole stretch).
struct ProseMerge: Hashable {
    enum Piece: Hashable {
        case clean([UInt8])
        case conflict(base: [UInt8], ours: [UInt8], theirs: [UInt8])
    }

    private(set) var pieces: [Piece] = []
    /// Offsets, in ``text(_:)`` of ours, of the paragraphs merged word by word.
    private(set) var wordMerged: [Int] = []
    private var length = 0

    var isClean: Bool { !pieces.contains { if case .conflict = $0 { true } else { false } } }

    /// Whether anything merged, so that the two sides of what is left differ less than the input.
    private(set) var narrows = false

    /// - Parameter atEnd: whether the stretch ends the text (elsewhere it must end with a blank line,
    ///   since the paragraph after it follows).
    init(base: ArraySlice<UInt8>, ours: ArraySlice<UInt8>, theirs: ArraySlice<UInt8>, atEnd: Bool) {
        let (b, o, t) = (Array(base), Array(ours), Array(theirs))
        var builder = Builder(base: Paragraphs(b), ours: Paragraphs(o), theirs: Paragraphs(t))
        builder.run()
        var items = builder.items
        // A paragraph that ended its side may be followed by one from the other side: it needs the
        // blank line between them (and a line break) that it had no need of before.
        for k in items.indices where k < items.count - 1 || !atEnd {
            items[k].trailer = Self.withBlankLine(items[k].trailer, after: items[k].hasWords)
        }
        var merge = ProseMerge()
        for item in items {
            if item.wordMerged { merge.wordMerged.append(merge.length) }
            for piece in item.body { merge.add(piece) }
            merge.add(.clean(item.trailer))
        }
        if !builder.checkedWhole,
            Phrases.shared(builder.added.ours, builder.added.theirs, atLeast: 3) || !Self.trusted(merge.pieces, base: b, ours: o, theirs: t)
        {
            merge = ProseMerge(conflict: b, o, t)
        } else if merge.isClean {
            if merge.wordMerged.isEmpty {
                // Paragraphs that merged as wholes where the lines conflicted are a merge no line
                // tool makes, too: the reader hears of it as of a word merge, at the first place
                // it changed.
                let bytes = merge.text(.ours)
                merge.wordMerged = [zip(bytes, b).prefix { $0 == $1 }.count]
            }
        }
        self = merge
        narrows = !isClean && (text(.ours) != o || text(.theirs) != t) && text(.ours) != text(.theirs)
    }

    private init() {}

    private init(conflict base: [UInt8], _ ours: [UInt8], _ theirs: [UInt8]) {
        add(.conflict(base: base, ours: ours, theirs: theirs))
    }

    /// The merged text, each conflict taking one side.
    func text(_ side: MergeResult.Side) -> [UInt8] {
        var out: [UInt8] = []
        for piece in pieces {
            switch piece {
            case .clean(let bytes): out += bytes
            case .conflict(_, let ours, let theirs): out += side == .ours ? ours : theirs
            }
        }
        return out
    }

    private mutating func add(_ piece: Piece) {
        switch piece {
        case .clean(let bytes):
            guard !bytes.isEmpty else { return }
            length += bytes.count
            if case .clean(var previous) = pieces.last {
                // Taken out first, so that the append does not copy what is there.
                pieces[pieces.count - 1] = .clean([])
                previous += bytes
                pieces[pieces.count - 1] = .clean(previous)
                return
            }
        case .conflict(_, let ours, _):
            length += ours.count
        }
        pieces.append(piece)
    }

    /// Whether merged pieces are text a reader can trust: neither side of them (each side's text
    /// with the other's edits that merged) holds a word more often than it may
    /// (``MergeQuality/excessWords(merged:base:side:other:)``: no word written twice, none that side
    /// removed put back) or less often (``MergeQuality/missingFromSide(merged:base:side:other:)``:
    /// none of its own lost to the other side of a conflict), and, when they are clean, none is
    /// missing that both sides' changes leave (``MergeQuality/lostWords(merged:base:ours:theirs:)``).
    static func trusted(_ pieces: [Piece], base: [UInt8], ours: [UInt8], theirs: [UInt8]) -> Bool {
        func text(_ side: MergeResult.Side) -> [UInt8] {
            var out: [UInt8] = []
            for piece in pieces {
                switch piece {
                case .clean(let bytes): out += bytes
                case .conflict(_, let o, let t): out += side == .ours ? o : t
                }
            }
            return out
        }
        let clean = !pieces.contains { if case .conflict = $0 { true } else { false } }
        // Texts 0, 1, 2: base, ours, theirs; then the merge (clean), or each side of it.
        let tally = WordTally(clean ? [base, ours, theirs, text(.ours)] : [base, ours, theirs, text(.ours), text(.theirs)])
        let (fromOurs, fromTheirs) = (MergeQuality.Sides(base: 0, own: 1, other: 2), MergeQuality.Sides(base: 0, own: 2, other: 1))
        let checks: [(merged: Int, side: MergeQuality.Sides)] = clean ? [(3, fromOurs), (3, fromTheirs)] : [(3, fromOurs), (4, fromTheirs)]
        for (merged, side) in checks {
            guard MergeQuality.excess(tally, merged: merged, side).isEmpty, MergeQuality.missing(tally, merged: merged, side).isEmpty else { return false }
        }
        if clean, !MergeQuality.lost(tally, merged: 3, fromOurs).isEmpty { return false }
        return true
    }

    /// `trailer` with a blank line at its end: a line break after the paragraph's last line (if it
    /// has words) and one blank line, in the text's own kind of line break.
    static func withBlankLine(_ trailer: [UInt8], after words: Bool) -> [UInt8] {
        let breaks = trailer.count { $0 == 0x0A }
        let needed = words ? 2 : 1
        guard breaks < needed else { return trailer }
        let lineBreak: [UInt8] = trailer.contains(0x0D) ? [0x0D, 0x0A] : [0x0A]
        var out = trailer
        for _ in breaks..<needed { out += lineBreak }
        return out
    }

    // MARK: - Paragraphs

    /// A text cut into paragraphs: each paragraph's lines up to the end of its last one (its
    /// `content`, without that line's break) and what follows up to the next paragraph (its
    /// `trailer`: the line break and the blank lines). Blank lines at the very start are a
    /// paragraph without content.
    struct Paragraphs {
        let bytes: [UInt8]
        private(set) var contents: [Range<Int>] = []
        var count: Int { contents.count }

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
            var start = 0
            var open: Int? = nil
            var contentEnd = 0
            for end in TokenTable.lineEnds(bytes) {
                let blank = bytes[start..<end].allSatisfy(Self.isSpace)
                if !blank {
                    if open == nil { open = start }
                    var e = end
                    if bytes[e - 1] == 0x0A {
                        e -= 1
                        if e > start, bytes[e - 1] == 0x0D { e -= 1 }
                    }
                    contentEnd = e
                } else if let first = open {
                    contents.append(first..<contentEnd)
                    open = nil
                }
                start = end
            }
            if let first = open { contents.append(first..<contentEnd) }
            if let first = contents.first, first.lowerBound > 0 {
                contents.insert(0..<0, at: 0)
            } else if contents.isEmpty, !bytes.isEmpty {
                contents = [0..<0]
            }
        }

        static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }

        func content(_ k: Int) -> [UInt8] { Array(bytes[contents[k]]) }

        func trailer(_ k: Int) -> [UInt8] {
            Array(bytes[contents[k].upperBound..<(k + 1 < count ? contents[k + 1].lowerBound : bytes.count)])
        }

        /// Paragraphs `r` and what lies between them, without the last one's trailer.
        func joined(_ r: Range<Int>) -> [UInt8] {
            r.isEmpty ? [] : Array(bytes[contents[r.lowerBound].lowerBound..<contents[r.upperBound - 1].upperBound])
        }

        /// The contents one after another, and where each ends: what the paragraph diff compares.
        var tokens: ([UInt8], [Int]) {
            var joined: [UInt8] = []
            joined.reserveCapacity(bytes.count)
            var ends: [Int] = []
            ends.reserveCapacity(count)
            for range in contents {
                joined += bytes[range]
                ends.append(joined.count)
            }
            return (joined, ends)
        }
    }

    /// One paragraph of the merged stretch (or several merged as one piece): its text, and what
    /// follows it.
    struct Item {
        var body: [Piece]
        var trailer: [UInt8]
        var hasWords: Bool
        var wordMerged = false
    }

    /// Walks the paragraph diff of the three sides and makes the items of the merge.
    private struct Builder {
        let base: Paragraphs, ours: Paragraphs, theirs: Paragraphs
        var items: [Item] = []
        /// Whether the checks made of the paragraphs merged word by word cover the whole stretch.
        var checkedWhole = false
        /// What each side added outside conflicts, as runs of words.
        var added: (ours: [[Words.Key]], theirs: [[Words.Key]]) = ([], [])

        init(base: Paragraphs, ours: Paragraphs, theirs: Paragraphs) {
            self.base = base
            self.ours = ours
            self.theirs = theirs
        }

        mutating func run() {
            let (b, o, t) = (base.tokens, ours.tokens, theirs.tokens)
            let merge = ThreeWayMerge(base: b.0, ours: o.0, theirs: t.0, ends: (b.1, o.1, t.1), touchingConflicts: false)
            var same: [ThreeWayMerge.Entry] = []
            let entries = merge.plainEntries(merge.hunks(), sameChanges: &same)
            // One change, everything else alike on every side: what was checked of that change
            // holds for the whole stretch.
            checkedWhole = entries.count == 1 && same.isEmpty
            var (p0, p1, p2) = (0, 0, 0)
            for m in entries + [.init(mode: .identical, i0: base.count, chg0: 0, i1: ours.count, chg1: 0, i2: theirs.count, chg2: 0)] {
                // Between entries the two sides agree; the base may not, where both made one change.
                let n = m.i1 - p1
                let aligned = m.i0 - p0 == n
                for j in 0..<n {
                    paragraph(ours.content(p1 + j), trailer: Self.trailer(aligned ? base.trailer(p0 + j) : nil, ours.trailer(p1 + j), theirs.trailer(p2 + j)))
                }
                let (r0, r1, r2) = (m.i0..<(m.i0 + m.chg0), m.i1..<(m.i1 + m.chg1), m.i2..<(m.i2 + m.chg2))
                switch m.mode {
                case .ours, .identical:
                    take(ours, r1, other: theirs, r2, base: r0)
                    if m.mode == .ours { added.ours += Phrases.added(ours.joined(r1), to: base.joined(r0)) }
                case .theirs:
                    take(theirs, r2, other: ours, r1, base: r0)
                    added.theirs += Phrases.added(theirs.joined(r2), to: base.joined(r0))
                case .conflict, .resolved, .narrowed:
                    // As many paragraphs on every side: edits to neighbouring paragraphs, which
                    // the diff groups because they touch, paired one by one; unless a pair has
                    // little in common (one side split a paragraph and joined two others, and
                    // the counts came out even), where they are merged as one piece too.
                    // Paired, the pieces are checked as a whole, since words moved from one
                    // paragraph to the next pair with nothing.
                    let (start, before) = (items.count, added)
                    if r0.count == 1, r1.count == 1, r2.count == 1 {
                        // One paragraph on every side: pairing and merging as one piece are one thing.
                        mergeWords(base.content(r0.lowerBound), ours.content(r1.lowerBound), theirs.content(r2.lowerBound),
                                   trailer: Self.trailer(base.trailer(r0.lowerBound), ours.trailer(r1.lowerBound), theirs.trailer(r2.lowerBound)))
                        break
                    }
                    if r0.count == r1.count, r1.count == r2.count, zip(r0, zip(r1, r2)).allSatisfy({ k0, k in
                        Phrases.keepsMost(of: base.content(k0), in: ours.content(k.0)) && Phrases.keepsMost(of: base.content(k0), in: theirs.content(k.1))
                    }) {
                        for j in 0..<r0.count {
                            let (k0, k1, k2) = (r0.lowerBound + j, r1.lowerBound + j, r2.lowerBound + j)
                            mergeWords(base.content(k0), ours.content(k1), theirs.content(k2),
                                  trailer: Self.trailer(base.trailer(k0), ours.trailer(k1), theirs.trailer(k2)))
                        }
                        if ProseMerge.trusted(items[start...].flatMap { $0.body + [.clean($0.trailer)] },
                                              base: base.joined(r0), ours: ours.joined(r1), theirs: theirs.joined(r2)) {
                            break
                        }
                        items.removeSubrange(start...)
                        added = before
                    }
                    do {
                        // Paragraphs split, joined, added or removed beside an edit of the other
                        // side: merged word by word as one piece, from the first to the last.
                        func last(_ p: Paragraphs, _ r: Range<Int>) -> [UInt8]? { r.isEmpty ? nil : p.trailer(r.upperBound - 1) }
                        mergeWords(base.joined(r0), ours.joined(r1), theirs.joined(r2),
                              trailer: Self.trailer(last(base, r0), last(ours, r1), last(theirs, r2)))
                    }
                }
                (p0, p1, p2) = (m.i0 + m.chg0, m.i1 + m.chg1, m.i2 + m.chg2)
            }
        }

        /// The paragraphs one side changed alone (or both alike); where the other side has as many
        /// in their place, it may have changed what follows them.
        private mutating func take(_ side: Paragraphs, _ r: Range<Int>, other: Paragraphs, _ ro: Range<Int>, base r0: Range<Int>) {
            for (j, k) in r.enumerated() {
                let trailer = r.count == ro.count
                    ? Self.trailer(r.count == r0.count ? base.trailer(r0.lowerBound + j) : nil, side.trailer(k), other.trailer(ro.lowerBound + j))
                    : side.trailer(k)
                paragraph(side.content(k), trailer: trailer)
            }
        }

        private mutating func paragraph(_ content: [UInt8], trailer: [UInt8]) {
            items.append(Item(body: [.clean(content)], trailer: trailer, hasWords: !content.isEmpty))
        }

        /// What follows a paragraph, merged as a register: the side that changed it, or where both
        /// did, the one with more line breaks (either way round the same).
        static func trailer(_ base: [UInt8]?, _ ours: [UInt8]?, _ theirs: [UInt8]?) -> [UInt8] {
            guard let ours else { return theirs ?? base ?? [] }
            guard let theirs else { return ours }
            if ours == theirs || theirs == base { return ours }
            if ours == base { return theirs }
            let (no, nt) = (ours.count { $0 == 0x0A }, theirs.count { $0 == 0x0A })
            if no != nt { return no > nt ? ours : theirs }
            return ours.lexicographicallyPrecedes(theirs) ? theirs : ours
        }

        /// One paragraph (or several as one piece) both sides changed: word by word, or a conflict.
        private mutating func mergeWords(_ b: [UInt8], _ o: [UInt8], _ t: [UInt8], trailer: [UInt8]) {
            let hasWords = !o.isEmpty || !t.isEmpty
            if o == t || t == b { return items.append(Item(body: [.clean(o)], trailer: trailer, hasWords: hasWords)) }
            if o == b { return items.append(Item(body: [.clean(t)], trailer: trailer, hasWords: hasWords)) }
            let whole = Item(body: [.conflict(base: b, ours: o, theirs: t)], trailer: trailer, hasWords: hasWords)
            guard let words = WordMerge(base: b, ours: o, theirs: t) else { return items.append(whole) }
            added.ours += words.added.ours
            added.theirs += words.added.theirs
            items.append(Item(body: words.pieces, trailer: trailer, hasWords: hasWords, wordMerged: words.isClean))
        }
    }

    /// The word merge of one paragraph, or nil where it is not to be trusted.
    private struct WordMerge {
        var pieces: [Piece] = []
        var isClean = true
        var added: (ours: [[Words.Key]], theirs: [[Words.Key]]) = ([], [])

        init?(base: [UInt8], ours: [UInt8], theirs: [UInt8]) {
            let words = ThreeWayMerge(base: base, ours: ours, theirs: theirs, tokenizer: TokenTable.wordEnds, fillerBetweenConflicts: true)
            let hunks = words.hunks()
            guard words.keepsMostWords(hunks.ours), words.keepsMostWords(hunks.theirs) else { return nil }
            let entries = words.sentencesWhole(words.plainEntries(hunks))
            for m in entries {
                let r0 = words.base.slice(m.i0..<(m.i0 + m.chg0))
                switch m.mode {
                case .ours: added.ours += Phrases.added(Array(words.ours.slice(m.i1..<(m.i1 + m.chg1))), to: Array(r0))
                case .theirs: added.theirs += Phrases.added(Array(words.theirs.slice(m.i2..<(m.i2 + m.chg2))), to: Array(r0))
                default: break
                }
            }
            guard !Phrases.shared(added.ours, added.theirs, atLeast: 1) else { return nil }
            var paragraph = ProseMerge()
            words.walk(entries, clean: { paragraph.add(.clean(Array($0))) }) { m in
                paragraph.add(.conflict(
                    base: Array(words.base.slice(m.i0..<(m.i0 + m.chg0))), ours: Array(words.ours.slice(m.i1..<(m.i1 + m.chg1))),
                    theirs: Array(words.theirs.slice(m.i2..<(m.i2 + m.chg2)))))
            }
            pieces = paragraph.pieces
            isClean = paragraph.isClean
            // A conflict of words is only ever narrowed to text a reader can trust.
            guard ProseMerge.trusted(pieces, base: base, ours: ours, theirs: theirs) else { return nil }
        }
    }
}

/// Runs of words one side added, and whether two sides added the same phrase.
enum Phrases {
    /// The words of `new` that `old` did not have (by count, in `new`'s order), as one run.
    static func added(_ new: [UInt8], to old: [UInt8]) -> [[Words.Key]] {
        var have = Words.counts(old)
        var run: [Words.Key] = []
        for word in Words.keys(new) {
            if let n = have[word], n > 0 {
                have[word] = n - 1
            } else {
                run.append(word)
            }
        }
        return run.isEmpty ? [] : [run]
    }

    /// Whether `new` holds at least half of the words of `old` (counted as a multiset): whether it
    /// is still the same paragraph, edited.
    static func keepsMost(of old: [UInt8], in new: [UInt8]) -> Bool {
        if old == new { return true }
        let tally = WordTally([old, new])
        let (before, after) = (tally.counts[0], tally.counts[1])
        let words = tally.words
        let total = words.reduce(0) { $0 + before[$1] }
        let kept = words.reduce(0) { $0 + min(before[$1], after[$1]) }
        return 2 * kept >= total
    }

    /// Whether a run of one side and a run of the other share a phrase of at least two thirds of
    /// the shorter run (and of at least `atLeast` words): the same words written in two places,
    /// as a duplicating merge writes them (iD#3058), not the boilerplate two new rows of a table
    /// share.
    static func shared(_ ours: [[Words.Key]], _ theirs: [[Words.Key]], atLeast: Int) -> Bool {
        guard !ours.isEmpty, !theirs.isEmpty else { return false }
        let theirSets = theirs.map(Set.init)
        for a in ours {
            let mine = Set(a)
            for (b, theirSet) in zip(theirs, theirSets) {
                let shorter = min(a.count, b.count)
                let need = max(atLeast, 1, (2 * shorter + 2) / 3)
                guard need <= shorter, !mine.isDisjoint(with: theirSet) else { continue }
                let (short, long) = a.count <= b.count ? (a, b) : (b, a)
                let phrases = Set((0...(long.count - need)).map { long[$0..<($0 + need)] })
                if (0...(short.count - need)).contains(where: { phrases.contains(short[$0..<($0 + need)]) }) { return true }
            }
        }
        return false
    }
}

extension ProseMerge {
    // MARK: - Presentation

    /// Two texts as the lines they share at the start, the lines where they differ, and the lines
    /// they share at the end.
    static func differingLines(_ a: [UInt8], _ b: [UInt8]) -> (ArraySlice<UInt8>, ArraySlice<UInt8>, ArraySlice<UInt8>, ArraySlice<UInt8>) {
        let aLines = TokenTable.lineEnds(a)
        let bLines = TokenTable.lineEnds(b)
        func line(_ bytes: [UInt8], _ ends: [Int], _ k: Int) -> ArraySlice<UInt8> { bytes[(k == 0 ? 0 : ends[k - 1])..<ends[k]] }
        var head = 0
        while head < aLines.count, head < bLines.count, line(a, aLines, head) == line(b, bLines, head) { head += 1 }
        var tail = 0
        while tail < aLines.count - head, tail < bLines.count - head,
            line(a, aLines, aLines.count - 1 - tail) == line(b, bLines, bLines.count - 1 - tail)
        {
            tail += 1
        }
        let headEnd = head == 0 ? 0 : aLines[head - 1]
        let aTail = aLines.count - tail == 0 ? 0 : aLines[aLines.count - tail - 1]
        let bHeadEnd = head == 0 ? 0 : bLines[head - 1]
        let bTail = bLines.count - tail == 0 ? 0 : bLines[bLines.count - tail - 1]
        return (a[0..<headEnd], a[headEnd..<aTail], b[bHeadEnd..<bTail], a[aTail...])
    }

    /// The paragraph (counted from 1, as a reader counts blocks between blank lines) that holds
    /// each offset of a text.
    static func paragraphNumbers(of offsets: [Int], in text: [UInt8]) -> [Int] {
        guard !offsets.isEmpty else { return [] }
        var starts: [Int] = []
        var start = 0
        var previousBlank = true
        for end in TokenTable.lineEnds(text) {
            let blank = text[start..<end].allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
            if !blank, previousBlank { starts.append(start) }
            previousBlank = blank
            start = end
        }
        return offsets.map { offset in max(1, starts.count { $0 <= offset }) }
    }
}
