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
        let items = builder.items
        var merge = ProseMerge()
        for (k, item) in items.enumerated() {
            if item.wordMerged { merge.wordMerged.append(merge.length) }
            // A paragraph that ended its side may be followed by one from the other side: it needs
            // the blank line between them (and a line break) that it had no need of before.
            for piece in item.pieces(needsBreak: k < items.count - 1 || !atEnd) { merge.add(piece) }
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
    /// missing that both sides' changes leave (``MergeQuality/lostWords(merged:base:ours:theirs:)``);
    /// and that the words keep the order their side gave them.
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
        // And in the order each side gave its words: a clean merge in both sides' order, each side
        // of a conflict in its own.
        for (merged, side) in clean ? [(3, 1), (3, 2)] : [(3, 1), (4, 2)] where !tally.keepsOrder(of: side, in: merged) { return false }
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
        /// What followed the paragraph on a side where it was the last of the text: what follows
        /// it where it ends the merged text too.
        var endTrailer: [UInt8]? = nil
        /// A paragraph (or several) left a conflict as a whole: each side with what followed it
        /// there, so that a side that removed it leaves nothing in its place.
        var whole: Whole? = nil

        struct Whole {
            var base: [UInt8], ours: [UInt8], theirs: [UInt8]
            var trailers: (base: [UInt8], ours: [UInt8], theirs: [UInt8])
        }

        /// The item's pieces, what follows it included; `needsBreak`: whether more text follows.
        func pieces(needsBreak: Bool) -> [Piece] {
            func end(_ trailer: [UInt8], after words: Bool) -> [UInt8] { needsBreak ? ProseMerge.withBlankLine(trailer, after: words) : trailer }
            if let whole {
                return [.conflict(
                    base: whole.base + whole.trailers.base,
                    ours: whole.ours.isEmpty ? [] : whole.ours + end(whole.trailers.ours, after: true),
                    theirs: whole.theirs.isEmpty ? [] : whole.theirs + end(whole.trailers.theirs, after: true))]
            }
            return body + [.clean(end(needsBreak ? trailer : endTrailer ?? trailer, after: hasWords))]
        }
    }

    /// Walks the paragraph diff of the three sides and makes the items of the merge.
    fileprivate struct Builder {
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
                    paragraph(ours.content(p1 + j), trailer: Self.trailer(aligned ? base.trailer(p0 + j) : nil, ours.trailer(p1 + j), theirs.trailer(p2 + j)),
                              ends: end((p1 + j)..<(p1 + j + 1), (p2 + j)..<(p2 + j + 1)))
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
                                   trailers: (base.trailer(r0.lowerBound), ours.trailer(r1.lowerBound), theirs.trailer(r2.lowerBound)),
                                   ends: end(r1, r2))
                        break
                    }
                    if r0.count == r1.count, r1.count == r2.count, zip(r0, zip(r1, r2)).allSatisfy({ k0, k in
                        Phrases.keepsMost(of: base.content(k0), in: ours.content(k.0)) && Phrases.keepsMost(of: base.content(k0), in: theirs.content(k.1))
                    }) {
                        for j in 0..<r0.count {
                            let (k0, k1, k2) = (r0.lowerBound + j, r1.lowerBound + j, r2.lowerBound + j)
                            mergeWords(base.content(k0), ours.content(k1), theirs.content(k2),
                                       trailers: (base.trailer(k0), ours.trailer(k1), theirs.trailer(k2)), ends: end(k1..<(k1 + 1), k2..<(k2 + 1)))
                        }
                        if ProseMerge.trusted(items[start...].flatMap { $0.pieces(needsBreak: true) },
                                              base: base.joined(r0), ours: ours.joined(r1), theirs: theirs.joined(r2)) {
                            break
                        }
                        items.removeSubrange(start...)
                        added = before
                    }
                    if alignByLikeness(r0, r1, r2) { break }
                    do {
                        // Paragraphs split, joined, added or removed beside an edit of the other
                        // side: merged word by word as one piece, from the first to the last.
                        func last(_ p: Paragraphs, _ r: Range<Int>) -> [UInt8]? { r.isEmpty ? nil : p.trailer(r.upperBound - 1) }
                        mergeWords(base.joined(r0), ours.joined(r1), theirs.joined(r2),
                                   trailers: (last(base, r0), last(ours, r1), last(theirs, r2)), ends: end(r1, r2))
                    }
                }
                (p0, p1, p2) = (m.i0 + m.chg0, m.i1 + m.chg1, m.i2 + m.chg2)
            }
        }

        /// Paragraphs paired by likeness, where the diff grouped a side's edit of one paragraph
        /// with its removal or addition of the next (a diff joins changes that touch): each side's
        /// paragraphs matched to the base's they keep most words of, and the three merged as
        /// paragraphs again on that pairing. So a paragraph one side removed and the other edited
        /// is a conflict of that paragraph alone, and the edit beside it merges. False, with
        /// nothing added, where nothing pairs or the result is not to be trusted.
        private mutating func alignByLikeness(_ r0: Range<Int>, _ r1: Range<Int>, _ r2: Range<Int>) -> Bool {
            guard !r0.isEmpty, r0.count * max(r1.count, r2.count, 1) <= 400 else { return false }
            /// For each base paragraph, the paragraph of `side` it pairs with, by the longest
            /// sequence of pairs that keep most of each other's words.
            func pairs(_ side: Paragraphs, _ rs: Range<Int>) -> [Int?] {
                let (n, m) = (r0.count, rs.count)
                var like = [[Bool?]](repeating: [Bool?](repeating: nil, count: m), count: n)
                func alike(_ i: Int, _ j: Int) -> Bool {
                    if let known = like[i][j] { return known }
                    let (b, o) = (base.content(r0.lowerBound + i), side.content(rs.lowerBound + j))
                    let answer = b == o || (Phrases.keepsMost(of: b, in: o) && Phrases.keepsMost(of: o, in: b))
                    like[i][j] = answer
                    return answer
                }
                var longest = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
                for i in stride(from: n - 1, through: 0, by: -1) {
                    for j in stride(from: m - 1, through: 0, by: -1) {
                        longest[i][j] = alike(i, j) ? longest[i + 1][j + 1] + 1 : max(longest[i + 1][j], longest[i][j + 1])
                    }
                }
                var out = [Int?](repeating: nil, count: n)
                var (i, j) = (0, 0)
                while i < n, j < m {
                    if alike(i, j), longest[i][j] == longest[i + 1][j + 1] + 1 {
                        out[i] = rs.lowerBound + j
                        i += 1
                        j += 1
                    } else if longest[i + 1][j] >= longest[i][j + 1] {
                        i += 1
                    } else {
                        j += 1
                    }
                }
                return out
            }
            let (toOurs, toTheirs) = (pairs(ours, r1), pairs(theirs, r2))
            guard toOurs.contains(where: { $0 != nil }) || toTheirs.contains(where: { $0 != nil }) else { return false }
            // Words that moved are no removal and no addition: a paragraph a side left unpaired
            // whose words it kept elsewhere (joined to another), or a paragraph of its own made of
            // the base's words (split from one), is left to the merge of words.
            let baseWords = base.joined(r0)
            for (side, rs, paired) in [(ours, r1, toOurs), (theirs, r2, toTheirs)] {
                let all = side.joined(rs)
                for (k, j) in paired.enumerated() where j == nil {
                    if Phrases.keepsMost(of: base.content(r0.lowerBound + k), in: all) { return false }
                }
                let pairedHere = Set(paired.compactMap { $0 })
                for j in rs where !pairedHere.contains(j) {
                    if Phrases.keepsMost(of: side.content(j), in: baseWords) { return false }
                }
            }
            // The pairing as lines of names, so that the merge of lines does the rest: a paired
            // paragraph is named by its base paragraph on every side, an unpaired one by itself.
            func names(_ count: Int, _ lower: Int, _ paired: [Int?], _ tag: String) -> ([UInt8], [Int]) {
                var byIndex: [Int: Int] = [:]
                for (k, j) in paired.enumerated() { if let j { byIndex[j] = k } }
                var bytes: [UInt8] = []
                var ends: [Int] = []
                for j in lower..<(lower + count) {
                    bytes += Array((byIndex[j].map { "b\($0)" } ?? "\(tag)\(j)").utf8) + [0x0A]
                    ends.append(bytes.count)
                }
                return (bytes, ends)
            }
            let o = names(r1.count, r1.lowerBound, toOurs, "o")
            let t = names(r2.count, r2.lowerBound, toTheirs, "t")
            // Base paragraphs are named by their place in the group.
            var baseBytes: [UInt8] = []
            var baseEnds: [Int] = []
            for k in 0..<r0.count {
                baseBytes += Array("b\(k)".utf8) + [0x0A]
                baseEnds.append(baseBytes.count)
            }
            let merge = ThreeWayMerge(base: baseBytes, ours: o.0, theirs: t.0, ends: (baseEnds, o.1, t.1), touchingConflicts: false)
            let entries = merge.plainEntries()
            let (start, before) = (items.count, added)
            func fail() -> Bool {
                items.removeSubrange(start...)
                added = before
                return false
            }
            func whole(_ q0: Range<Int>, _ q1: Range<Int>, _ q2: Range<Int>) {
                func last(_ p: Paragraphs, _ r: Range<Int>) -> [UInt8] { r.isEmpty ? [] : p.trailer(r.upperBound - 1) }
                var item = Item(body: [], trailer: [], hasWords: true)
                item.whole = .init(
                    base: base.joined(q0), ours: ours.joined(q1), theirs: theirs.joined(q2),
                    trailers: (last(base, q0), last(ours, q1), last(theirs, q2)))
                items.append(item)
            }
            var (q0, q1, q2) = (0, 0, 0)
            for m in entries + [.init(mode: .identical, i0: r0.count, chg0: 0, i1: r1.count, chg1: 0, i2: r2.count, chg2: 0)] {
                let n = m.i1 - q1
                guard m.i0 - q0 == n, m.i2 - q2 == n else { return fail() }
                for j in 0..<n {
                    let (k0, k1, k2) = (r0.lowerBound + q0 + j, r1.lowerBound + q1 + j, r2.lowerBound + q2 + j)
                    mergeWords(base.content(k0), ours.content(k1), theirs.content(k2),
                               trailers: (base.trailer(k0), ours.trailer(k1), theirs.trailer(k2)), ends: end(k1..<(k1 + 1), k2..<(k2 + 1)))
                }
                let (s0, s1, s2) = (
                    (r0.lowerBound + m.i0)..<(r0.lowerBound + m.i0 + m.chg0), (r1.lowerBound + m.i1)..<(r1.lowerBound + m.i1 + m.chg1),
                    (r2.lowerBound + m.i2)..<(r2.lowerBound + m.i2 + m.chg2))
                switch m.mode {
                case .ours, .identical, .theirs:
                    // One side added or removed paragraphs here; the other kept the base's, and
                    // unless it left them as they were, its edit meets a removal: a conflict.
                    let (changer, r, keeper, rk) = m.mode == .theirs ? (theirs, s2, ours, s1) : (ours, s1, theirs, s2)
                    if m.mode != .identical, zip(s0, rk).contains(where: { base.content($0) != keeper.content($1) }) || s0.count != rk.count {
                        whole(s0, s1, s2)
                    } else {
                        take(changer, r, other: keeper, rk, base: s0)
                        if m.mode == .ours { added.ours += Phrases.added(ours.joined(s1), to: base.joined(s0)) }
                        if m.mode == .theirs { added.theirs += Phrases.added(theirs.joined(s2), to: base.joined(s0)) }
                    }
                case .conflict, .resolved, .narrowed:
                    whole(s0, s1, s2)
                }
                (q0, q1, q2) = (m.i0 + m.chg0, m.i1 + m.chg1, m.i2 + m.chg2)
            }
            guard ProseMerge.trusted(items[start...].flatMap { $0.pieces(needsBreak: true) },
                                     base: base.joined(r0), ours: ours.joined(r1), theirs: theirs.joined(r2)) else { return fail() }
            return true
        }

        /// The paragraphs one side changed alone (or both alike); where the other side has as many
        /// in their place, it may have changed what follows them.
        private mutating func take(_ side: Paragraphs, _ r: Range<Int>, other: Paragraphs, _ ro: Range<Int>, base r0: Range<Int>) {
            for (j, k) in r.enumerated() {
                let paired = r.count == ro.count
                let trailer = paired
                    ? Self.trailer(r.count == r0.count ? base.trailer(r0.lowerBound + j) : nil, side.trailer(k), other.trailer(ro.lowerBound + j))
                    : side.trailer(k)
                let (sideLast, otherLast) = (k == side.count - 1, paired && ro.lowerBound + j == other.count - 1)
                let ends = sideLast == otherLast ? nil : sideLast ? side.trailer(k) : other.trailer(ro.lowerBound + j)
                paragraph(side.content(k), trailer: trailer, ends: ends)
            }
        }

        /// What followed the paragraphs `r1` of ours and `r2` of theirs where they ended that
        /// side's text, if they did on one side only (on both, what follows is merged as ever).
        private func end(_ r1: Range<Int>, _ r2: Range<Int>) -> [UInt8]? {
            let (oursLast, theirsLast) = (!r1.isEmpty && r1.upperBound == ours.count, !r2.isEmpty && r2.upperBound == theirs.count)
            if oursLast, !theirsLast { return ours.trailer(r1.upperBound - 1) }
            if theirsLast, !oursLast { return theirs.trailer(r2.upperBound - 1) }
            return nil
        }

        private mutating func paragraph(_ content: [UInt8], trailer: [UInt8], ends: [UInt8]?) {
            items.append(Item(body: [.clean(content)], trailer: trailer, hasWords: !content.isEmpty, endTrailer: ends))
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
        /// `trailers`: what follows it on each side (nil where a side has none of it).
        private mutating func mergeWords(
            _ b: [UInt8], _ o: [UInt8], _ t: [UInt8], trailers: ([UInt8]?, [UInt8]?, [UInt8]?), ends: [UInt8]?
        ) {
            let trailer = Self.trailer(trailers.0, trailers.1, trailers.2)
            func clean(_ text: [UInt8]) -> Item {
                Item(body: [.clean(text)], trailer: text.isEmpty ? [] : trailer, hasWords: !text.isEmpty, endTrailer: ends)
            }
            if o == t || t == b { return items.append(clean(o)) }
            if o == b { return items.append(clean(t)) }
            var whole = Item(body: [], trailer: [], hasWords: true)
            whole.whole = .init(base: b, ours: o, theirs: t, trailers: (trailers.0 ?? [], trailers.1 ?? [], trailers.2 ?? []))
            guard let words = WordMerge(base: b, ours: o, theirs: t) else { return items.append(whole) }
            added.ours += words.added.ours
            added.theirs += words.added.theirs
            items.append(Item(body: words.pieces, trailer: trailer, hasWords: true, wordMerged: words.mergedEdits, endTrailer: ends))
        }
    }

    /// The word merge of one paragraph, or nil where it is not to be trusted.
    private struct WordMerge {
        var pieces: [Piece] = []
        var isClean = true
        /// Whether edits of either side were merged (beside any conflict that is left): a place
        /// a reviewer should read, and whoever takes a side of the conflict too.
        var mergedEdits = false
        var added: (ours: [[Words.Key]], theirs: [[Words.Key]]) = ([], [])

        init?(base: [UInt8], ours: [UInt8], theirs: [UInt8]) {
            let words = ThreeWayMerge(base: base, ours: ours, theirs: theirs, tokenizer: TokenTable.wordEnds, fillerBetweenConflicts: true)
            let hunks = words.hunks()
            guard words.keepsMostWords(hunks.ours), words.keepsMostWords(hunks.theirs) else { return nil }
            let entries = words.sentencesWhole(words.plainEntries(hunks))
            let conflicts = entries.contains { $0.mode == .conflict }
            for m in entries {
                let r0 = words.base.slice(m.i0..<(m.i0 + m.chg0))
                if m.mode == .ours || m.mode == .theirs, conflicts || entries.contains(where: { $0.mode != m.mode && $0.mode != .identical }) {
                    mergedEdits = true
                }
                switch m.mode {
                case .ours: added.ours += Phrases.added(Array(words.ours.slice(m.i1..<(m.i1 + m.chg1))), to: Array(r0))
                case .theirs: added.theirs += Phrases.added(Array(words.theirs.slice(m.i2..<(m.i2 + m.chg2))), to: Array(r0))
                default: break
                }
            }
            guard !Phrases.shared(added.ours, added.theirs, atLeast: 1) else { return nil }
            var paragraph = ProseMerge()
            words.walk(entries, clean: { paragraph.add(.clean(Array($0))) }) { m in
                let (b, o, t) = (
                    Array(words.base.slice(m.i0..<(m.i0 + m.chg0))), Array(words.ours.slice(m.i1..<(m.i1 + m.chg1))),
                    Array(words.theirs.slice(m.i2..<(m.i2 + m.chg2))))
                // Two changes of the spaces and line breaks between the same words: layout, which
                // no reader asks to choose. Settled as what follows a paragraph is.
                let blank = { (x: [UInt8]) in x.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D } }
                if blank(b), blank(o), blank(t), !o.isEmpty, !t.isEmpty {
                    return paragraph.add(.clean(Builder.trailer(b, o, t)))
                }
                paragraph.add(.conflict(base: b, ours: o, theirs: t))
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
