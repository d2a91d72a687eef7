import Foundation
import PropertyBased
import Testing

@testable import GalleyCore

/// The laws a three-way merge must keep, checked on generated documents in Latin, Cyrillic, and
/// text with combining marks and emoji. PropertyBased prints the seed (and a shrunk input) of any
/// failure; `.fixedSeed("…")` on the test replays it.
@Suite struct MergeLawTests {
    static let vocabularies: [[String]] = [
        ["the", "minister", "said", "exports", "grew", "in", "May", "by", "5%", "while", "Minsk", "hopes", "Beijing", "trade", "policy", "."],
        ["Мінск", "і", "Пекін", "гандаль", "вырас", "у", "траўні", "на", "5%", "урад", "спадзяецца", "Кітай", "палітыка", "экспарт", "—", "."],
        ["cafe\u{301}", "n\u{303}o", "🙂", "👩‍👩‍👧", "a\u{308}\u{301}", "🇧🇾", "ŉ", "ǅ", "ﬁ", "x\u{20DD}", "e\u{301}\u{302}", "Å", "Å", "，", "…", "."],
    ]

    /// A document: paragraphs of words, separated by blank lines.
    static let document = Gen.int(in: 0...15).array(of: 2...12).array(of: 2...8)
    /// An edit, as a list of operations on random positions.
    static let edits = Gen.int(in: 0...10_000).array(of: 1...6)
    static let script = Gen.int(in: 0...2)

    static func render(_ doc: [[Int]], script: Int) -> String {
        doc.map { $0.map { vocabularies[script][$0 % 16] }.joined(separator: " ") }.joined(separator: "\n\n") + "\n"
    }

    /// Applies operations to a document: insert, delete or replace a word; add or drop a paragraph.
    static func edit(_ doc: [[Int]], _ ops: [Int], tag: Int) -> [[Int]] {
        var doc = doc
        for (k, op) in ops.enumerated() {
            let p = op % doc.count
            let w = (op / 7) % max(doc[p].count, 1)
            let fresh = 100 + tag * 50 + k  // words outside the base's vocabulary range
            switch op % 5 {
            case 0: doc[p].insert(fresh, at: min(w, doc[p].count))
            case 1: if doc[p].count > 1 { doc[p].remove(at: w) }
            case 2: if !doc[p].isEmpty { doc[p][w] = fresh }
            case 3: doc.insert([fresh, fresh + 1], at: p)
            default: if doc.count > 1 { doc.remove(at: p) }
            }
        }
        return doc
    }

    /// The merge of three documents, rendered in one script.
    static func merge(_ base: [[Int]], _ ours: [[Int]], _ theirs: [[Int]], script: Int) -> MergeResult {
        TextMerge.merge(base: renderEdited(base, script: script), ours: renderEdited(ours, script: script), theirs: renderEdited(theirs, script: script))
    }

    static func renderEdited(_ doc: [[Int]], script: Int) -> String {
        // Words from edits (>= 100) are rendered distinctly so they never equal base words.
        doc.map { $0.map { $0 >= 100 ? "new\($0)" + vocabularies[script][$0 % 16] : vocabularies[script][$0 % 16] }.joined(separator: " ") }
            .joined(separator: "\n\n") + "\n"
    }

    @Test func mergingWithAnUnchangedSideTakesTheOther() async {
        await propertyCheck(count: 300, input: Self.document, Self.edits, Self.script) { doc, ops, script in
            let base = Self.renderEdited(doc, script: script)
            let x = Self.renderEdited(Self.edit(doc, ops, tag: 1), script: script)
            let left = TextMerge.merge(base: base, ours: x, theirs: base)
            #expect(left.isClean && left.text() == x)
            let right = TextMerge.merge(base: base, ours: base, theirs: x)
            #expect(right.isClean && right.text() == x)
            let same = TextMerge.merge(base: base, ours: x, theirs: x)
            #expect(same.isClean && same.text() == x)
        }
    }

    @Test func editsToDisjointParagraphsNeverConflictAndBothSurvive() async {
        await propertyCheck(count: 300, input: Self.document, Self.int(0...1000), Self.int(0...1000), Self.script) { doc, a, b, script in
            guard doc.count >= 2 else { return }
            let i = a % doc.count
            var j = b % doc.count
            if j == i { j = (i + 1) % doc.count }
            var ours = doc
            ours[i].insert(201, at: a % (ours[i].count + 1))
            var theirs = doc
            theirs[j][b % theirs[j].count] = 202
            let merged = Self.merge(doc, ours, theirs, script: script)
            var both = ours
            both[j] = theirs[j]
            #expect(merged.isClean)
            #expect(merged.text() == Self.renderEdited(both, script: script))
        }
    }

    @Test func aCleanMergeKeepsEveryLineBothSidesKeptAndWritesNoWordTwice() async {
        await propertyCheck(count: 400, input: Self.document, Self.edits, Self.edits, Self.script) { doc, opsA, opsB, script in
            let base = Self.renderEdited(doc, script: script)
            let ours = Self.renderEdited(Self.edit(doc, opsA, tag: 1), script: script)
            let theirs = Self.renderEdited(Self.edit(doc, opsB, tag: 2), script: script)
            let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
            // Nothing either side wrote is lost: every new word that the other side did not also
            // remove is in the merged text or in a conflict region.
            // (Either way of taking the conflicts, since a conflict of words may cut between a
            // word and the mark after it.)
            let everything = merged.text(conflictsTake: .ours) + "\n" + merged.text(conflictsTake: .theirs)
            let newWords = (ours + " " + theirs).split(whereSeparator: { $0 == " " || $0 == "\n" }).filter { $0.hasPrefix("new") }
            for word in Set(newWords) {
                #expect(everything.contains(word), "\(word) was lost")
            }
            guard merged.isClean else { return }
            let doubled = MergeQuality.duplicatedWords(merged: merged.text(), base: base, ours: ours, theirs: theirs)
            #expect(doubled.isEmpty, "the merge wrote \(doubled) more often than either side has it")
            let keptByOurs = Self.keptLines(base, ours)
            let keptByTheirs = Self.keptLines(base, theirs)
            let result = Self.lines(merged.text())
            for (index, line) in Self.lines(base).enumerated() where keptByOurs.contains(index) && keptByTheirs.contains(index) {
                #expect(result.contains(line), "line \(index) (\(line.debugDescription)) was kept by both sides but is missing")
            }
        }
    }

    /// Two people changing different words of one paragraph (a sentence, for git one line that
    /// both changed), with a word between them, both get their word: the word pass merges what
    /// the line pass cannot.
    @Test func disjointWordEditsInOneParagraphMergeCleanlyAndKeepBoth() async {
        await propertyCheck(count: 300, input: Self.document, Self.int(0...1000), Self.int(0...1000), Self.script) { doc, a, b, script in
            guard let p = doc.indices.first(where: { doc[$0].count >= 5 }) else { return }
            let n = doc[p].count
            let i = a % (n - 3)
            let j = i + 2 + b % (n - i - 2)
            // Apart means a word (or a symbol) between them that neither changed: punctuation
            // alone binds ("wait...what", "10 000", a link's text and address).
            guard ((i + 1)..<j).contains(where: { ThreeWayMerge.holdsContent(ArraySlice(Array(Self.vocabularies[script][doc[p][$0] % 16].utf8))) }) else { return }
            var ours = doc
            ours[p][i] = 201
            var theirs = doc
            theirs[p][j] = 202
            var both = ours
            both[p][j] = 202
            let merged = Self.merge(doc, ours, theirs, script: script)
            #expect(merged.isClean, "words \(i) and \(j) of \(n) in paragraph \(p)")
            #expect(merged.text() == Self.renderEdited(both, script: script))
        }
    }

    /// Two people changing the same word differently conflict, and the conflict holds both words.
    @Test func overlappingWordEditsConflictAndKeepBothSides() async {
        await propertyCheck(count: 300, input: Self.document, Self.int(0...1000), Self.script) { doc, a, script in
            let p = a % doc.count
            let i = (a / 7) % doc[p].count
            var ours = doc
            ours[p][i] = 201
            var theirs = doc
            theirs[p][i] = 202
            let merged = Self.merge(doc, ours, theirs, script: script)
            #expect(!merged.isClean)
            let sides = merged.regions.compactMap { region -> (String, String)? in
                if case .conflict(_, let o, let t) = region { return (o, t) } else { return nil }
            }
            #expect(sides.contains { $0.0.contains("new201") && $0.1.contains("new202") }, "\(merged.regions)")
        }
    }

    /// Which side is "ours" changes only which side of each conflict is which.
    @Test func swappingTheSidesSwapsConflictSidesOnly() async {
        await propertyCheck(count: 300, input: Self.document, Self.edits, Self.edits, Self.script) { doc, opsA, opsB, script in
            let (ours, theirs) = (Self.edit(doc, opsA, tag: 1), Self.edit(doc, opsB, tag: 2))
            let forward = Self.merge(doc, ours, theirs, script: script)
            let backward = Self.merge(doc, theirs, ours, script: script)
            let swapped = backward.regions.map { region -> MergeResult.Region in
                if case .conflict(let b, let o, let t) = region { return .conflict(base: b, ours: t, theirs: o) } else { return region }
            }
            #expect(forward.regions == swapped)
            #expect(forward.conflictCount == backward.conflictCount)
        }
    }

    @Test func wordBoundariesAreUnicodeNotBytes() {
        // Two edits next to a combining mark and an emoji: the merge never splits a character.
        let base = "Cafe\u{301} 👩‍👩‍👧 Мінск гандаль.\n"
        let ours = "Cafe\u{301} 👩‍👩‍👧 Мінск вялікі гандаль.\n"
        let theirs = "Cafe\u{301}s 👩‍👩‍👧 Мінск гандаль.\n"
        let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(merged.isClean)
        #expect(merged.text() == "Cafe\u{301}s 👩‍👩‍👧 Мінск вялікі гандаль.\n")
        let ends = TokenTable.wordEnds(Array(base.utf8))
        let scalarsBoundaries = Set(base.indices.map { base.utf8.distance(from: base.utf8.startIndex, to: $0) } + [base.utf8.count])
        #expect(ends.allSatisfy(scalarsBoundaries.contains), "a word boundary fell inside a character")
    }

    static func int(_ range: ClosedRange<Int>) -> Generator<Int, Shrink.Integer<Int>> { Gen.int(in: range) }

    static func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    /// Indices of base lines that a side left untouched.
    static func keptLines(_ base: String, _ side: String) -> Set<Int> {
        var table = TokenTable(expectedTokens: 64)
        let b = table.add(bytes: Array(base.utf8), tokenEnds: TokenTable.lineEnds(Array(base.utf8)))
        let s = table.add(bytes: Array(side.utf8), tokenEnds: TokenTable.lineEnds(Array(side.utf8)))
        let hunks = LineDiff.diff(table.texts[b].classes[...], table.texts[s].classes[...], classCount: table.classCount)
        var kept = Set(0..<table.texts[b].count)
        for h in hunks { kept.subtract(h.start1..<(h.start1 + h.count1)) }
        return kept
    }
}
