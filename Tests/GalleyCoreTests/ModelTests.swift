import Foundation
import GalleyTestSupport
import Testing

@testable import GalleyCore

@Suite struct RevisionIDTests {
    static let article = ArticleID("0193a5f2-7c4e-7a10-9b3d-5e6f70812345")!
    static let content = ArticleContent(
        title: "Minsk hopes to boost cooperation with Beijing", lead: "Minsk aspires to replace the Kremlin.",
        body: "Last week, President Lukashenka held a meeting.\n\nМінск і Пекін.\n", category: "politics",
        tags: ["china", "belarus"], slug: "minsk-hopes", image: "/media/ab.jpg", imageCredit: "Catholic.by")

    @Test func isStableAcrossRunsAndMachines() {
        // Fixed by the documented canonical encoding (checked against an independent Python
        // implementation of it); if this changes, every stored approval breaks.
        let id = RevisionID(article: Self.article, parents: [], content: Self.content)
        #expect(id.hex == "bb6a0c8aaf8780a252f1cda3acbb70d9c16bbe0e657878136174c5f9bf1d5c0f")
        let child = RevisionID(article: Self.article, parents: [id], content: Self.content)
        #expect(child.hex == "7b0f3e1fafa8c9b287e47e0aee53971cdbf70ea60f5e3fe1baa44e4ad9327e91")
    }

    @Test func encodingIsTheDocumentedOne() {
        let bytes = RevisionID.canonicalEncoding(article: Self.article, parents: [], content: ArticleContent(title: "T", tags: ["b", "a"]))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text == """
            galley-revision/1
            article 0193a5f2-7c4e-7a10-9b3d-5e6f70812345
            title 1
            T
            lead 0

            body 0

            category 0

            tag 1
            a
            tag 1
            b
            slug 0

            image 0

            imageCredit 0


            """)
    }

    @Test func differsWhenAnyFieldOrParentDiffers() {
        let base = RevisionID(article: Self.article, parents: [], content: Self.content)
        var variants: [ArticleContent] = []
        for field in ContentField.allCases where field != .deletion {
            var c = Self.content
            if field == .tags { c.tags.insert("economy") } else { c[text: field] += "x" }
            variants.append(c)
        }
        var seen: Set<RevisionID> = [base]
        for c in variants {
            let id = RevisionID(article: Self.article, parents: [], content: c)
            #expect(!seen.contains(id), "a changed field must change the id")
            seen.insert(id)
        }
        #expect(RevisionID(article: Self.article, parents: [base], content: Self.content) != base)
        let other = ArticleID("0193a5f2-7c4e-7a10-9b3d-5e6f70812346")!
        #expect(RevisionID(article: other, parents: [], content: Self.content) != base)
        // Moving text between fields must not give the same bytes.
        let a = RevisionID(article: Self.article, parents: [], content: ArticleContent(title: "ab", lead: ""))
        let b = RevisionID(article: Self.article, parents: [], content: ArticleContent(title: "a", lead: "b"))
        #expect(a != b)
    }

    @Test func normalizationMakesEqualTextHashEqually() {
        let composed = ArticleContent(title: "Caf\u{E9}", body: "line\r\nnext").normalized()
        let decomposed = ArticleContent(title: "Cafe\u{301}", body: "line\nnext").normalized()
        #expect(RevisionID(article: Self.article, parents: [], content: composed) == RevisionID(article: Self.article, parents: [], content: decomposed))
    }
}

@Suite struct ArticleIDTests {
    @Test func isAVersion7UUIDThatSortsByTime() {
        var rng = SplitMix64(seed: 7)
        let early = ArticleID.generate(at: Date(timeIntervalSince1970: 1_700_000_000), using: &rng)
        let late = ArticleID.generate(at: Date(timeIntervalSince1970: 1_700_000_001), using: &rng)
        #expect(early < late)
        #expect(early.description.count == 36)
        #expect(Array(early.description)[14] == "7", "version nibble")
        #expect(abs(early.timestamp.timeIntervalSince1970 - 1_700_000_000) < 0.001)
        #expect(early.short.count == 8)
        #expect(early.short == String(early.description.suffix(8)))
        #expect(ArticleID(early.description.uppercased()) == early)
        #expect(ArticleID(early.description.replacingOccurrences(of: "-", with: "")) == early)
        #expect(ArticleID("not-an-id") == nil)
    }

    @Test func shortFormsOfArticlesMadeInTheSameMinuteDiffer() {
        var rng = SplitMix64(seed: 1)
        let t = Date(timeIntervalSince1970: 1_700_000_000)
        let shorts = Set((0..<200).map { _ in ArticleID.generate(at: t, using: &rng).short })
        #expect(shorts.count == 200)
    }
}

@Suite struct ValidationTests {
    static let valid = ArticleContent(title: "A title", body: "Body", category: "politics", tags: ["belarus"], slug: "a-title")
    static let validator = ArticleValidator(categories: ["politics", "economy"])

    func code(_ content: ArticleContent, slugTaken: (String) -> Bool = { _ in false }) -> GalleyError.Code? {
        do {
            try Self.validator.validate(content, slugTaken: slugTaken)
            return nil
        } catch {
            #expect(!error.message.isEmpty)
            return error.code
        }
    }

    @Test func acceptsAValidArticle() {
        #expect(code(Self.valid) == nil)
        var cyrillic = Self.valid
        cyrillic.title = "Мінск і Пекін"
        cyrillic.slug = Slug.make(from: cyrillic.title)
        #expect(cyrillic.slug == "мінск-і-пекін")
        #expect(code(cyrillic) == nil)
    }

    @Test func rejectsEachBadInputWithItsOwnCode() {
        var c = Self.valid
        c.title = "   "
        #expect(code(c) == .titleEmpty)
        c.title = String(repeating: "x", count: 301)
        #expect(code(c) == .titleTooLong)
        c.title = String(repeating: "ж", count: 300)
        #expect(code(c) == nil, "300 characters are allowed, whatever their script")

        c = Self.valid
        c.body = String(repeating: "a", count: (1 << 20) + 1)
        #expect(code(c) == .bodyTooLarge)

        for bad in ["", "  ", "a,b"] {
            c = Self.valid
            c.tags = [bad]
            #expect(code(c) == .tagInvalid, "tag \(bad.debugDescription)")
        }
        for bad in ["tab\there", "bell\u{7}", "nul\u{0}", "\u{202E}reversed", "mark\u{200F}"] {
            c = Self.valid
            c.tags = [bad]
            #expect(code(c) == .textInvalid, "tag \(bad.debugDescription)")
        }

        c = Self.valid
        c.category = "sports"
        #expect(code(c) == .unknownCategory)

        c = Self.valid
        #expect(code(c, slugTaken: { $0 == "a-title" }) == .slugTaken)
        c.slug = "Not A Slug"
        #expect(code(c) == .slugInvalid)
    }

    @Test func slugsAreMadeFromTitlesInAnyScript() {
        #expect(Slug.make(from: "Minsk hopes to boost cooperation with Beijing!") == "minsk-hopes-to-boost-cooperation-with-beijing")
        #expect(Slug.make(from: "  Belarus' GDP: +2%  ") == "belarus-gdp-2")
        #expect(Slug.make(from: "???") == "article")
        #expect(Slug.unique("a", isTaken: { ["a", "a-2"].contains($0) }) == "a-3")
        // The thousandth article of one title finds its number in a few looks, each a query.
        var looks = 0
        let taken = Set(["a"] + (2...1000).map { "a-\($0)" })
        #expect(Slug.unique("a", isTaken: { looks += 1; return taken.contains($0) }) == "a-1001")
        #expect(looks <= 25, "\(looks) looks")
        // With gaps anywhere, what it finds is free.
        var rng = SplitMix64(seed: 5)
        for _ in 0..<200 {
            let some = Set(["a"] + (2...300).filter { _ in rng.next() % 4 != 0 }.map { "a-\($0)" })
            #expect(!some.contains(Slug.unique("a", isTaken: some.contains)))
        }
        #expect(Slug.isValid("мінск-і-пекін"))
        #expect(!Slug.isValid("-a"))
        #expect(!Slug.isValid("a--b"))
    }
}


@Suite struct NormalizationTests {
    /// The quick check never calls text NFC that Foundation would change.
    @Test func theQuickCheckAgreesWithFoundation() {
        let samples = [
            "plain ascii", "Café crème", "Cafe\u{301}", "Мінск і Пекін — “quotes” … ’", "Å vs \u{212B}", "한국어", "\u{1100}\u{1161}",
            "Ω \u{2126}", "\u{0958}", "emoji 🙂👩‍👩‍👧", "tab\there", "line\r\nend", "ǅ ŉ ﬁ", "\u{0F43}", "x\u{20DD}",
        ]
        for sample in samples where ArticleContent.isNFCWithoutCR(sample) {
            #expect(sample.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(sample.unicodeScalars), "\(sample.debugDescription)")
        }
        #expect(ArticleContent.isNFCWithoutCR("Мінск і Пекін — “quotes” … ’"), "ordinary prose takes the fast path")
        #expect(!ArticleContent.isNFCWithoutCR("Cafe\u{301}"))
        #expect(!ArticleContent.isNFCWithoutCR("a\r\nb"))
    }

    @Test func theQuickCheckAgreesWithFoundationOnEveryCyrillicAndPunctuationCharacter() {
        // The ranges the quick check passes without a look-up, each character alone, after a
        // letter and before a combining mark: whatever it passes, NFC leaves as it is.
        let ranges: [ClosedRange<UInt32>] = [0x0300...0x052F, 0x2000...0x206F]
        for v in ranges.joined() {
            guard let scalar = Unicode.Scalar(v) else { continue }
            for sample in [String(scalar), "и\(scalar)", "\(scalar)\u{301}", "a\(scalar)b"] where ArticleContent.isNFCWithoutCR(sample) {
                #expect(sample.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(sample.unicodeScalars), "U+\(String(v, radix: 16))")
            }
        }
    }
}
