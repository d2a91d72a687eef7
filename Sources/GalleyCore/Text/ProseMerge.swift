/// The merge of one stretch where the lines of both sides overlap, read as prose.
///
/// Lines are the wrong unit for prose: a paragraph is one line or several wrapped ones, and the
/// blank line between two paragraphs is the most common line there is, so a line diff happily
/// anchors on it and pairs the end of one paragraph with the start of another. So the stretch is
/// merged again paragraph by paragraph (a paragraph being its lines and the blank lines after
/// it), and each paragraph both sides changed is merged word by word (``TokenTable/wordEnds``).
///
/// What is left are conflicts of the words that collide, each with the true base text of those
/// words; around them both sides already hold everything that merged. A merge that would write
/// the same words twice is not trusted, and that paragraph stays a conflict: where both sides
/// write the same words in different places, or where a word would come out more often than
/// either side and their changes together have it (a word moved two ways).
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
    private(set) var narrows: Bool

    init(base: ArraySlice<UInt8>, ours: ArraySlice<UInt8>, theirs: ArraySlice<UInt8>) {
        let (b, o, t) = (Array(base), Array(ours), Array(theirs))
        let paragraphs = ThreeWayMerge(base: b, ours: o, theirs: t, tokenizer: TokenTable.paragraphEnds, touchingConflicts: false)
        var merge = ProseMerge(pieces: [])
        let entries = paragraphs.plainEntries()
        guard !paragraphs.bothSidesWriteTheSame(entries) else {
            self = ProseMerge(pieces: [.conflict(base: b, ours: o, theirs: t)])
            return
        }
        paragraphs.walk(entries, clean: { merge.add(.clean(Array($0))) }) { m in
            let (pb, po, pt) = (paragraphs.base, paragraphs.ours, paragraphs.theirs)
            // The same number of paragraphs on every side: changes to neighbouring paragraphs,
            // which diff3 groups because they touch. Pair them one by one.
            if m.chg0 == m.chg1, m.chg1 == m.chg2 {
                for k in 0..<m.chg0 {
                    merge.mergeWords(
                        Array(pb.slice((m.i0 + k)..<(m.i0 + k + 1))), Array(po.slice((m.i1 + k)..<(m.i1 + k + 1))),
                        Array(pt.slice((m.i2 + k)..<(m.i2 + k + 1))))
                }
            } else {
                merge.add(.conflict(
                    base: Array(pb.slice(m.i0..<(m.i0 + m.chg0))), ours: Array(po.slice(m.i1..<(m.i1 + m.chg1))),
                    theirs: Array(pt.slice(m.i2..<(m.i2 + m.chg2)))))
            }
        }
        if merge.isClean, !MergeQuality.duplicatedWords(merged: merge.text(.ours), base: b, ours: o, theirs: t).isEmpty {
            merge = ProseMerge(pieces: [.conflict(base: b, ours: o, theirs: t)])
        }
        // Paragraphs that merged as wholes where the lines conflicted are a merge no line tool
        // makes, too: the reader hears of it as of a word merge, at the first place it changed.
        if merge.isClean, merge.wordMerged.isEmpty {
            let text = merge.text(.ours)
            merge.wordMerged = [zip(text, b).prefix { $0 == $1 }.count]
        }
        self = merge
        narrows = !isClean && (text(.ours) != o || text(.theirs) != t) && text(.ours) != text(.theirs)
    }

    private init(pieces: [Piece]) {
        narrows = false
        for piece in pieces { add(piece) }
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
            if case .clean(let previous) = pieces.last {
                pieces[pieces.count - 1] = .clean(previous + bytes)
                return
            }
        case .conflict(_, let ours, _):
            length += ours.count
        }
        pieces.append(piece)
    }

    /// One paragraph both sides changed, word by word.
    private mutating func mergeWords(_ base: [UInt8], _ ours: [UInt8], _ theirs: [UInt8]) {
        if ours == theirs || theirs == base { return add(.clean(ours)) }
        if ours == base { return add(.clean(theirs)) }
        let words = ThreeWayMerge(base: base, ours: ours, theirs: theirs, tokenizer: TokenTable.wordEnds, fillerBetweenConflicts: true)
        var paragraph = ProseMerge(pieces: [])
        let entries = words.plainEntries()
        if words.bothSidesWriteTheSame(entries) { return add(.conflict(base: base, ours: ours, theirs: theirs)) }
        words.walk(entries, clean: { paragraph.add(.clean(Array($0))) }) { m in
            paragraph.add(.conflict(
                base: Array(words.base.slice(m.i0..<(m.i0 + m.chg0))), ours: Array(words.ours.slice(m.i1..<(m.i1 + m.chg1))),
                theirs: Array(words.theirs.slice(m.i2..<(m.i2 + m.chg2)))))
        }
        if paragraph.isClean {
            guard MergeQuality.duplicatedWords(merged: paragraph.text(.ours), base: base, ours: ours, theirs: theirs).isEmpty else {
                return add(.conflict(base: base, ours: ours, theirs: theirs))
            }
            wordMerged.append(length)
        }
        for piece in paragraph.pieces { add(piece) }
    }

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
