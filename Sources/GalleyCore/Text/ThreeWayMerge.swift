/// diff3 over token classes, following the rules of git's xdiff merge (`XDL_MERGE_ZEALOUS_ALNUM`,
/// the level `git merge-file` uses), so that clean results agree with git's:
///
/// - hunks of the two sides that overlap *or touch* conflict, unless they are identical;
/// - for presentation, a conflict is narrowed to the lines where the two sides really differ, and
///   conflicts separated by at most three lines (or by lines without letters or digits) are
///   shown as one.
///
/// On top of that, in prose mode, each conflict is merged again as prose (``ProseMerge``):
/// paragraph by paragraph, then word by word inside a paragraph both sides changed. If that is
/// clean the conflict is gone; if not, what is left is only the words that really collide.
struct ThreeWayMerge {
    private var table: TokenTable
    /// Whether hunks that only touch conflict (git's rule, for lines and words), or only hunks
    /// that overlap and touching ones that both add (for whole paragraphs, where an edit to one
    /// and a new one beside it are plainly separate, but two additions at one place are not).
    private let touchingConflicts: Bool
    /// For words: which base tokens hold no word (spaces, line breaks, punctuation, markup). Two
    /// edits with nothing but these between them touch, as two edits of neighbouring lines do:
    /// "six percent" and "five points" must not come out as "six points", a claim neither side
    /// made; nor "10 000" (with a no-break space) and "wait...what" be taken apart, nor a link's
    /// text and address ("[Belarus](…/by)") be merged from two people.
    private let filler: [Bool]?
    /// For words: which base tokens are only spaces or line breaks.
    private let spaces: [Bool]?
    private static let baseIndex = 0
    private static let oursIndex = 1
    private static let theirsIndex = 2

    enum Mode: Equatable {
        case conflict, ours, theirs, identical
        /// A conflict the prose pass merged cleanly.
        case resolved
        /// A conflict the prose pass narrowed to the words that collide.
        case narrowed
    }

    struct Entry {
        var mode: Mode
        var i0: Int, chg0: Int
        var i1: Int, chg1: Int
        var i2: Int, chg2: Int
        var prose: ProseMerge? = nil
    }

    init(
        base: [UInt8], ours: [UInt8], theirs: [UInt8], tokenizer: ([UInt8]) -> [Int], touchingConflicts: Bool = true,
        fillerBetweenConflicts: Bool = false
    ) {
        self.init(
            base: base, ours: ours, theirs: theirs, ends: (tokenizer(base), tokenizer(ours), tokenizer(theirs)),
            touchingConflicts: touchingConflicts, fillerBetweenConflicts: fillerBetweenConflicts)
    }

    /// Three texts cut at the given token ends (exclusive byte offsets, increasing, the last at
    /// the text's end); tokens may be empty.
    init(
        base: [UInt8], ours: [UInt8], theirs: [UInt8], ends: ([Int], [Int], [Int]), touchingConflicts: Bool = true,
        fillerBetweenConflicts: Bool = false
    ) {
        self.touchingConflicts = touchingConflicts
        let (e0, e1, e2) = ends
        table = TokenTable(expectedTokens: e0.count + e1.count + e2.count)
        _ = table.add(bytes: base, tokenEnds: e0)
        _ = table.add(bytes: ours, tokenEnds: e1)
        _ = table.add(bytes: theirs, tokenEnds: e2)
        if fillerBetweenConflicts {
            let b = table.texts[Self.baseIndex]
            spaces = (0..<b.count).map { k in b.slice(k..<(k + 1)).allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D } }
            filler = (0..<b.count).map { k in !Self.holdsContent(b.slice(k..<(k + 1))) }
        } else {
            spaces = nil
            filler = nil
        }
    }

    var base: TokenTable.Text { table.texts[Self.baseIndex] }
    var ours: TokenTable.Text { table.texts[Self.oursIndex] }
    var theirs: TokenTable.Text { table.texts[Self.theirsIndex] }

    // MARK: - Entry points

    mutating func run(options: TextMerge.Options) -> MergeResult {
        let base = self.base
        let ours = self.ours
        let theirs = self.theirs
        let h1 = LineDiff.diff(base.classes[...], ours.classes[...], classCount: table.classCount)
        let h2 = LineDiff.diff(base.classes[...], theirs.classes[...], classCount: table.classCount)
        if h1.isEmpty { return Self.cleanResult(theirs.bytes) }
        if h2.isEmpty { return Self.cleanResult(ours.bytes) }

        var sameChanges: [Entry] = []
        var entries = diff3(h1, h2, sameChanges: &sameChanges)
        for k in entries.indices where entries[k].mode == .conflict && oursEqualsTheirs(entries[k]) {
            entries[k].mode = .identical
        }
        let lineEntries = entries
        var meaning = options.wordLevel ? mergeAsProse(&entries, sameChanges: sameChanges) : entries
        refineConflicts(&entries)
        simplifyNonConflicts(&entries)
        if options.wordLevel, entries.contains(where: { $0.mode == .conflict || $0.mode == .narrowed }), !sidesTrusted(entries) {
            // Read whole, a side of what would be shown holds a paragraph twice: git's lines paired
            // a paragraph one side moved with the other's edit of it where it was. Shown instead:
            // the two texts against each other, from the first change to the last, each side
            // exactly as its author wrote it.
            let (first, last) = (lineEntries.first!, lineEntries.last!)
            let whole = Entry(
                mode: .conflict, i0: first.i0, chg0: last.i0 + last.chg0 - first.i0, i1: first.i1, chg1: last.i1 + last.chg1 - first.i1,
                i2: first.i2, chg2: last.i2 + last.chg2 - first.i2)
            meaning = [whole]
            entries = [whole]
            refineConflicts(&entries)
            simplifyNonConflicts(&entries)
        }
        let regions = self.regions(meaning)
        let (marked, count, wordMerged) = fill(entries, oursLabel: options.oursLabel, theirsLabel: options.theirsLabel, favor: options.favor)
        var result = MergeResult(regions: regions, marked: marked, conflictCount: count)
        if count == 0 { result.wordMergedParagraphs = ProseMerge.paragraphNumbers(of: wordMerged, in: marked) }
        return result
    }

    /// Each conflict, widened to whole paragraphs, merged again as prose. A paragraph that holds
    /// other changes too is taken whole, with them, so that the prose merge sees what a reader
    /// sees. Where the prose merge neither merges nor narrows, the line merge's entries stay as
    /// they were, and so does git's presentation of them; the entries returned, the meaning, hold
    /// the prose merge's conflicts of words even then.
    ///
    /// Code is not prose: a span with a line of code on any side is left to the line merge, as
    /// git leaves it, since a word merge of code writes a program nobody wrote.
    private func mergeAsProse(_ entries: inout [Entry], sameChanges: [Entry]) -> [Entry] {
        guard entries.contains(where: { $0.mode == .conflict }) else { return entries }
        let code = (Self.codeLines(base), Self.codeLines(ours), Self.codeLines(theirs))
        // Built anew in one pass (replacing spans in place costs the whole array each time): the
        // entries to present, and the meaning, where a span left to git's presentation holds the
        // prose merge's conflicts of words.
        var presented: [Entry] = []
        var meaning: [Entry] = []
        presented.reserveCapacity(entries.count)
        meaning.reserveCapacity(entries.count)
        var done = 0  // entries before this one are decided
        var doneLine = 0  // in ours: where the last span decided ends
        func keep(_ upTo: Int) {
            presented += entries[done..<upTo]
            meaning += entries[done..<upTo]
            done = upTo
        }
        var k = 0
        while k < entries.count {
            guard entries[k].mode == .conflict else {
                k += 1
                continue
            }
            let (span, wide) = paragraphs(around: k, of: entries, sameChanges: sameChanges)
            let (r0, r1, r2) = (wide.i0..<(wide.i0 + wide.chg0), wide.i1..<(wide.i1 + wide.chg1), wide.i2..<(wide.i2 + wide.chg2))
            // Only whole paragraphs are merged as prose: a span that could not be widened to a
            // paragraph break at both ends on every side (no common line to widen over), or that
            // reaches back into one already decided, is left as the line merge made it. So is
            // code, since a word merge of code writes a program nobody wrote, and a span beyond
            // the size of any paragraph (64 KiB a side), where the word diff costs more than it
            // can give.
            if span.lowerBound < done || wide.i1 < doneLine
                || !(Self.isBreak(base, r0.lowerBound) && Self.isBreak(ours, r1.lowerBound) && Self.isBreak(theirs, r2.lowerBound))
                || !(Self.isBreak(base, r0.upperBound) && Self.isBreak(ours, r1.upperBound) && Self.isBreak(theirs, r2.upperBound))
                || [base.range(r0), ours.range(r1), theirs.range(r2)].contains(where: { $0.count > 65_536 })
                || code.0[r0].contains(true) || code.1[r1].contains(true) || code.2[r2].contains(true)
            {
                keep(max(k + 1, span.upperBound))
                k = done
                continue
            }
            keep(span.lowerBound)
            let prose = ProseMerge(
                base: base.slice(r0), ours: ours.slice(r1), theirs: theirs.slice(r2),
                atEnd: r1.upperBound == ours.count && r2.upperBound == theirs.count)
            var merged = wide
            merged.mode = prose.isClean ? .resolved : .narrowed
            merged.prose = prose
            if prose.isClean || prose.narrows {
                presented.append(merged)
            } else if linesTrusted(entries[span], r0, r1, r2) {
                presented += entries[span]
            } else {
                // git's lines would show a side with a paragraph twice, or without words its
                // author kept (a paragraph moved on one side and edited on the other): the span
                // is shown as one conflict, each side as its author wrote it.
                var whole = wide
                whole.mode = .conflict
                presented.append(whole)
            }
            meaning.append(merged)
            done = span.upperBound
            k = done
            doneLine = r1.upperBound
        }
        keep(entries.count)
        entries = presented
        return meaning
    }

    /// Whether the two sides of the marked text (each conflict settled for one side) hold no line
    /// twice that its authors wrote once.
    private func sidesTrusted(_ entries: [Entry]) -> Bool {
        // Read whole, a long document's sides differ from its authors' in countless small ways
        // git's merge makes (the same word added in two places, a change both made alike), so
        // what is looked for here is the one thing a reader cannot miss: a line of prose (three
        // words or more) a side holds more often than either author wrote it.
        func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>: Int] {
            var counts: [ArraySlice<UInt8>: Int] = [:]
            var start = 0
            for end in TokenTable.lineEnds(bytes) {
                var line = bytes[start..<end]
                while let last = line.last, last == 0x0A || last == 0x0D || last == 0x20 { line = line.dropLast() }
                if Words.ranges(line).count >= 3 { counts[line, default: 0] += 1 }
                start = end
            }
            return counts
        }
        let (o, t) = (lines(ours.bytes), lines(theirs.bytes))
        for favor in [TextMerge.Favor.ours, .theirs] {
            for (line, n) in lines(fill(entries, oursLabel: nil, theirsLabel: nil, favor: favor).0) {
                // (A line merged from both sides' words is no author's: not counted.)
                let written = max(o[line] ?? 0, t[line] ?? 0)
                if written > 0, n > written { return false }
            }
        }
        return true
    }

    /// Whether the line merge's entries of a span make sides a reader can trust
    /// (``ProseMerge/trusted(_:base:ours:theirs:)``).
    private func linesTrusted(_ span: ArraySlice<Entry>, _ r0: Range<Int>, _ r1: Range<Int>, _ r2: Range<Int>) -> Bool {
        var pieces: [ProseMerge.Piece] = []
        var i = r1.lowerBound
        for m in span {
            pieces.append(.clean(Array(ours.slice(i..<m.i1))))
            switch m.mode {
            case .ours, .identical: pieces.append(.clean(Array(ours.slice(m.i1..<(m.i1 + m.chg1)))))
            case .theirs: pieces.append(.clean(Array(theirs.slice(m.i2..<(m.i2 + m.chg2)))))
            case .conflict, .resolved, .narrowed:
                pieces.append(.conflict(
                    base: Array(base.slice(m.i0..<(m.i0 + m.chg0))), ours: Array(ours.slice(m.i1..<(m.i1 + m.chg1))),
                    theirs: Array(theirs.slice(m.i2..<(m.i2 + m.chg2)))))
            }
            i = m.i1 + m.chg1
        }
        pieces.append(.clean(Array(ours.slice(i..<r1.upperBound))))
        return ProseMerge.trusted(pieces, base: Array(base.slice(r0)), ours: Array(ours.slice(r1)), theirs: Array(theirs.slice(r2)))
    }

    private static func blank(_ t: TokenTable.Text, _ line: Int) -> Bool {
        t.slice(line..<(line + 1)).allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
    }

    /// A paragraph break: a blank line before a line that is not, or the start or end of the text.
    private static func isBreak(_ t: TokenTable.Text, _ i: Int) -> Bool { i == 0 || i == t.count || (blank(t, i - 1) && !blank(t, i)) }

    /// Whether a side kept at least half of the base's tokens other than spaces and line breaks
    /// (words, marks, emoji) where `hunks` is its diff against the base: a side that kept less
    /// rewrote the text.
    func keepsMostWords(_ hunks: [DiffHunk]) -> Bool {
        var changed = [Bool](repeating: false, count: base.count)
        for h in hunks { for k in h.start1..<(h.start1 + h.count1) { changed[k] = true } }
        var (words, kept) = (0, 0)
        for k in 0..<base.count where spaces?[k] != true {
            words += 1
            if !changed[k] { kept += 1 }
        }
        return 2 * kept >= words
    }

    /// Which lines of a text are code: in a fenced block (``` or ~~~), in an AsciiDoc listing or
    /// literal block (a line of four or more - or . after a blank or an attribute line, to the
    /// same line again), or indented by four spaces or a tab after a blank line or more code.
    /// The fence lines count as code.
    static func codeLines(_ t: TokenTable.Text) -> [Bool] {
        var code = [Bool](repeating: false, count: t.count)
        var fence: (char: UInt8, count: Int, exact: Bool)? = nil
        var previous: (blank: Bool, code: Bool, attribute: Bool) = (true, false, false)
        for k in 0..<t.count {
            var line = t.slice(k..<(k + 1))
            while let last = line.last, last == 0x0A || last == 0x0D { line = line.dropLast() }
            let blank = line.allSatisfy { $0 == 0x20 || $0 == 0x09 }
            let indent = line.prefix { $0 == 0x20 }.count
            let rest = line.dropFirst(min(indent, 3))
            let runChar = rest.first ?? 0
            let run = rest.prefix { $0 == runChar }.count
            let tail = rest.dropFirst(run)
            if let f = fence {
                code[k] = true
                let closes = f.exact
                    ? (runChar == f.char && run == f.count && tail.allSatisfy { $0 == 0x20 })
                    : (runChar == f.char && run >= f.count && indent < 4 && tail.allSatisfy { $0 == 0x20 || $0 == 0x09 })
                if closes { fence = nil }
            } else if indent < 4, runChar == UInt8(ascii: "`") || runChar == UInt8(ascii: "~"), run >= 3 {
                fence = (runChar, run, false)
                code[k] = true
            } else if indent == 0, runChar == UInt8(ascii: "-") || runChar == UInt8(ascii: "."), run >= 4,
                tail.allSatisfy({ $0 == 0x20 }), previous.blank || previous.attribute
            {
                fence = (runChar, run, true)
                code[k] = true
            } else if !blank, indent >= 4 || line.first == 0x09, previous.blank || previous.code {
                code[k] = true
            }
            previous = (blank, code[k] && fence == nil && !blank, line.first == UInt8(ascii: "[") && line.last == UInt8(ascii: "]"))
        }
        return code
    }

    /// Entry `k` widened over unchanged lines to the paragraph breaks before and after it, taking
    /// in the entries it meets on the way: the entries it covers, and the widened entry.
    private func paragraphs(around k: Int, of entries: [Entry], sameChanges: [Entry]) -> (Range<Int>, Entry) {
        let isBreak = Self.isBreak
        func sameLine(_ k0: Int, _ k1: Int, _ k2: Int) -> Bool {
            base.classes[k0] == ours.classes[k1] && ours.classes[k1] == theirs.classes[k2]
        }
        func combine(_ a: Entry, _ b: Entry) -> Entry {
            Entry(mode: .conflict, i0: a.i0, chg0: b.i0 + b.chg0 - a.i0, i1: a.i1, chg1: b.i1 + b.chg1 - a.i1, i2: a.i2, chg2: b.i2 + b.chg2 - a.i2)
        }
        var (first, last) = (k, k)
        var m = entries[k]
        /// Whether the lines between two points are the same lines on every side. Between two
        /// entries they are ours' and theirs', but the base's only where the two sides did not
        /// make the same change there (diff3 leaves those out of its entries): the same number of
        /// lines on all three sides tells.
        func common(_ from: (Int, Int, Int), _ to: (Int, Int, Int)) -> Bool {
            to.0 - from.0 == to.1 - from.1 && to.1 - from.1 == to.2 - from.2
        }
        func end(_ e: Entry) -> (Int, Int, Int) { (e.i0 + e.chg0, e.i1 + e.chg1, e.i2 + e.chg2) }
        func onlyBlankLines(_ lines: Range<Int>) -> Bool { lines.allSatisfy { Self.blank(ours, $0) } }
        /// The lines of ours that the entries (and changes made alike) taken in cover.
        var covered = m.i1..<(m.i1 + m.chg1)
        // The changes made alike not yet taken in, nearest the span on either side.
        var (low, high) = (0, sameChanges.count)
        while low < high {
            let mid = (low + high) / 2
            if sameChanges[mid].i1 < covered.upperBound { low = mid + 1 } else { high = mid }
        }
        var nextSameIndex = low
        (low, high) = (0, sameChanges.count)
        while low < high {
            let mid = (low + high) / 2
            if end(sameChanges[mid]).1 <= covered.lowerBound { low = mid + 1 } else { high = mid }
        }
        var previousSameIndex = low - 1
        while true {
            while !(isBreak(base, m.i0) && isBreak(ours, m.i1) && isBreak(theirs, m.i2)) {
                let before = first > 0 ? end(entries[first - 1]) : (0, 0, 0)
                if m.i1 > before.1 {
                    guard common(before, (m.i0, m.i1, m.i2)), m.i0 > 0, m.i2 > 0, sameLine(m.i0 - 1, m.i1 - 1, m.i2 - 1) else { break }
                    m.i0 -= 1; m.i1 -= 1; m.i2 -= 1
                    m.chg0 += 1; m.chg1 += 1; m.chg2 += 1
                } else {
                    guard first > 0 else { break }
                    first -= 1
                    m = combine(entries[first], m)
                    covered = entries[first].i1..<covered.upperBound
                }
            }
            while !(isBreak(base, m.i0 + m.chg0) && isBreak(ours, m.i1 + m.chg1) && isBreak(theirs, m.i2 + m.chg2)) {
                let after = last + 1 < entries.count ? (entries[last + 1].i0, entries[last + 1].i1, entries[last + 1].i2) : (base.count, ours.count, theirs.count)
                if m.i1 + m.chg1 < after.1 {
                    guard common(end(m), after), m.i0 + m.chg0 < base.count, m.i2 + m.chg2 < theirs.count,
                        sameLine(m.i0 + m.chg0, m.i1 + m.chg1, m.i2 + m.chg2)
                    else { break }
                    m.chg0 += 1; m.chg1 += 1; m.chg2 += 1
                } else {
                    guard last + 1 < entries.count else { break }
                    last += 1
                    m = combine(m, entries[last])
                    covered = covered.lowerBound..<end(entries[last]).1
                }
            }
            // Entries with nothing but blank lines between them and the span: there the line diff
            // anchored on a blank line, which pairs nothing (a paragraph split on one side and
            // joined on the other). They are one stretch of prose; so is a change both sides made
            // alike there, which the span needs to see what each side did to those paragraphs.
            // (Measured between what the span took in, not from where it was widened to, so that
            // which entry is looked at first does not matter.)
            let nextEntry = last + 1 < entries.count ? entries[last + 1] : nil
            // (The changes made alike are in order and do not overlap; each is taken in once.)
            while nextSameIndex < sameChanges.count, sameChanges[nextSameIndex].i1 < covered.upperBound { nextSameIndex += 1 }
            while previousSameIndex >= 0, end(sameChanges[previousSameIndex]).1 > covered.lowerBound { previousSameIndex -= 1 }
            let nextSame = nextSameIndex < sameChanges.count && sameChanges[nextSameIndex].i1 < (nextEntry?.i1 ?? Int.max)
                ? sameChanges[nextSameIndex] : nil
            let previousEntry = first > 0 ? entries[first - 1] : nil
            let previousSame = previousSameIndex >= 0 && end(sameChanges[previousSameIndex]).1 > (previousEntry.map { end($0).1 } ?? -1)
                ? sameChanges[previousSameIndex] : nil
            if let next = nextSame ?? nextEntry, onlyBlankLines(covered.upperBound..<next.i1) {
                if nextSame == nil { last += 1 } else { nextSameIndex += 1 }
                m = combine(m, next)
                covered = covered.lowerBound..<end(next).1
            } else if let previous = previousSame ?? previousEntry, onlyBlankLines(end(previous).1..<covered.lowerBound) {
                if previousSame == nil { first -= 1 } else { previousSameIndex -= 1 }
                m = combine(previous, m)
                covered = previous.i1..<covered.upperBound
            } else {
                break
            }
        }
        return (first..<(last + 1), m)
    }

    /// The diff3 of the three texts with nothing resolved, only identical changes recognised:
    /// the step the prose pass takes at each level.
    func plainEntries() -> [Entry] { plainEntries(hunks()) }

    /// Word entries where a conflict takes in every other edit of the same sentence, of either
    /// side: one side's "rose by 5" made "fell by 3" is one statement, and merged half into the
    /// other side's "rose by 7", each side of the conflict would read "fell by 7", which nobody
    /// wrote. A sentence ends at ".", "!", "?", "…" or ";" (a token of its own, so not inside
    /// "5.2"). Where nothing conflicts, edits to other words of a sentence still merge.
    func sentencesWhole(_ entries: [Entry]) -> [Entry] {
        guard entries.contains(where: { $0.mode == .conflict }) else { return entries }
        let b = base
        let ends: Set<[UInt8]> = Set([".", "!", "?", "…", ";", "。", "！", "？"].map { Array($0.utf8) })
        func sentenceEnd(_ k: Int) -> Bool { ends.contains(Array(b.slice(k..<(k + 1)))) }
        func oneSentence(_ a: Entry, _ c: Entry) -> Bool { !((a.i0 + a.chg0)..<c.i0).contains(where: sentenceEnd) }
        func combine(_ a: Entry, _ c: Entry) -> Entry {
            Entry(mode: .conflict, i0: a.i0, chg0: c.i0 + c.chg0 - a.i0, i1: a.i1, chg1: c.i1 + c.chg1 - a.i1, i2: a.i2, chg2: c.i2 + c.chg2 - a.i2)
        }
        var out: [Entry] = []
        for entry in entries {
            var current = entry
            while let last = out.last, last.mode == .conflict || current.mode == .conflict, oneSentence(last, current) {
                current = combine(last, current)
                out.removeLast()
            }
            out.append(current)
        }
        return out
    }

    /// The changes both sides made alike, as (base text, new text): no entry of the merge.
    func sameChanges() -> [(base: ArraySlice<UInt8>, new: ArraySlice<UInt8>)] {
        let h = hunks()
        var same: [Entry] = []
        _ = diff3(h.ours, h.theirs, sameChanges: &same)
        return same.map { (base.slice($0.i0..<($0.i0 + $0.chg0)), ours.slice($0.i1..<($0.i1 + $0.chg1))) }
    }

    /// The diffs of each side against the base.
    func hunks() -> (ours: [DiffHunk], theirs: [DiffHunk]) {
        guard filler != nil else {
            return (LineDiff.diff(base.classes[...], ours.classes[...], classCount: table.classCount),
                    LineDiff.diff(base.classes[...], theirs.classes[...], classCount: table.classCount))
        }
        // Words: aligned by the words alone first.
        let (b, o, t) = (Self.words(base), Self.words(ours), Self.words(theirs))
        return (LineDiff.diff(base.classes, ours.classes, classCount: table.classCount, anchors: (b, o)),
                LineDiff.diff(base.classes, theirs.classes, classCount: table.classCount, anchors: (b, t)))
    }

    /// Whether a token holds something a reader reads as content: a letter or digit, or a symbol
    /// such as an emoji or a currency sign; not only spaces, punctuation or markup.
    static func holdsContent(_ token: ArraySlice<UInt8>) -> Bool {
        token.withContiguousStorageIfAvailable { p in
            var i = 0
            while i < p.count {
                let (v, length) = Words.scalar(p, i)
                if Words.isWordScalar(v) { return true }
                if v >= 0x80, let scalar = Unicode.Scalar(v) {
                    switch scalar.properties.generalCategory {
                    case .otherSymbol, .currencySymbol: return true
                    default: break
                    }
                }
                i += length
            }
            return false
        } ?? holdsContent(ArraySlice(Array(token)))
    }

    /// Which tokens of a text cut into words are words (letters, digits, marks), not spaces,
    /// line breaks or punctuation.
    static func words(_ t: TokenTable.Text) -> [Bool] {
        (0..<t.count).map { k in
            let token = t.slice(k..<(k + 1))
            guard let first = token.first else { return false }
            if first < 0x80 {
                return (0x30...0x39).contains(first) || (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first) || first == 0x5F
            }
            return String(decoding: token.prefix(8), as: UTF8.self).first.map { $0.isLetter || $0.isNumber } ?? false
        }
    }

    func plainEntries(_ hunks: (ours: [DiffHunk], theirs: [DiffHunk])) -> [Entry] {
        var same: [Entry] = []
        return plainEntries(hunks, sameChanges: &same)
    }

    func plainEntries(_ hunks: (ours: [DiffHunk], theirs: [DiffHunk]), sameChanges: inout [Entry]) -> [Entry] {
        var entries = diff3(hunks.ours, hunks.theirs, sameChanges: &sameChanges)
        for k in entries.indices where entries[k].mode == .conflict && oursEqualsTheirs(entries[k]) {
            entries[k].mode = .identical
        }
        return entries
    }

    /// Walks the merge in order: `clean` gets each stretch of merged text, `conflict` each
    /// entry that is not settled by the line merge alone.
    func walk(_ entries: [Entry], clean: (ArraySlice<UInt8>) -> Void, conflict: (Entry) -> Void) {
        var i = 0
        for m in entries {
            switch m.mode {
            case .conflict, .resolved, .narrowed:
                clean(ours.slice(i..<m.i1))
                conflict(m)
            case .ours:
                clean(ours.slice(i..<(m.i1 + m.chg1)))
            case .theirs:
                clean(ours.slice(i..<m.i1))
                clean(theirs.slice(m.i2..<(m.i2 + m.chg2)))
            case .identical:
                continue
            }
            i = m.i1 + m.chg1
        }
        clean(ours.slice(i..<ours.count))
    }

    private static func cleanResult(_ bytes: [UInt8]) -> MergeResult {
        MergeResult(regions: bytes.isEmpty ? [] : [.clean(String(decoding: bytes, as: UTF8.self))], marked: bytes, conflictCount: 0)
    }

    // MARK: - diff3

    private func diff3(_ h1: [DiffHunk], _ h2: [DiffHunk]) -> [Entry] {
        var same: [Entry] = []
        return diff3(h1, h2, sameChanges: &same)
    }

    /// diff3's entries; `sameChanges` gets the changes both sides made alike, which are no entry
    /// (nothing to merge there), in order.
    private func diff3(_ h1: [DiffHunk], _ h2: [DiffHunk], sameChanges: inout [Entry]) -> [Entry] {
        var entries: [Entry] = []
        let touching = touchingConflicts
        let filler = self.filler
        /// Whether hunk `a` (of one side) lies wholly before hunk `b` (of the other), in the base.
        /// `next` is the hunk after `a` on its own side: filler joins `a` and `b` only when nothing
        /// else of `a`'s side changed between them, since the union of two hunks is mapped
        /// through stretches that side left as they were.
        /// Whether a hunk of words changes only spaces and line breaks into others, keeping some
        /// (a paragraph rewrapped or split): beside an edit of a word it is no conflict, since
        /// neither edit changes what the other reads (beside another such change it is).
        let spaces = self.spaces
        let sideTexts = (ours, theirs)
        func spaceOnly(_ h: DiffHunk, _ side: TokenTable.Text) -> Bool {
            guard let spaces, h.count2 > 0, spaces[h.start1..<(h.start1 + h.count1)].allSatisfy({ $0 }) else { return false }
            return side.slice(h.start2..<(h.start2 + h.count2)).allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        }
        func precedes(_ a: DiffHunk, _ aSide: TokenTable.Text, _ b: DiffHunk, _ bSide: TokenTable.Text, next: DiffHunk?) -> Bool {
            let end = a.start1 + a.count1
            if let filler {
                if let next, next.start1 <= b.start1 { return end < b.start1 }
                // (Two additions at one place stay a conflict: in which order is nobody's choice.)
                if end <= b.start1, spaceOnly(a, aSide) != spaceOnly(b, bSide), a.count1 > 0 || b.count1 > 0 || end < b.start1 { return true }
                return end < b.start1 && filler[end..<b.start1].contains(false)
            }
            if touching { return end < b.start1 }
            // Touching hunks are separate unless both add: then what each added would stand at
            // one place, in an order nobody chose.
            return end < b.start1 || (end == b.start1 && (a.count2 <= a.count1 || b.count2 <= b.count1))
        }
        var lastSpaceOnly = false
        func append(_ mode: Mode, _ i0: Int, _ chg0: Int, _ i1: Int, _ chg1: Int, _ i2: Int, _ chg2: Int, spaceOnly: Bool = false) {
            // A rewrap beside an edit of words is two edits; two rewraps that touch are one.
            let joinTouching = touching && spaceOnly == lastSpaceOnly
            if var m = entries.last,
                joinTouching ? (i1 <= m.i1 + m.chg1 || i2 <= m.i2 + m.chg2) : (i1 < m.i1 + m.chg1 || i2 < m.i2 + m.chg2)
            {
                lastSpaceOnly = false
                if mode != m.mode { m.mode = .conflict }
                m.chg0 = i0 + chg0 - m.i0
                m.chg1 = i1 + chg1 - m.i1
                m.chg2 = i2 + chg2 - m.i2
                entries[entries.count - 1] = m
            } else {
                entries.append(Entry(mode: mode, i0: i0, chg0: chg0, i1: i1, chg1: chg1, i2: i2, chg2: chg2))
                lastSpaceOnly = spaceOnly
            }
        }
        let nBase = base.count
        let nOurs = ours.count
        let nTheirs = theirs.count
        var x1 = 0
        var x2 = 0
        while x1 < h1.count && x2 < h2.count {
            let s1 = h1[x1]
            let s2 = h2[x2]
            if precedes(s1, sideTexts.0, s2, sideTexts.1, next: x1 + 1 < h1.count ? h1[x1 + 1] : nil) {
                append(.ours, s1.start1, s1.count1, s1.start2, s1.count2, s2.start2 - s2.start1 + s1.start1, s1.count1, spaceOnly: spaceOnly(s1, sideTexts.0))
                x1 += 1
                continue
            }
            if precedes(s2, sideTexts.1, s1, sideTexts.0, next: x2 + 1 < h2.count ? h2[x2 + 1] : nil) {
                append(.theirs, s2.start1, s2.count1, s1.start2 - s1.start1 + s2.start1, s2.count1, s2.start2, s2.count2, spaceOnly: spaceOnly(s2, sideTexts.1))
                x2 += 1
                continue
            }
            if s1.start1 != s2.start1 || s1.count1 != s2.count1 || s1.count2 != s2.count2
                || !tokensEqual(Self.oursIndex, s1.start2, Self.theirsIndex, s2.start2, s1.count2)
            {
                let off = s1.start1 - s2.start1
                let ffo = off + s1.count1 - s2.count1
                var i0 = s1.start1
                var i1 = s1.start2
                var i2 = s2.start2
                if off > 0 {
                    i0 -= off
                    i1 -= off
                } else {
                    i2 += off
                }
                var chg0 = s1.start1 + s1.count1 - i0
                var chg1 = s1.start2 + s1.count2 - i1
                var chg2 = s2.start2 + s2.count2 - i2
                if ffo < 0 {
                    chg0 -= ffo
                    chg1 -= ffo
                } else {
                    chg2 += ffo
                }
                append(.conflict, i0, chg0, i1, chg1, i2, chg2)
            } else {
                sameChanges.append(Entry(mode: .identical, i0: s1.start1, chg0: s1.count1, i1: s1.start2, chg1: s1.count2, i2: s2.start2, chg2: s2.count2))
            }
            let e1 = s1.start1 + s1.count1
            let e2 = s2.start1 + s2.count1
            if e1 >= e2 { x2 += 1 }
            if e2 >= e1 { x1 += 1 }
        }
        while x1 < h1.count {
            let s1 = h1[x1]
            append(.ours, s1.start1, s1.count1, s1.start2, s1.count2, s1.start1 + nTheirs - nBase, s1.count1, spaceOnly: spaceOnly(s1, sideTexts.0))
            x1 += 1
        }
        while x2 < h2.count {
            let s2 = h2[x2]
            append(.theirs, s2.start1, s2.count1, s2.start1 + nOurs - nBase, s2.count1, s2.start2, s2.count2, spaceOnly: spaceOnly(s2, sideTexts.1))
            x2 += 1
        }
        return entries
    }

    private func tokensEqual(_ t1: Int, _ start1: Int, _ t2: Int, _ start2: Int, _ count: Int) -> Bool {
        let c1 = table.texts[t1].classes
        let c2 = table.texts[t2].classes
        for k in 0..<count where c1[start1 + k] != c2[start2 + k] { return false }
        return true
    }

    private func oursEqualsTheirs(_ m: Entry) -> Bool {
        m.chg1 == m.chg2 && tokensEqual(Self.oursIndex, m.i1, Self.theirsIndex, m.i2, m.chg1)
    }

    // MARK: - Regions (the meaning)

    private func regions(_ entries: [Entry]) -> [MergeResult.Region] {
        var regions: [MergeResult.Region] = []
        var pending: [UInt8] = []
        func flush() {
            if !pending.isEmpty { regions.append(.clean(String(decoding: pending, as: UTF8.self))) }
            pending.removeAll()
        }
        func text<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 { String(decoding: bytes, as: UTF8.self) }
        walk(entries, clean: { pending.append(contentsOf: $0) }) { m in
            guard let prose = m.prose, m.mode != .conflict else {
                flush()
                regions.append(.conflict(
                    base: text(base.slice(m.i0..<(m.i0 + m.chg0))), ours: text(ours.slice(m.i1..<(m.i1 + m.chg1))),
                    theirs: text(theirs.slice(m.i2..<(m.i2 + m.chg2)))))
                return
            }
            for piece in prose.pieces {
                switch piece {
                case .clean(let bytes): pending.append(contentsOf: bytes)
                case .conflict(let b, let o, let t):
                    flush()
                    regions.append(.conflict(base: text(b), ours: text(o), theirs: text(t)))
                }
            }
        }
        flush()
        return regions
    }

    // MARK: - Presentation (git's narrowing, simplification and markers)

    private func refineConflicts(_ entries: inout [Entry]) {
        var k = 0
        while k < entries.count {
            let m = entries[k]
            guard m.mode == .conflict, m.chg1 > 0, m.chg2 > 0 else {
                k += 1
                continue
            }
            let hunks = LineDiff.diff(
                ours.classes[m.i1..<(m.i1 + m.chg1)], theirs.classes[m.i2..<(m.i2 + m.chg2)],
                classCount: table.classCount)
            if hunks.isEmpty {
                entries[k].mode = .identical
                k += 1
                continue
            }
            var pieces: [Entry] = []
            for h in hunks {
                var piece = m
                piece.i1 = m.i1 + h.start1
                piece.chg1 = h.count1
                piece.i2 = m.i2 + h.start2
                piece.chg2 = h.count2
                pieces.append(piece)
            }
            entries.replaceSubrange(k...k, with: pieces)
            k += pieces.count
        }
    }

    private func simplifyNonConflicts(_ entries: inout [Entry]) {
        var k = 0
        while k + 1 < entries.count {
            let m = entries[k]
            let next = entries[k + 1]
            let begin = m.i1 + m.chg1
            let end = next.i1
            if m.mode != .conflict || next.mode != .conflict
                || (end - begin > 3 && linesContainAlnum(begin, end - begin))
            {
                k += 1
            } else {
                entries[k].chg1 = next.i1 + next.chg1 - m.i1
                entries[k].chg2 = next.i2 + next.chg2 - m.i2
                entries.remove(at: k + 1)
            }
        }
    }

    private func linesContainAlnum(_ start: Int, _ count: Int) -> Bool {
        // ASCII only, like git's own ctype table.
        for byte in ours.slice(start..<(start + count)) {
            if (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) { return true }
        }
        return false
    }

    /// 1 if token `i` of `t` ends in CR LF, 0 if in LF only, -1 if it cannot be told (as git decides
    /// the line ending of conflict markers).
    private func eolIsCRLF(_ t: TokenTable.Text, _ i: Int) -> Int {
        func endsCRLF(_ k: Int) -> Bool {
            let r = t.range(k..<(k + 1))
            return r.count > 1 && t.bytes[r.upperBound - 2] == 0x0D
        }
        let n = t.count
        if i < n - 1 { return endsCRLF(i) ? 1 : 0 }
        if n == 0 { return -1 }
        let r = t.range(i..<(i + 1))
        if r.count > 0 && t.bytes[r.upperBound - 1] == 0x0A { return endsCRLF(i) ? 1 : 0 }
        if i == 0 { return -1 }
        return endsCRLF(i - 1) ? 1 : 0
    }

    private func needsCR(_ m: Entry) -> Bool {
        var needs = eolIsCRLF(ours, m.i1 > 0 ? m.i1 - 1 : 0)
        if needs != 0 { needs = eolIsCRLF(theirs, m.i2 > 0 ? m.i2 - 1 : 0) }
        if needs != 0 { needs = eolIsCRLF(base, 0) }
        return needs > 0
    }

    /// The marked text, its number of conflict blocks, and the offsets in it of the paragraphs
    /// merged word by word.
    private func fill(_ entries: [Entry], oursLabel: String?, theirsLabel: String?, favor: TextMerge.Favor?) -> ([UInt8], Int, [Int]) {
        var out: [UInt8] = []
        out.reserveCapacity(ours.bytes.count + theirs.bytes.count / 8)
        var conflicts = 0
        var wordMerged: [Int] = []
        func copy(_ t: TokenTable.Text, _ start: Int, _ count: Int, needsCR: Bool, addNewline: Bool) {
            guard count > 0 else { return }
            let r = t.range(start..<(start + count))
            out.append(contentsOf: t.bytes[r])
            if addNewline, r.isEmpty || t.bytes[r.upperBound - 1] != 0x0A {
                if needsCR { out.append(0x0D) }
                out.append(0x0A)
            }
        }
        func marker(_ char: UInt8, _ label: String?, _ cr: Bool) {
            out.append(contentsOf: repeatElement(char, count: 7))
            if let label {
                out.append(0x20)
                out.append(contentsOf: label.utf8)
            }
            if cr { out.append(0x0D) }
            out.append(0x0A)
        }
        func appendLines(_ bytes: ArraySlice<UInt8>, _ cr: Bool) {
            out.append(contentsOf: bytes)
            if let last = bytes.last, last != 0x0A {
                if cr { out.append(0x0D) }
                out.append(0x0A)
            }
        }
        var i = 0
        for m in entries {
            switch m.mode {
            case .conflict where favor != nil:
                // git's --ours, --theirs, --union: the conflict's lines of one side, or of both
                // (ours then theirs, ours ending in a line break).
                copy(ours, i, m.i1 - i, needsCR: false, addNewline: false)
                if favor != .theirs { copy(ours, m.i1, m.chg1, needsCR: needsCR(m), addNewline: favor == .union) }
                if favor != .ours { copy(theirs, m.i2, m.chg2, needsCR: false, addNewline: false) }
            case .narrowed where favor != nil:
                copy(ours, i, m.i1 - i, needsCR: false, addNewline: false)
                let (head, mine, other, tail) = ProseMerge.differingLines(m.prose!.text(.ours), m.prose!.text(.theirs))
                // Where the paragraphs merged word by word around the conflict start (counted in
                // ours; the paragraphs come out as many either way).
                wordMerged += m.prose!.wordMerged.map { out.count + $0 }
                out.append(contentsOf: head)
                if favor != .theirs {
                    if favor == .union { appendLines(mine, needsCR(m)) } else { out.append(contentsOf: mine) }
                }
                if favor != .ours { out.append(contentsOf: other) }
                out.append(contentsOf: tail)
            case .conflict:
                conflicts += 1
                let cr = needsCR(m)
                copy(ours, i, m.i1 - i, needsCR: false, addNewline: false)
                marker(UInt8(ascii: "<"), oursLabel, cr)
                copy(ours, m.i1, m.chg1, needsCR: cr, addNewline: true)
                marker(UInt8(ascii: "="), nil, cr)
                copy(theirs, m.i2, m.chg2, needsCR: cr, addNewline: true)
                marker(UInt8(ascii: ">"), theirsLabel, cr)
            case .ours:
                copy(ours, i, m.i1 + m.chg1 - i, needsCR: false, addNewline: false)
            case .theirs:
                copy(ours, i, m.i1 - i, needsCR: false, addNewline: false)
                copy(theirs, m.i2, m.chg2, needsCR: false, addNewline: false)
            case .identical:
                continue
            case .resolved:
                copy(ours, i, m.i1 - i, needsCR: false, addNewline: false)
                wordMerged += m.prose!.wordMerged.map { out.count + $0 }
                out.append(contentsOf: m.prose!.text(.ours))
            case .narrowed:
                // Both sides hold everything that merged; between the markers stand only the lines
                // where they still differ, which differ only in the words that collide.
                conflicts += 1
                let cr = needsCR(m)
                copy(ours, i, m.i1 - i, needsCR: false, addNewline: false)
                let (head, mine, other, tail) = ProseMerge.differingLines(m.prose!.text(.ours), m.prose!.text(.theirs))
                out.append(contentsOf: head)
                marker(UInt8(ascii: "<"), oursLabel, cr)
                appendLines(mine, cr)
                marker(UInt8(ascii: "="), nil, cr)
                appendLines(other, cr)
                marker(UInt8(ascii: ">"), theirsLabel, cr)
                out.append(contentsOf: tail)
            }
            i = m.i1 + m.chg1
        }
        copy(ours, i, ours.count - i, needsCR: false, addNewline: false)
        return (out, conflicts, wordMerged)
    }
}
