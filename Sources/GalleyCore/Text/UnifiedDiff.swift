/// A unified diff (`diff -u` format) between two texts, line by line, with the same diff the
/// merge uses.
public enum UnifiedDiff {
    public static func make(from old: String, to new: String, oldLabel: String = "a", newLabel: String = "b", context: Int = 3) -> String {
        let oldBytes = Array(old.utf8)
        let newBytes = Array(new.utf8)
        var table = TokenTable(expectedTokens: 256)
        let a = table.add(bytes: oldBytes, tokenEnds: TokenTable.lineEnds(oldBytes))
        let b = table.add(bytes: newBytes, tokenEnds: TokenTable.lineEnds(newBytes))
        let ta = table.texts[a]
        let tb = table.texts[b]
        let hunks = LineDiff.diff(ta.classes[...], tb.classes[...], classCount: table.classCount)
        guard !hunks.isEmpty else { return "" }
        func line(_ t: TokenTable.Text, _ i: Int) -> String {
            var s = String(decoding: t.slice(i..<(i + 1)), as: UTF8.self)
            if s.hasSuffix("\n") { s.removeLast() } else { s += "\n\\ No newline at end of file" }
            return s
        }
        var out = "--- \(oldLabel)\n+++ \(newLabel)\n"
        // Group hunks whose context would touch into one block.
        var k = 0
        while k < hunks.count {
            var end = k
            while end + 1 < hunks.count && hunks[end + 1].start1 - (hunks[end].start1 + hunks[end].count1) <= 2 * context { end += 1 }
            let first = hunks[k]
            let last = hunks[end]
            let start1 = max(0, first.start1 - context)
            let start2 = max(0, first.start2 - context)
            let end1 = min(ta.count, last.start1 + last.count1 + context)
            let end2 = min(tb.count, last.start2 + last.count2 + context)
            func range(_ start: Int, _ count: Int) -> String {
                count == 1 ? "\(start + 1)" : "\(count == 0 ? start : start + 1),\(count)"
            }
            out += "@@ -\(range(start1, end1 - start1)) +\(range(start2, end2 - start2)) @@\n"
            var i = start1
            for h in hunks[k...end] {
                while i < h.start1 {
                    out += " " + line(ta, i) + "\n"
                    i += 1
                }
                for j in h.start1..<(h.start1 + h.count1) { out += "-" + line(ta, j) + "\n" }
                for j in h.start2..<(h.start2 + h.count2) { out += "+" + line(tb, j) + "\n" }
                i = h.start1 + h.count1
            }
            while i < end1 {
                out += " " + line(ta, i) + "\n"
                i += 1
            }
            k = end + 1
        }
        return out
    }
}
