/// One hunk of a diff: `count1` tokens of side 1 starting at `start1` became `count2` tokens of
/// side 2 starting at `start2`.
struct DiffHunk: Equatable {
    var start1: Int
    var count1: Int
    var start2: Int
    var count2: Int
}

/// Myers' O(ND) diff over token classes, made to choose the same hunks as git's xdiff (the
/// default "myers" algorithm that `git merge-file` uses), so that a merge built on it agrees with
/// git's:
///
/// - common head and tail are trimmed first;
/// - tokens without a match on the other side are marked changed before the search, and tokens
///   with very many matches are dropped when they sit among such unmatched ones;
/// - the middle-snake search gives up on optimality past a cost limit, preferring long snakes;
/// - finally every hunk is slid as far down as it can go, and then back up to line up with a
///   hunk of the other side if one is in reach ("change compaction").
///
/// The algorithm follows Myers (1986) and the published behaviour of xdiff; the code is ours.
enum LineDiff {
    private static let snakeCount = 20
    private static let heuristicMinCost = 256
    private static let maxCostMin = 256
    private static let kHeuristic = 4
    private static let maxEqualityLimit = 1024
    private static let similarScanWindow = 100
    private static let keepDiscardRun = 4

    static func diff(_ a: ArraySlice<Int32>, _ b: ArraySlice<Int32>, classCount: Int32) -> [DiffHunk] {
        let a = Array(a)
        let b = Array(b)
        var changed1 = [Bool](repeating: false, count: a.count + 2)
        var changed2 = [Bool](repeating: false, count: b.count + 2)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                changed1.withUnsafeMutableBufferPointer { c1 in
                    changed2.withUnsafeMutableBufferPointer { c2 in
                        // Offset by one so that index -1 (and n) are valid sentinels, as in xdiff.
                        let ch1 = c1.baseAddress! + 1
                        let ch2 = c2.baseAddress! + 1
                        prepareAndCompare(pa, pb, ch1, ch2, classCount: Int(classCount))
                        compact(pa, ch1, pb, ch2)
                        compact(pb, ch2, pa, ch1)
                    }
                }
            }
        }
        return buildScript(changed1, a.count, changed2, b.count)
    }

    /// A diff of words: the tokens marked as anchors (words) are aligned first, among themselves,
    /// so that a space, a line break or a mark, the commonest tokens of prose, never decides which
    /// words pair (two blank lines matched would pair the end of one paragraph with the start of
    /// another at the same cost as the right answer); then the tokens between two paired words
    /// are diffed.
    static func diff(_ a: [Int32], _ b: [Int32], classCount: Int32, anchors: ([Bool], [Bool])) -> [DiffHunk] {
        let wa = a.indices.filter { anchors.0[$0] }
        let wb = b.indices.filter { anchors.1[$0] }
        let words = diff(wa.map { a[$0] }[...], wb.map { b[$0] }[...], classCount: classCount)
        var hunks: [DiffHunk] = []
        var (pa, pb) = (0, 0)  // the tokens after the last pair
        func gap(to qa: Int, _ qb: Int) {
            let (na, nb) = (qa - pa, qb - pb)
            if na == 0 && nb == 0 || na == nb && a[pa..<qa].elementsEqual(b[pb..<qb]) {
                return
            } else if na == 0 || nb == 0 {
                hunks.append(DiffHunk(start1: pa, count1: na, start2: pb, count2: nb))
            } else {
                hunks += diff(a[pa..<qa], b[pb..<qb], classCount: classCount).map {
                    DiffHunk(start1: $0.start1 + pa, count1: $0.count1, start2: $0.start2 + pb, count2: $0.count2)
                }
            }
        }
        var (x, y) = (0, 0)
        for h in words + [DiffHunk(start1: wa.count, count1: 0, start2: wb.count, count2: 0)] {
            while x < h.start1 {
                gap(to: wa[x], wb[y])
                (pa, pb) = (wa[x] + 1, wb[y] + 1)
                x += 1
                y += 1
            }
            (x, y) = (h.start1 + h.count1, h.start2 + h.count2)
        }
        gap(to: a.count, b.count)
        return hunks
    }

    // MARK: - Preparation and search

    private static func bogoSqrt(_ n: Int) -> Int {
        var i = 1
        var n = n
        while n > 0 {
            i <<= 1
            n >>= 2
        }
        return i
    }

    private static func prepareAndCompare(
        _ a: UnsafeBufferPointer<Int32>, _ b: UnsafeBufferPointer<Int32>,
        _ changed1: UnsafeMutablePointer<Bool>, _ changed2: UnsafeMutablePointer<Bool>, classCount: Int
    ) {
        let n1 = a.count
        let n2 = b.count
        // Trim the common head and tail.
        let limit = min(n1, n2)
        var start = 0
        while start < limit && a[start] == b[start] { start += 1 }
        var tail = 0
        while tail < limit - start && a[n1 - 1 - tail] == b[n2 - 1 - tail] { tail += 1 }
        let end1 = n1 - tail - 1
        let end2 = n2 - tail - 1
        if start > end1 && start > end2 { return }

        // How often each class occurs on each side (over the whole side, as xdiff counts).
        var count1 = ClassCounter(classCount: classCount, expected: n1 + n2)
        var count2 = ClassCounter(classCount: classCount, expected: n1 + n2)
        for x in a { count1.add(x) }
        for x in b { count2.add(x) }

        // 0: no match on the other side (discard), 1: keep, 2: many matches (look closer).
        let limit1 = min(bogoSqrt(n1), maxEqualityLimit)
        let limit2 = min(bogoSqrt(n2), maxEqualityLimit)
        var action1 = [UInt8](repeating: 0, count: n1 + 1)
        var action2 = [UInt8](repeating: 0, count: n2 + 1)
        if start <= end1 {
            for i in start...end1 {
                let nm = count2.count(a[i])
                action1[i] = nm == 0 ? 0 : (nm >= limit1 ? 2 : 1)
            }
        }
        if start <= end2 {
            for i in start...end2 {
                let nm = count1.count(b[i])
                action2[i] = nm == 0 ? 0 : (nm >= limit2 ? 2 : 1)
            }
        }
        var index1: [Int] = []
        var index2: [Int] = []
        index1.reserveCapacity(max(0, end1 - start + 1))
        index2.reserveCapacity(max(0, end2 - start + 1))
        if start <= end1 {
            for i in start...end1 {
                if action1[i] == 1 || (action1[i] == 2 && !isDiscardableMultimatch(action1, i, start, end1)) {
                    index1.append(i)
                } else {
                    changed1[i] = true
                }
            }
        }
        if start <= end2 {
            for i in start...end2 {
                if action2[i] == 1 || (action2[i] == 2 && !isDiscardableMultimatch(action2, i, start, end2)) {
                    index2.append(i)
                } else {
                    changed2[i] = true
                }
            }
        }

        let h1 = index1.map { a[$0] }
        let h2 = index2.map { b[$0] }
        let diagonals = h1.count + h2.count + 3
        var kv = [Int](repeating: 0, count: 2 * diagonals + 2)
        var maxCost = bogoSqrt(diagonals)
        if maxCost < maxCostMin { maxCost = maxCostMin }
        h1.withUnsafeBufferPointer { p1 in
            h2.withUnsafeBufferPointer { p2 in
                kv.withUnsafeMutableBufferPointer { kvp in
                    var search = Search(
                        h1: p1, h2: p2,
                        kvdf: kvp.baseAddress! + (h2.count + 1),
                        kvdb: kvp.baseAddress! + diagonals + (h2.count + 1),
                        maxCost: maxCost)
                    search.compare(0, h1.count, 0, h2.count, needMinimal: false) { side, k in
                        if side == 1 { changed1[index1[k]] = true } else { changed2[index2[k]] = true }
                    }
                }
            }
        }
    }

    /// Whether a token with many matches sits in a run of unmatched tokens, where keeping it
    /// would only make the search slower and the diff stranger.
    private static func isDiscardableMultimatch(_ action: [UInt8], _ i: Int, _ s: Int, _ e: Int) -> Bool {
        var s = s
        var e = e
        if i - s > similarScanWindow { s = i - similarScanWindow }
        if e - i > similarScanWindow { e = i + similarScanWindow }
        var discarded0 = 0
        var multi0 = 1
        var r = 1
        while i - r >= s {
            let x = action[i - r]
            if x == 0 { discarded0 += 1 } else if x == 2 { multi0 += 1 } else { break }
            r += 1
        }
        if discarded0 == 0 { return false }
        var discarded1 = 0
        var multi1 = 1
        r = 1
        while i + r <= e {
            let x = action[i + r]
            if x == 0 { discarded1 += 1 } else if x == 2 { multi1 += 1 } else { break }
            r += 1
        }
        if discarded1 == 0 { return false }
        discarded1 += discarded0
        multi1 += multi0
        return multi1 * keepDiscardRun < multi1 + discarded1
    }

    private struct Search {
        let h1: UnsafeBufferPointer<Int32>
        let h2: UnsafeBufferPointer<Int32>
        let kvdf: UnsafeMutablePointer<Int>
        let kvdb: UnsafeMutablePointer<Int>
        let maxCost: Int

        struct Split {
            var i1 = 0
            var i2 = 0
            var minLow = false
            var minHigh = false
        }

        /// Divide and conquer: shrink the box by its common ends, split it at the middle snake,
        /// recurse. Marks changed tokens through `mark(side, index)`.
        mutating func compare(
            _ off1: Int, _ lim1: Int, _ off2: Int, _ lim2: Int, needMinimal: Bool, mark: (Int, Int) -> Void
        ) {
            var off1 = off1
            var off2 = off2
            var lim1 = lim1
            var lim2 = lim2
            while off1 < lim1 && off2 < lim2 && h1[off1] == h2[off2] {
                off1 += 1
                off2 += 1
            }
            while off1 < lim1 && off2 < lim2 && h1[lim1 - 1] == h2[lim2 - 1] {
                lim1 -= 1
                lim2 -= 1
            }
            if off1 == lim1 {
                for k in off2..<lim2 { mark(2, k) }
            } else if off2 == lim2 {
                for k in off1..<lim1 { mark(1, k) }
            } else {
                let split = self.split(off1, lim1, off2, lim2, needMinimal: needMinimal)
                compare(off1, split.i1, off2, split.i2, needMinimal: split.minLow, mark: mark)
                compare(split.i1, lim1, split.i2, lim2, needMinimal: split.minHigh, mark: mark)
            }
        }

        func split(_ off1: Int, _ lim1: Int, _ off2: Int, _ lim2: Int, needMinimal: Bool) -> Split {
            let dmin = off1 - lim2
            let dmax = lim1 - off2
            let fmid = off1 - off2
            let bmid = lim1 - lim2
            let odd = ((fmid - bmid) & 1) != 0
            var fmin = fmid
            var fmax = fmid
            var bmin = bmid
            var bmax = bmid
            kvdf[fmid] = off1
            kvdb[bmid] = lim1
            var ec = 1
            while true {
                var gotSnake = false
                if fmin > dmin {
                    fmin -= 1
                    kvdf[fmin - 1] = -1
                } else {
                    fmin += 1
                }
                if fmax < dmax {
                    fmax += 1
                    kvdf[fmax + 1] = -1
                } else {
                    fmax -= 1
                }
                var d = fmax
                while d >= fmin {
                    var i1 = kvdf[d - 1] >= kvdf[d + 1] ? kvdf[d - 1] + 1 : kvdf[d + 1]
                    let prev1 = i1
                    var i2 = i1 - d
                    while i1 < lim1 && i2 < lim2 && h1[i1] == h2[i2] {
                        i1 += 1
                        i2 += 1
                    }
                    if i1 - prev1 > snakeCount { gotSnake = true }
                    kvdf[d] = i1
                    if odd && bmin <= d && d <= bmax && kvdb[d] <= i1 {
                        return Split(i1: i1, i2: i2, minLow: true, minHigh: true)
                    }
                    d -= 2
                }

                if bmin > dmin {
                    bmin -= 1
                    kvdb[bmin - 1] = Int.max
                } else {
                    bmin += 1
                }
                if bmax < dmax {
                    bmax += 1
                    kvdb[bmax + 1] = Int.max
                } else {
                    bmax -= 1
                }
                d = bmax
                while d >= bmin {
                    var i1 = kvdb[d - 1] < kvdb[d + 1] ? kvdb[d - 1] : kvdb[d + 1] - 1
                    let prev1 = i1
                    var i2 = i1 - d
                    while i1 > off1 && i2 > off2 && h1[i1 - 1] == h2[i2 - 1] {
                        i1 -= 1
                        i2 -= 1
                    }
                    if prev1 - i1 > snakeCount { gotSnake = true }
                    kvdb[d] = i1
                    if !odd && fmin <= d && d <= fmax && i1 <= kvdf[d] {
                        return Split(i1: i1, i2: i2, minLow: true, minHigh: true)
                    }
                    d -= 2
                }

                if !needMinimal {
                    if gotSnake && ec > heuristicMinCost {
                        var best = 0
                        var result = Split()
                        d = fmax
                        while d >= fmin {
                            let dd = d > fmid ? d - fmid : fmid - d
                            let i1 = kvdf[d]
                            let i2 = i1 - d
                            let v = (i1 - off1) + (i2 - off2) - dd
                            if v > kHeuristic * ec && v > best && off1 + snakeCount <= i1 && i1 < lim1
                                && off2 + snakeCount <= i2 && i2 < lim2
                            {
                                var k = 1
                                while h1[i1 - k] == h2[i2 - k] {
                                    if k == snakeCount {
                                        best = v
                                        result = Split(i1: i1, i2: i2, minLow: true, minHigh: false)
                                        break
                                    }
                                    k += 1
                                }
                            }
                            d -= 2
                        }
                        if best > 0 { return result }

                        best = 0
                        d = bmax
                        while d >= bmin {
                            let dd = d > bmid ? d - bmid : bmid - d
                            let i1 = kvdb[d]
                            let i2 = i1 - d
                            let v = (lim1 - i1) + (lim2 - i2) - dd
                            if v > kHeuristic * ec && v > best && off1 < i1 && i1 <= lim1 - snakeCount
                                && off2 < i2 && i2 <= lim2 - snakeCount
                            {
                                var k = 0
                                while h1[i1 + k] == h2[i2 + k] {
                                    if k == snakeCount - 1 {
                                        best = v
                                        result = Split(i1: i1, i2: i2, minLow: false, minHigh: true)
                                        break
                                    }
                                    k += 1
                                }
                            }
                            d -= 2
                        }
                        if best > 0 { return result }
                    }

                    if ec >= maxCost {
                        // Enough: take the furthest-reaching path found so far.
                        var fbest = -1
                        var fbest1 = -1
                        d = fmax
                        while d >= fmin {
                            var i1 = min(kvdf[d], lim1)
                            var i2 = i1 - d
                            if lim2 < i2 {
                                i1 = lim2 + d
                                i2 = lim2
                            }
                            if fbest < i1 + i2 {
                                fbest = i1 + i2
                                fbest1 = i1
                            }
                            d -= 2
                        }
                        var bbest = Int.max
                        var bbest1 = Int.max
                        d = bmax
                        while d >= bmin {
                            var i1 = max(off1, kvdb[d])
                            var i2 = i1 - d
                            if i2 < off2 {
                                i1 = off2 + d
                                i2 = off2
                            }
                            if i1 + i2 < bbest {
                                bbest = i1 + i2
                                bbest1 = i1
                            }
                            d -= 2
                        }
                        if (lim1 + lim2) - bbest < fbest - (off1 + off2) {
                            return Split(i1: fbest1, i2: fbest - fbest1, minLow: true, minHigh: false)
                        } else {
                            return Split(i1: bbest1, i2: bbest - bbest1, minLow: false, minHigh: true)
                        }
                    }
                }
                ec += 1
            }
        }
    }

    // MARK: - Compaction

    private struct Group {
        var start = 0
        var end = 0
    }

    /// Slides each group of changed tokens down as far as it goes, merging with groups it meets,
    /// then back up to align with a change on the other side when one is in reach.
    private static func compact(
        _ recs: UnsafeBufferPointer<Int32>, _ changed: UnsafeMutablePointer<Bool>,
        _ otherRecs: UnsafeBufferPointer<Int32>, _ otherChanged: UnsafeMutablePointer<Bool>
    ) {
        let n = recs.count
        let no = otherRecs.count
        func initGroup(_ ch: UnsafeMutablePointer<Bool>) -> Group {
            var g = Group()
            while ch[g.end] { g.end += 1 }
            return g
        }
        func next(_ g: inout Group, _ ch: UnsafeMutablePointer<Bool>, _ count: Int) -> Bool {
            if g.end == count { return false }
            g.start = g.end + 1
            g.end = g.start
            while ch[g.end] { g.end += 1 }
            return true
        }
        func previous(_ g: inout Group, _ ch: UnsafeMutablePointer<Bool>) -> Bool {
            if g.start == 0 { return false }
            g.end = g.start - 1
            g.start = g.end
            while ch[g.start - 1] { g.start -= 1 }
            return true
        }
        func slideDown(_ g: inout Group) -> Bool {
            if g.end < n && recs[g.start] == recs[g.end] {
                changed[g.start] = false
                g.start += 1
                changed[g.end] = true
                g.end += 1
                while changed[g.end] { g.end += 1 }
                return true
            }
            return false
        }
        func slideUp(_ g: inout Group) -> Bool {
            if g.start > 0 && recs[g.start - 1] == recs[g.end - 1] {
                g.start -= 1
                changed[g.start] = true
                g.end -= 1
                changed[g.end] = false
                while changed[g.start - 1] { g.start -= 1 }
                return true
            }
            return false
        }

        var g = initGroup(changed)
        var go = initGroup(otherChanged)
        while true {
            if g.end != g.start {
                var groupSize = 0
                var earliestEnd = 0
                var endMatchingOther = -1
                repeat {
                    groupSize = g.end - g.start
                    endMatchingOther = -1
                    while slideUp(&g) { _ = previous(&go, otherChanged) }
                    earliestEnd = g.end
                    if go.end > go.start { endMatchingOther = g.end }
                    while slideDown(&g) {
                        _ = next(&go, otherChanged, no)
                        if go.end > go.start { endMatchingOther = g.end }
                    }
                } while groupSize != g.end - g.start

                if g.end != earliestEnd && endMatchingOther != -1 {
                    while go.end == go.start {
                        _ = slideUp(&g)
                        _ = previous(&go, otherChanged)
                    }
                }
            }
            if !next(&g, changed, n) { break }
            _ = next(&go, otherChanged, no)
        }
    }

    private static func buildScript(_ changed1: [Bool], _ n1: Int, _ changed2: [Bool], _ n2: Int) -> [DiffHunk] {
        // `changedX[i + 1]` is token i; index 0 is the sentinel before the first token.
        var hunks: [DiffHunk] = []
        var i1 = n1
        var i2 = n2
        while i1 >= 0 || i2 >= 0 {
            let c1 = i1 >= 1 ? changed1[i1] : false
            let c2 = i2 >= 1 ? changed2[i2] : false
            if c1 || c2 {
                let l1 = i1
                let l2 = i2
                while i1 >= 1 && changed1[i1] { i1 -= 1 }
                while i2 >= 1 && changed2[i2] { i2 -= 1 }
                hunks.append(DiffHunk(start1: i1, count1: l1 - i1, start2: i2, count2: l2 - i2))
            }
            i1 -= 1
            i2 -= 1
        }
        return hunks.reversed()
    }
}

/// Counts tokens per class: a flat array when classes are few relative to the input, a
/// dictionary when a small slice of a large table is diffed (conflict refinement, words).
private struct ClassCounter {
    private var flat: [Int32]
    private var sparse: [Int32: Int32]
    private let useFlat: Bool

    init(classCount: Int, expected: Int) {
        useFlat = classCount <= expected * 8
        flat = useFlat ? [Int32](repeating: 0, count: classCount) : []
        sparse = [:]
    }

    mutating func add(_ cls: Int32) {
        if useFlat { flat[Int(cls)] += 1 } else { sparse[cls, default: 0] += 1 }
    }

    func count(_ cls: Int32) -> Int {
        useFlat ? Int(flat[Int(cls)]) : Int(sparse[cls] ?? 0)
    }
}
