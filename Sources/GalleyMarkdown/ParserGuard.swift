/// What the text is given to cmark-gfm as, so that parsing stays linear and no cell is dropped.
///
/// Debian's cmark-gfm (0.29.0.gfm.6) takes time quadratic in the depth of nested containers
/// (`> > > …` over many lines) and in the size of a table (a 12 KB table of 2,000 × 2,000 cells
/// grew the server by a gigabyte); later releases fixed some of this, Debian has not taken them.
/// Neither shape is prose, so here, in one linear pass before parsing:
///
/// - a line nested deeper than ``maxDepth`` containers has its deeper markers escaped (`\>`,
///   `\-`): they show as the characters typed, in the innermost container allowed;
/// - a document with a table wider than ``maxColumns`` or larger than ``maxCells`` is parsed
///   without the table extension: its rows show as the text typed, pipes and all;
/// - a table row with more cells than its header (which GFM would drop, words and all) gets
///   empty header cells to hold them.
enum ParserGuard {
    static let maxDepth = 64
    static let maxColumns = 128
    static let maxCells = 50_000

    struct Prepared {
        var text: String
        var tables: Bool
    }

    static func prepare(_ markdown: String) -> Prepared {
        var lines = markdown.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
        var changed = false
        var tables = true
        for i in lines.indices {
            if let escaped = limitDepth(lines[i]) {
                lines[i] = escaped
                changed = true
            }
        }
        var i = 1
        while i < lines.count {
            guard let columns = delimiterCells(lines[i]) else {
                i += 1
                continue
            }
            var end = i + 1
            var widest = 0
            while end < lines.count, !isBlank(lines[end]) {
                widest = max(widest, cells(lines[end]))
                end += 1
            }
            let rows = end - i - 1
            if columns > maxColumns || widest > maxColumns || (columns * (rows + 1)) > maxCells {
                tables = false
            } else if widest > columns, topLevel(lines[i]), topLevel(lines[i - 1]), cells(lines[i - 1]) == columns {
                lines[i - 1] = widened(lines[i - 1], by: widest - columns, filler: Array(" ".utf8))
                lines[i] = widened(lines[i], by: widest - columns, filler: Array("-".utf8))
                changed = true
            }
            i = end
        }
        guard changed else { return Prepared(text: markdown, tables: tables) }
        return Prepared(text: String(decoding: Array(lines.joined(separator: [UInt8(ascii: "\n")])), as: UTF8.self), tables: tables)
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    private static func isBlank(_ line: [UInt8]) -> Bool { line.allSatisfy { isSpace($0) || $0 == 0x0D } }
    private static func topLevel(_ line: [UInt8]) -> Bool { line.prefix(4).first { !isSpace($0) } != UInt8(ascii: ">") && !(line.prefix(4).allSatisfy(isSpace) && line.count >= 4) }

    /// The line with the container markers past ``maxDepth`` escaped, or nil when it is not
    /// that deep.
    static func limitDepth(_ line: [UInt8]) -> [UInt8]? {
        var depth = 0, p = 0
        let n = line.count
        while p < n {
            while p < n, isSpace(line[p]) { p += 1 }
            guard p < n else { return nil }
            let start = p
            let b = line[p]
            if b == UInt8(ascii: ">") {
                p += 1
            } else if (b == UInt8(ascii: "-") || b == UInt8(ascii: "*") || b == UInt8(ascii: "+")), p + 1 < n, isSpace(line[p + 1]) {
                p += 2
            } else if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) {
                var q = p
                while q < n, q - p < 9, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[q]) { q += 1 }
                guard q + 1 < n, line[q] == UInt8(ascii: ".") || line[q] == UInt8(ascii: ")"), isSpace(line[q + 1]) else { return nil }
                p = q + 2
            } else {
                return nil
            }
            depth += 1
            if depth > maxDepth {
                var out = line
                // Escaping the marker itself: for `12.` the period, for the rest the character.
                var at = start
                while (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(out[at]) { at += 1 }
                out.insert(UInt8(ascii: "\\"), at: at)
                return out
            }
        }
        return nil
    }

    /// Cells of a table row: split at pipes not escaped, a leading and a trailing pipe
    /// opening and closing the row rather than making cells.
    static func cells(_ line: [UInt8]) -> Int {
        var s = line[...]
        while let f = s.first, isSpace(f) || f == UInt8(ascii: ">") { s = s.dropFirst() }
        while let l = s.last, isSpace(l) || l == 0x0D { s = s.dropLast() }
        if s.isEmpty { return 0 }
        var pipes = 0, escaped = false
        var firstPipe = false, lastPipe = false
        for (k, b) in s.enumerated() {
            if escaped { escaped = false; continue }
            if b == UInt8(ascii: "\\") { escaped = true; continue }
            if b == UInt8(ascii: "|") {
                pipes += 1
                if k == 0 { firstPipe = true }
                if k == s.count - 1 { lastPipe = true }
            }
        }
        return max(1, pipes + 1 - (firstPipe ? 1 : 0) - (lastPipe && (pipes > 1 || !firstPipe) ? 1 : 0))
    }

    /// The column count of a delimiter row (`| :-- | --: |`), or nil if the line is not one.
    static func delimiterCells(_ line: [UInt8]) -> Int? {
        var sawPipe = false, sawDash = false
        for b in line {
            switch b {
            case UInt8(ascii: "|"): sawPipe = true
            case UInt8(ascii: "-"): sawDash = true
            case UInt8(ascii: ":"), UInt8(ascii: ">"), 0x20, 0x09, 0x0D: break
            default: return nil
            }
        }
        return sawPipe && sawDash ? cells(line) : nil
    }

    private static func widened(_ line: [UInt8], by extra: Int, filler: [UInt8]) -> [UInt8] {
        var out = line
        while let l = out.last, isSpace(l) || l == 0x0D { out.removeLast() }
        if out.last != UInt8(ascii: "|") { out += Array(" |".utf8) }
        for _ in 0..<extra { out += filler + Array("|".utf8) }
        return out
    }
}
