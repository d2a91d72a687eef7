import Foundation
import GalleyTestSupport
import PropertyBased
import Testing

@testable import GalleyCore

/// The prose pass of the merge: what it must never do (split or glue a word, write text twice),
/// and what it must do where a line merge gives up (pair whole paragraphs, narrow a conflict to
/// the words that collide, say which paragraphs it merged).
@Suite struct ProseMergeTests {
    static func tokens(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var start = 0
        return TokenTable.wordEnds(bytes).map { end in
            defer { start = end }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
    }

    static func conflicts(_ merged: MergeResult) -> [[String]] {
        merged.regions.compactMap { region -> [String]? in
            guard case .conflict(let b, let o, let t) = region else { return nil }
            return [b, o, t].map { String($0.reversed().drop { $0 == " " }.reversed()) }
        }
    }

    @Test func wordsAreWholeAsAReaderReadsThem() {
        let words = Self.tokens(
            "We don't know; з'ява, сям'я and well-known rates of 5.2% on 1,000 at 10:30 — cafe\u{301}. On 2024-03-01, pages 10-20, 3/4, T-34, 2010–2020, +375-17-123-45-67.")
        for word in ["don't", "з'ява", "сям'я", "well-known", "5.2", "1,000", "10:30", "cafe\u{301}", "2024-03-01", "10-20", "3/4", "T-34", "2010–2020", "375-17-123-45-67"] {
            #expect(words.contains(word), "\(word) was cut: \(words)")
        }
        // Punctuation that is not inside a word stays its own token.
        #expect(words.contains(";") && words.contains("—") && words.contains("%") && words.last == ".")
        #expect(Self.tokens("a - b") == ["a", " ", "-", " ", "b"], "a dash between spaced words is not a hyphen")

    }

    /// Words are read scalar by scalar where that gives what reading by `Character` gives, which
    /// is many times slower: checked on generated text of every kind of character the fast
    /// reading takes, and some it leaves to the slow one.
    @Test func readingByScalarsGivesWhatReadingByCharactersGives() {
        let pieces = ["a", "Z", "7", "_", " ", "  ", "\t", "\n", "\r\n", "\r", "'", "’", "-", "—", ".", ",", ":", "/", "@", "#", "*", "`",
                      "Мінск", "ў", "з'ява", "e\u{301}", "\u{301}", "n\u{303}\u{304}", "Ω", "ﬁ", "½", "٣", "中文", "😀", "🙂\u{FE0F}",
                      "\u{A0}", "\u{2028}", "\u{AD}", "\u{200B}", "https://example.org/a_b", "www.x.by", "mailto:a@b.c",
                      "👩\u{200D}👩", "🇧🇾", "한국", "\u{1100}\u{1161}", "ำ", "\u{600}1"]
        var rng = SplitMix64(seed: ProcessInfo.processInfo.environment["GALLEY_MERGE_FUZZ_SEED"].flatMap(UInt64.init) ?? 20_261_202)
        var read = 0
        for round in 0..<3000 {
            let text = (0..<Int.random(in: 1...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let bytes = Array(text.utf8)
            guard let fast = TokenTable.simpleWordEnds(bytes) else { continue }
            read += 1
            #expect(fast == TokenTable.characterWordEnds(bytes), "round \(round): \(text.debugDescription)")
            let characters: [Character] = Array(text)
            let reference: [String] = characters.split(whereSeparator: { (c: Character) in !(c.isLetter || c.isNumber) }).map { String($0) }
            #expect(MergeQuality.words(text).map(String.init) == reference, "round \(round): \(text.debugDescription)")
        }
        #expect(read > 1000, "the fast reading took only \(read) of 3000 texts")
        #expect(TokenTable.simpleWordEnds([0x61, 0xC0, 0x80, 0x62]) == nil, "an overlong sequence is not UTF-8")
    }

    @Test func aWebAddressIsOneToken() {
        let words = Self.tokens("See [the report](https://example.org/a_b-c/d.html?x=1&y=2). Or www.example.by/path, or mailto:desk@example.org.")
        #expect(words.contains("https://example.org/a_b-c/d.html?x=1&y=2"), "\(words)")
        #expect(words.contains("www.example.by/path") && words.contains("mailto:desk@example.org"), "\(words)")
        #expect(words.contains(")") && words.contains("]"), "Markdown's brackets stay outside the address")
    }

    /// node-diff3's issue 9, in the words of a Belarusian paragraph: one side declines a word,
    /// the other changes its prefix; a merge by pieces of the word would write "аб'явы", a word
    /// neither of them wrote. It must conflict instead, with both words whole.
    @Test func aMergeNeverWritesAWordNobodyWrote() {
        for (base, ours, theirs) in [
            ("Гэта з'ява ў Мінску.\n", "Гэта з'явы ў Мінску.\n", "Гэта аб'ява ў Мінску.\n"),
            ("It is a well-known fact.\n", "It is a well-liked fact.\n", "It is a little-known fact.\n"),
            ("See https://example.org/old/page today.\n", "See https://example.org/new/page today.\n", "See https://example.by/old/page today.\n"),
            ("Published 2024-03-01 here.\n", "Published 2024-03-02 here.\n", "Published 2024-04-01 here.\n"),
            ("Pages 10-20 here.\n", "Pages 10-25 here.\n", "Pages 12-20 here.\n"),
            ("Ratio 3/4 here.\n", "Ratio 3/5 here.\n", "Ratio 2/4 here.\n"),
            ("Edit config.yaml now.\n", "Edit settings.yaml now.\n", "Edit config.toml now.\n"),
            ("Mail bob@x.org now.\n", "Mail amy@x.org now.\n", "Mail bob@y.org now.\n"),
        ] {
            let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
            #expect(!merged.isClean, "\(merged.markedText)")
            let conflicts = Self.conflicts(merged)
            #expect(conflicts.count == 1)
            let pick = { (text: String) in text.split(separator: " ").first { $0.contains("'") || $0.contains("-") || $0.contains("/") || $0.contains(".") || $0.contains("@") } }
            #expect(conflicts.first == [pick(base), pick(ours), pick(theirs)].map { $0.map(String.init) ?? "" },
                "the conflict is the whole word on every side, base included: \(conflicts)")
        }
    }

    /// Edits to two neighbouring words touch, as edits to neighbouring lines do in git: merged,
    /// "six percent" and "five points" would make "six points", a claim neither side made.
    @Test func editsToNeighbouringWordsConflict() {
        for (base, ours, theirs) in [
            ("Prices rose by five percent in May.\n", "Prices rose by six percent in May.\n", "Prices rose by five points in May.\n"),
            ("Prices did not rise.\n", "Prices never rise.\n", "Prices did not fall.\n"),
            ("Экспарт вырас на пяць працэнтаў.\n", "Экспарт вырас на шэсць працэнтаў.\n", "Экспарт вырас на пяць пунктаў.\n"),
        ] {
            let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
            #expect(!merged.isClean, "\(merged.markedText)")
        }
        // One unchanged word between them: two separate edits.
        let apart = TextMerge.merge(
            base: "Prices rose by five percent in May.\n", ours: "Prices rose by six percent in May.\n", theirs: "Prices rose by five percent in June.\n")
        #expect(apart.isClean && apart.text() == "Prices rose by six percent in June.\n")
    }

    /// Code is not prose: a word merge inside a fenced, indented or AsciiDoc block would write a
    /// command nobody wrote, so there the merge is git's, line by line.
    @Test func codeIsMergedByLinesOnly() {
        for (open, close) in [("```sh\n", "```\n"), ("~~~\n", "~~~\n"), ("[source,shell]\n----\n", "----\n"), ("", "")] {
            let indent = open.isEmpty ? "    " : ""
            let base = "Run this:\n\n\(open)\(indent)galley sync --workspace /tmp/a\n\(close)\nDone.\n"
            let ours = "Run this:\n\n\(open)\(indent)galley sync --workspace /tmp/b\n\(close)\nDone.\n"
            let theirs = "Run this:\n\n\(open)\(indent)galley sync --quiet --workspace /tmp/a\n\(close)\nDone.\n"
            let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
            #expect(!merged.isClean, "\(open.debugDescription): \(merged.markedText)")
            #expect(merged.markedText == TextMerge.merge(base: base, ours: ours, theirs: theirs, options: .init(wordLevel: false)).markedText)
        }
        #expect(ThreeWayMerge.codeLines(Self.lines("Title\n-----\nText.\n")) == [false, false, false], "a setext underline is no listing block")
    }

    static func lines(_ text: String) -> TokenTable.Text {
        var table = TokenTable(expectedTokens: 16)
        let index = table.add(bytes: Array(text.utf8), tokenEnds: TokenTable.lineEnds(Array(text.utf8)))
        return table.texts[index]
    }

    /// openstreetmap/iD's issue 3058: a merge that wrote a stretch twice and reported nothing.
    /// Here two people add the same word in two places of one sentence; a word merge would keep
    /// both. It conflicts, and the merge writes no word more often than either side has it.
    @Test func theSameWordsAddedInTwoPlacesConflictInsteadOfDoubling() {
        let base = "Minsk met Beijing on Monday.\n"
        let ours = "Minsk met Beijing again on Monday.\n"
        let theirs = "Minsk again met Beijing on Monday.\n"
        let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(!merged.isClean, "\(merged.markedText)")
        #expect(merged.text().split(separator: " ").count { $0 == "again" } == 1, "\(merged.text())")
        #expect(merged.regions.contains { if case .conflict = $0 { true } else { false } })
    }

    /// A phrase one side added, inside a longer addition of the other elsewhere in the paragraph:
    /// merged, the phrase would stand twice and no conflict would say so.
    @Test func aPhraseBothSidesAddedInTwoPlacesConflicts() {
        let merged = TextMerge.merge(
            base: "Trade grew in May and fell in June.\n",
            ours: "Trade grew in May, a new record, and fell in June.\n",
            theirs: "Trade grew in May and fell in June, after a new record.\n")
        #expect(!merged.isClean, "\(merged.markedText)")
        for side in [MergeResult.Side.ours, .theirs] {
            #expect(merged.text(conflictsTake: side).ranges(of: "record").count == 1, "\(merged.text(conflictsTake: side))")
        }
    }

    /// The last paragraph edited on one side, a paragraph added after it on the other: the
    /// paragraph before a new last one gains a blank line, which is no edit of its words.
    @Test func aParagraphAddedAtTheEndBesideAnEditMerges() {
        for end in ["\n", ""] {
            let base = "Minsk met Beijing.\n\nTrade grew in May.\(end)"
            let ours = "Minsk met Beijing.\n\nTrade grew sharply in May.\(end)"
            let theirs = "Minsk met Beijing.\n\nTrade grew in May.\n\nA new paragraph on potash.\(end)"
            #expect(!TextMerge.merge(base: base, ours: ours, theirs: theirs, options: .init(wordLevel: false)).isClean, "git's merge conflicts here")
            let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
            #expect(merged.isClean, "\(merged.markedText)")
            #expect(merged.text() == "Minsk met Beijing.\n\nTrade grew sharply in May.\n\nA new paragraph on potash.\(end)")
            let swapped = TextMerge.merge(base: base, ours: theirs, theirs: ours)
            #expect(swapped.text() == merged.text(), "either way round")
        }
    }

    /// One side splits a paragraph in two or joins two into one; the other edits a word: both.
    @Test func aSplitOrJoinedParagraphKeepsTheOtherSidesEdit() {
        let split = TextMerge.merge(
            base: "Minsk met Beijing on Monday. Trade grew in May.\n\nThe end.\n",
            ours: "Minsk met Beijing on Monday.\n\nTrade grew in May.\n\nThe end.\n",
            theirs: "Minsk met Beijing on Tuesday. Trade grew in May.\n\nThe end.\n")
        #expect(split.isClean, "\(split.markedText)")
        #expect(split.text() == "Minsk met Beijing on Tuesday.\n\nTrade grew in May.\n\nThe end.\n")
        let joined = TextMerge.merge(
            base: "Minsk met Beijing on Monday.\n\nTrade grew in May.\n\nThe end.\n",
            ours: "Minsk met Beijing on Monday. Trade grew in May.\n\nThe end.\n",
            theirs: "Minsk met Beijing on Monday.\n\nTrade grew sharply in May.\n\nThe end.\n")
        #expect(joined.isClean, "\(joined.markedText)")
        #expect(joined.text() == "Minsk met Beijing on Monday. Trade grew sharply in May.\n\nThe end.\n")
    }

    /// One side splits a paragraph and joins the next two, so that the paragraphs come out as
    /// many as before but no longer the same ones; the other side edits a word. Paired by place,
    /// a word would be lost from one side and written twice on the other: merged as one piece,
    /// every word keeps its place.
    @Test func paragraphsAreNotPairedByPlaceAlone() {
        let base = "Alpha beta gamma delta. Epsilon zeta eta.\n\nTheta iota kappa.\n\nLambda mu nu.\n"
        let ours = "Alpha beta gamma delta.\n\nEpsilon zeta eta. Theta iota kappa.\n\nLambda mu nu.\n"
        let theirs = "Alpha beta gamma delta. Epsilon zeta eta.\n\nTheta iota kappa.\n\nLambda mu xi.\n"
        let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(merged.isClean, "\(merged.markedText)")
        #expect(merged.text() == "Alpha beta gamma delta.\n\nEpsilon zeta eta. Theta iota kappa.\n\nLambda mu xi.\n")
    }

    /// A paragraph one side rewrote and the other edited is a conflict of the whole paragraph, each
    /// side as its author wrote it: words the rewrite kept by chance anchor nothing.
    @Test func aRewrittenParagraphIsOneConflictNotAMixture() {
        let base = "Intro.\n\nThe minister said that exports to China grew by five percent in May.\n"
        let ours = "Intro.\n\nAccording to the ministry, sales to China were up in the spring.\n"
        let theirs = "Intro.\n\nThe minister said that exports to China grew by six percent in May.\n"
        let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(merged.conflictCount == 1)
        #expect(merged.text(conflictsTake: .ours) == ours)
        #expect(merged.text(conflictsTake: .theirs) == theirs)
        #expect(merged.regions.contains(.conflict(
            base: "The minister said that exports to China grew by five percent in May.\n",
            ours: "According to the ministry, sales to China were up in the spring.\n",
            theirs: "The minister said that exports to China grew by six percent in May.\n")), "\(merged.regions)")
    }

    /// What an attack on the prose merge found, case by case (its fuzzer is gone; these stay).
    @Test func whatAnAttackFound() throws {
        // A line of spaces both sides replaced sent the widening of a span round for ever.
        let spaces = TextMerge.merge(base: " \n\n", ours: "\nz\n", theirs: "\ny\n")
        #expect(spaces.conflictCount == 1)
        // Punctuation and no-break spaces bind words: one number, one link, one ellipsis.
        for (base, ours, theirs) in [
            ("Price is 10\u{A0}000 rubles today.\n", "Price is 10\u{A0}500 rubles today.\n", "Price is 20\u{A0}000 rubles today.\n"),
            ("See [Belarus](https://example.org/by) now.\n", "See [Belarusian](https://example.org/by) now.\n", "See [Belarus](https://example.org/be) now.\n"),
            ("He said wait...what then.\n", "He said waits...what then.\n", "He said wait...who then.\n"),
        ] {
            let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
            #expect(!merged.isClean, "\(merged.markedText)")
            #expect(merged.text(conflictsTake: .ours) == ours && merged.text(conflictsTake: .theirs) == theirs, "\(merged.regions)")
        }
        // A paragraph rewrapped on one side and a word at the line's edge edited on the other.
        let rewrapped = TextMerge.merge(base: "Intro.\n\na b c d e f\n", ours: "Intro.\n\na b c X e f\n", theirs: "Intro.\n\na b c\nd e f\n")
        #expect(rewrapped.isClean && rewrapped.text() == "Intro.\n\na b c\nX e f\n", "\(rewrapped.markedText)")
        // A paragraph one side deleted and the other edited: taking the deleting side gives the
        // deleting side's text, not an extra blank line where the paragraph was.
        let deleted = TextMerge.merge(base: "p1\n\np2 x\n\np3\n", ours: "p1\n\np3\n", theirs: "p1\n\np2 y\n\np3\n")
        #expect(deleted.conflictCount == 1)
        #expect(deleted.text(conflictsTake: .ours) == "p1\n\np3\n" && deleted.text(conflictsTake: .theirs) == "p1\n\np2 y\n\np3\n", "\(deleted.regions)")
        // One side edits a paragraph and removes the next, the other edits the one removed: the
        // edit merges, and the conflict is the removed paragraph alone.
        let removed = TextMerge.merge(
            base: "p0\n\np1 a b\n\np2 x\n\np3\n", ours: "p0\n\np1 a c\n\np3\n", theirs: "p0\n\np1 a b\n\np2 y\n\np3\n")
        #expect(removed.conflictCount == 1)
        #expect(removed.text(conflictsTake: .ours) == "p0\n\np1 a c\n\np3\n", "\(removed.regions)")
        #expect(removed.text(conflictsTake: .theirs) == "p0\n\np1 a c\n\np2 y\n\np3\n", "\(removed.regions)")
        // The last paragraph deleted on one side, the blank lines before it changed on the other.
        let end = TextMerge.merge(base: "a b\n\nc d\n", ours: "a b\n\n\nc d\n", theirs: "a b\n")
        #expect(end.isClean && end.text() == "a b\n", "\(end.text().debugDescription)")
        // One side moved a paragraph, the other edited it where it was. To a merge of lines (git's
        // too) a move is a removal and an addition: the editing side shows its edit where the
        // paragraph was and the moved original where it went. Nothing is lost; the person who
        // settles sees both.
        let moved = TextMerge.merge(
            base: "The first paragraph.\n\nThe second paragraph.\n\nThe third one.\n",
            ours: "The second paragraph.\n\nThe first paragraph.\n\nThe third one, edited.\n",
            theirs: "The first paragraph, edited.\n\nThe second paragraph.\n\nThe third one.\n")
        #expect(!moved.isClean)
        let marked = moved.markedText
        let (mine, other) = (ProseMergeFuzzTests.side(of: marked, .ours), ProseMergeFuzzTests.side(of: marked, .theirs))
        #expect(mine.components(separatedBy: "The first paragraph").count == 2 && mine.contains("The third one, edited."), "\(mine.debugDescription)")
        #expect(other.contains("The first paragraph, edited.") && other.contains("The first paragraph.\n"), "\(other.debugDescription)")
        // Where a side would show a line its authors wrote once twice, the two texts are shown
        // against each other instead.
        let twice = TextMerge.merge(
            base: "Alpha beta gamma.\n\nDelta epsilon zeta.\n\nEta theta iota.\n",
            ours: "Delta epsilon zeta.\n\nAlpha beta gamma.\n\nEta theta iota, kappa.\n",
            theirs: "Alpha beta gamma.\n\nDelta epsilon zeta, lambda.\n\nEta theta iota.\n")
        for side in [MergeResult.Side.ours, .theirs] {
            let text = ProseMergeFuzzTests.side(of: twice.markedText, side)
            #expect(text.components(separatedBy: "Alpha beta gamma.").count <= 2, "\(side): \(text.debugDescription)")
        }
    }

    /// A new paragraph beside a paragraph the other side edited: for git the lines touch and
    /// conflict; as paragraphs they are two separate edits.
    @Test func aNewParagraphBesideAnEditedOneIsNoConflict() {
        let base = "Minsk met Beijing.\n\nTrade grew in May\nand again in June.\n\nThe end.\n"
        let ours = "Minsk met Beijing.\n\nA new paragraph on potash.\n\nTrade grew in May\nand again in June.\n\nThe end.\n"
        let theirs = "Minsk met Beijing.\n\nTrade grew sharply in May\nand again in June.\n\nThe end.\n"
        #expect(!TextMerge.merge(base: base, ours: ours, theirs: theirs, options: .init(wordLevel: false)).isClean, "git's merge conflicts here")
        let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(merged.isClean, "\(merged.markedText)")
        #expect(merged.text() == "Minsk met Beijing.\n\nA new paragraph on potash.\n\nTrade grew sharply in May\nand again in June.\n\nThe end.\n")
        #expect(merged.wordMergedParagraphs == [2], "the merged place is pointed out")
    }

    /// Where two people changed the same word, that word is the conflict: its base, ours and
    /// theirs are those words, and every edit of other sentences is merged on both sides of the
    /// markers.
    @Test func aConflictIsNarrowedToTheWordsThatCollide() {
        let base = "First paragraph.\n\nThe minister said exports grew in May.\nTrade with China rose.\n"
        let ours = "First paragraph.\n\nThe minister said exports grew in June.\nTrade with Beijing rose.\n"
        let theirs = "First paragraph.\n\nThe minister said exports grew in April.\nTrade with China rose sharply.\n"
        let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(merged.conflictCount == 1)
        #expect(merged.regions.contains(.conflict(base: "May", ours: "June", theirs: "April")), "\(merged.regions)")
        #expect(merged.markedText == """
            First paragraph.

            <<<<<<< ours
            The minister said exports grew in June.
            =======
            The minister said exports grew in April.
            >>>>>>> theirs
            Trade with Beijing rose sharply.

            """)
        #expect(merged.text(conflictsTake: .theirs) == "First paragraph.\n\nThe minister said exports grew in April.\nTrade with Beijing rose sharply.\n")
    }

    /// A sentence one side changed in two places is one statement: where one of them collides,
    /// the conflict holds the other too, so that neither side of it reads "fell by 7", a claim
    /// nobody made. Edits of other sentences still merge around it.
    @Test func aConflictTakesInTheOtherEditsOfItsSentence() {
        let merged = TextMerge.merge(
            base: "Prices rose by 5 percent in March. Wages stayed flat.\n",
            ours: "Prices rose by 7 percent in March. Wages stayed flat.\n",
            theirs: "Prices fell by 3 percent in March. Wages stayed level.\n")
        #expect(merged.conflictCount == 1)
        #expect(merged.text(conflictsTake: .ours) == "Prices rose by 7 percent in March. Wages stayed level.\n")
        #expect(merged.text(conflictsTake: .theirs) == "Prices fell by 3 percent in March. Wages stayed level.\n")
        #expect(merged.regions.contains(.conflict(base: "rose by 5", ours: "rose by 7", theirs: "fell by 3")), "\(merged.regions)")
    }

    @Test func theMergedParagraphsAreNumberedAsAReaderCountsThem() {
        let base = "# Title\n\nOne.\n\nTwo words here.\n\nThree words here.\n"
        let ours = "# Title\n\nOne.\n\nTwo new words here.\n\nThree words there.\n"
        let theirs = "# Title\n\nOne.\n\nTwo words here today.\n\nThree fine words here.\n"
        let merged = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        #expect(merged.isClean, "\(merged.markedText)")
        #expect(merged.text() == "# Title\n\nOne.\n\nTwo new words here today.\n\nThree fine words there.\n")
        #expect(merged.wordMergedParagraphs == [3, 4])
    }

    /// With one collision in a paragraph and edits of other sentences beside it, either side of
    /// the conflict holds every edit that did not collide: nothing merged is kept from the person
    /// who resolves.
    @Test func bothSidesOfANarrowedConflictHoldEveryEditThatMerged() async {
        await propertyCheck(count: 300, input: MergeLawTests.document, Gen.int(in: 0...1000), Gen.int(in: 0...2)) { doc, a, script in
            // Three sentences of distinct words (15 is the full stop): where one word repeats,
            // which copy a side changed is anyone's guess (git's line merge guesses alike), and so
            // is what "every other edit" means.
            var doc = doc
            let p = a % doc.count
            doc[p] = [0, 1, 15, 2, 3, 15, 4, 5, 6, 7]
            // (Each edit a word away from the next: punctuation alone would bind them.)
            let (i, j, k) = (a % 2, 4, 7 + (a / 2) % 3)
            var ours = doc
            ours[p][i] = 201
            ours[p][j] = 203
            var theirs = doc
            theirs[p][i] = 202
            theirs[p][k] = 204
            let merged = MergeLawTests.merge(doc, ours, theirs, script: script)
            #expect(merged.conflictCount == 1)
            var mine = ours
            mine[p][k] = 204
            var other = theirs
            other[p][j] = 203
            #expect(merged.text(conflictsTake: .ours) == MergeLawTests.renderEdited(mine, script: script))
            #expect(merged.text(conflictsTake: .theirs) == MergeLawTests.renderEdited(other, script: script))
        }
    }
}
