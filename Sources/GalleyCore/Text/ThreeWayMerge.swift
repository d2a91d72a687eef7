/// diff3 over token classes, following the rules of git's xdiff merge (`XDL_MERGE_ZEALOUS_ALNUM`,
/// the level `git merge-file` uses), so that clean results agree with git's:
///
/// - hunks of the two sides that overlap *or touch* conflict, unless they are identical;
/// - for presentation, a conflict is narrowed to the lines where the two sides really differ, and
///   conflicts separated by at most three lines (or by lines without letters or digits) are
///   shown as one.
///
/// On top of that, before narrowing, a conflict that lies within one paragraph is merged again
/// word by word; if that merge is clean, the conflict is gone.
struct ThreeWayMerge {
    private var table: TokenTable
    private static let baseIndex = 0
    private static let oursIndex = 1
    private static let theirsIndex = 2

    enum Mode: Equatable {
        case conflict, ours, theirs, identical, resolved
    }

    struct Entry {
        var mode: Mode
        var i0: Int, chg0: Int
        var i1: Int, chg1: Int
        var i2: Int, chg2: Int
        var resolved: [UInt8] = []
    }

    init(base: [UInt8], ours: [UInt8], theirs: [UInt8], tokenizer: ([UInt8]) -> [Int]) {
        let e0 = tokenizer(base)
        let e1 = tokenizer(ours)
        let e2 = tokenizer(theirs)
        table = TokenTable(expectedTokens: e0.count + e1.count + e2.count)
        _ = table.add(bytes: base, tokenEnds: e0)
        _ = table.add(bytes: ours, tokenEnds: e1)
        _ = table.add(bytes: theirs, tokenEnds: e2)
    }

    private var base: TokenTable.Text { table.texts[Self.baseIndex] }
    private var ours: TokenTable.Text { table.texts[Self.oursIndex] }
    private var theirs: TokenTable.Text { table.texts[Self.theirsIndex] }

    // MARK: - Entry points

    mutating func run(options: TextMerge.Options) -> MergeResult {
        let base = self.base
        let ours = self.ours
        let theirs = self.theirs
        let h1 = LineDiff.diff(base.classes[...], ours.classes[...], classCount: table.classCount)
        let h2 = LineDiff.diff(base.classes[...], theirs.classes[...], classCount: table.classCount)
        if h1.isEmpty { return Self.cleanResult(theirs.bytes) }
        if h2.isEmpty { return Self.cleanResult(ours.bytes) }

        var entries = diff3(h1, h2)
        for k in entries.indices where entries[k].mode == .conflict {
            let m = entries[k]
            if oursEqualsTheirs(m) {
                entries[k].mode = .identical
            } else if options.wordLevel, let merged = wordMerge(m) {
                entries[k].mode = .resolved
                entries[k].resolved = merged
            }
        }
        let wordMerges = entries.count { $0.mode == .resolved }
        let regions = self.regions(entries)
        refineConflicts(&entries)
        simplifyNonConflicts(&entries)
        let (marked, count) = fill(entries, oursLabel: options.oursLabel, theirsLabel: options.theirsLabel)
        var result = MergeResult(regions: regions, marked: marked, conflictCount: count)
        result.wordMerges = wordMerges
        return result
    }

    /// The merged bytes if the merge is clean (used for the word pass), else nil.
    mutating func cleanMerge() -> [UInt8]? {
        let h1 = LineDiff.diff(base.classes[...], ours.classes[...], classCount: table.classCount)
        let h2 = LineDiff.diff(base.classes[...], theirs.classes[...], classCount: table.classCount)
        if h1.isEmpty { return theirs.bytes }
        if h2.isEmpty { return ours.bytes }
        var entries = diff3(h1, h2)
        for k in entries.indices where entries[k].mode == .conflict {
            guard oursEqualsTheirs(entries[k]) else { return nil }
            entries[k].mode = .identical
        }
        return fill(entries, oursLabel: nil, theirsLabel: nil).0
    }

    private static func cleanResult(_ bytes: [UInt8]) -> MergeResult {
        MergeResult(regions: bytes.isEmpty ? [] : [.clean(String(decoding: bytes, as: UTF8.self))], marked: bytes, conflictCount: 0)
    }

    // MARK: - diff3

    private func diff3(_ h1: [DiffHunk], _ h2: [DiffHunk]) -> [Entry] {
        var entries: [Entry] = []
        func append(_ mode: Mode, _ i0: Int, _ chg0: Int, _ i1: Int, _ chg1: Int, _ i2: Int, _ chg2: Int) {
            if var m = entries.last, i1 <= m.i1 + m.chg1 || i2 <= m.i2 + m.chg2 {
                if mode != m.mode { m.mode = .conflict }
                m.chg0 = i0 + chg0 - m.i0
                m.chg1 = i1 + chg1 - m.i1
                m.chg2 = i2 + chg2 - m.i2
                entries[entries.count - 1] = m
            } else {
                entries.append(Entry(mode: mode, i0: i0, chg0: chg0, i1: i1, chg1: chg1, i2: i2, chg2: chg2))
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
            if s1.start1 + s1.count1 < s2.start1 {
                append(.ours, s1.start1, s1.count1, s1.start2, s1.count2, s2.start2 - s2.start1 + s1.start1, s1.count1)
                x1 += 1
                continue
            }
            if s2.start1 + s2.count1 < s1.start1 {
                append(.theirs, s2.start1, s2.count1, s1.start2 - s1.start1 + s2.start1, s2.count1, s2.start2, s2.count2)
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
            }
            let e1 = s1.start1 + s1.count1
            let e2 = s2.start1 + s2.count1
            if e1 >= e2 { x2 += 1 }
            if e2 >= e1 { x1 += 1 }
        }
        while x1 < h1.count {
            let s1 = h1[x1]
            append(.ours, s1.start1, s1.count1, s1.start2, s1.count2, s1.start1 + nTheirs - nBase, s1.count1)
            x1 += 1
        }
        while x2 < h2.count {
            let s2 = h2[x2]
            append(.theirs, s2.start1, s2.count1, s2.start1 + nOurs - nBase, s2.count1, s2.start2, s2.count2)
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

    // MARK: - The word pass

    private func wordMerge(_ m: Entry) -> [UInt8]? {
        let b = Array(base.slice(m.i0..<(m.i0 + m.chg0)))
        let o = Array(ours.slice(m.i1..<(m.i1 + m.chg1)))
        let t = Array(theirs.slice(m.i2..<(m.i2 + m.chg2)))
        // Only within one paragraph: across a paragraph break the edits are about different things.
        guard !Self.hasBlankLine(b), !Self.hasBlankLine(o), !Self.hasBlankLine(t) else { return nil }
        var words = ThreeWayMerge(base: b, ours: o, theirs: t, tokenizer: TokenTable.wordEnds)
        return words.cleanMerge()
    }

    private static func hasBlankLine(_ bytes: [UInt8]) -> Bool {
        var lineIsBlank = true
        for byte in bytes {
            switch byte {
            case 0x0A:
                if lineIsBlank { return true }
                lineIsBlank = true
            case 0x20, 0x09, 0x0D:
                continue
            default:
                lineIsBlank = false
            }
        }
        return false
    }

    // MARK: - Regions (the meaning)

    private func regions(_ entries: [Entry]) -> [MergeResult.Region] {
        var regions: [MergeResult.Region] = []
        var pending: [UInt8] = []
        func clean<C: Collection>(_ bytes: C) where C.Element == UInt8 { pending.append(contentsOf: bytes) }
        func flush() {
            if !pending.isEmpty { regions.append(.clean(String(decoding: pending, as: UTF8.self))) }
            pending.removeAll()
        }
        func text(_ t: TokenTable.Text, _ start: Int, _ count: Int) -> String {
            String(decoding: t.slice(start..<(start + count)), as: UTF8.self)
        }
        var i = 0
        for m in entries {
            switch m.mode {
            case .conflict:
                clean(ours.slice(i..<m.i1))
                flush()
                regions.append(.conflict(base: text(base, m.i0, m.chg0), ours: text(ours, m.i1, m.chg1), theirs: text(theirs, m.i2, m.chg2)))
            case .ours:
                clean(ours.slice(i..<(m.i1 + m.chg1)))
            case .theirs:
                clean(ours.slice(i..<m.i1))
                clean(theirs.slice(m.i2..<(m.i2 + m.chg2)))
            case .identical:
                continue
            case .resolved:
                clean(ours.slice(i..<m.i1))
                clean(m.resolved)
            }
            i = m.i1 + m.chg1
        }
        clean(ours.slice(i..<ours.count))
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

    private func fill(_ entries: [Entry], oursLabel: String?, theirsLabel: String?) -> ([UInt8], Int) {
        var out: [UInt8] = []
        out.reserveCapacity(ours.bytes.count + theirs.bytes.count / 8)
        var conflicts = 0
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
        var i = 0
        for m in entries {
            switch m.mode {
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
                out.append(contentsOf: m.resolved)
            }
            i = m.i1 + m.chg1
        }
        copy(ours, i, ours.count - i, needsCR: false, addNewline: false)
        return (out, conflicts)
    }
}
