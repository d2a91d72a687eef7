import Foundation
import GalleyMarkdown
import GalleyTestSupport
import Testing

/// The GitHub Markdown analysts write, rendered as GitHub renders it, and the safety policy.
@Suite("GFM features and the safety policy")
struct GFMFeatureTests {
    /// The server renders pages on several threads at once. Debian's cmark-gfm keeps the
    /// characters that start an extension's inline syntax (`~`, `:` and `w` for autolinks,
    /// `|`) in one table for the whole process, and each parse adds them and takes them out
    /// again; two parses at once gave a page without its links or its struck-out text.
    @Test("Pages rendered on several threads at once are each what one thread renders")
    func renderingOnSeveralThreadsAtOnce() {
        let documents = (0..<8).map { n in
            "Слова \(n) ~~выкрэслена~~ і www.example.org/\(n), https://example.org/a_b&#1234; і mail\(n)@example.org.\n\n| a | b |\n|---|---|\n| ~~x~~ | https://x.org/\(n) |\n"
        }
        let expected = documents.map { Markdown.html($0) }
        #expect(expected.allSatisfy { $0.contains("<del>") && $0.contains("href=\"https://example.org/a_b") }, "\(expected[0])")
        let differing = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for round in 0..<1_500 {
                let k = (round + thread) % documents.count
                if Markdown.html(documents[k]) != expected[k] { differing.withLock { $0 += 1 } }
            }
        }
        #expect(differing.withLock { $0 } == 0, "renderings that differed from the same text rendered alone")
    }

    @Test("Tables, with alignment as CSS rather than the obsolete attribute")
    func tables() {
        let html = Markdown.html("| Region | Share |\n|:--|--:|\n| Minsk | 40% |\n| Гомель | *12%* |\n")
        #expect(html.contains("<table>"))
        #expect(html.contains("<th style=\"text-align: left\">Region</th>"))
        #expect(html.contains("<td style=\"text-align: right\"><em>12%</em></td>"))
        #expect(html.contains("<td style=\"text-align: left\">Гомель</td>"))
        #expect(!html.contains("align=\""))
    }

    @Test("Footnotes: the reference, the definition and the way back")
    func footnotes() {
        let html = Markdown.html("Exports fell.[^imf] Imports too.[^2]\n\n[^imf]: IMF, *World Economic Outlook*.\n[^2]: Belstat.\n")
        #expect(html.contains("<sup class=\"footnote-ref\"><a href=\"#fn-imf\" id=\"fnref-imf\" data-footnote-ref>1</a></sup>"))
        #expect(html.contains("<section class=\"footnotes\" data-footnotes>"))
        #expect(html.contains("IMF, <em>World Economic Outlook</em>."))
        #expect(html.contains("Belstat."))
        #expect(html.contains("href=\"#fnref-imf\""))
    }

    @Test("Strikethrough, task lists and fenced code with its language as a class")
    func strikeTasksAndCode() {
        let html = Markdown.html("~~old~~ new\n\n- [x] drafted\n- [ ] reviewed\n\n~~~swift\nlet x = 1 < 2\n~~~\n\n```\nplain\n```\n")
        #expect(html.contains("<del>old</del> new"))
        #expect(html.contains("<li><input type=\"checkbox\" checked=\"\" disabled=\"\" /> drafted</li>"))
        #expect(html.contains("<li><input type=\"checkbox\" disabled=\"\" /> reviewed</li>"))
        #expect(html.contains("<pre><code class=\"language-swift\">let x = 1 &lt; 2\n</code></pre>"))
        #expect(html.contains("<pre><code>plain\n</code></pre>"))
    }

    @Test("Autolinks: angle brackets, bare URLs, www. and e-mail, external ones with rel")
    func autolinks() {
        let html = Markdown.html("See <https://belstat.gov.by/a?b=1&c=2>, https://example.org/x, www.nashaniva.com and press@example.org.\n")
        #expect(html.contains("<a rel=\"nofollow noopener\" href=\"https://belstat.gov.by/a?b=1&amp;c=2\">https://belstat.gov.by/a?b=1&amp;c=2</a>"))
        #expect(html.contains("<a rel=\"nofollow noopener\" href=\"https://example.org/x\">https://example.org/x</a>"))
        #expect(html.contains("<a rel=\"nofollow noopener\" href=\"http://www.nashaniva.com\">www.nashaniva.com</a>"))
        #expect(html.contains("<a href=\"mailto:press@example.org\">press@example.org</a>"))
        #expect(Markdown.html("[the archive](/articles/минск)\n") == "<p><a href=\"/articles/%D0%BC%D0%B8%D0%BD%D1%81%D0%BA\">the archive</a></p>\n")
    }

    @Test("What used to be lost or garbled now renders as written")
    func formerlyBrokenCases() {
        #expect(Markdown.html("---\ntitle: x\n---\nBody\n").contains("Body"))
        #expect(Markdown.html("---\ntitle: x\n---\nBody\n").contains("title: x"))
        #expect(Markdown.html("> foo\nbar\n") == "<blockquote>\n<p>foo\nbar</p>\n</blockquote>\n")
        #expect(Markdown.html("[foo]: /url \"title\" ok\n") == "<p>[foo]: /url &quot;title&quot; ok</p>\n")
        #expect(Markdown.html("snake_case_words stay\n") == "<p>snake_case_words stay</p>\n")
        #expect(Markdown.html("[a](/uri \"t\")\n") == "<p><a href=\"/uri\" title=\"t\">a</a></p>\n")
        #expect(Markdown.html("Heading\n=======\n") == "<h1 id=\"heading\">Heading</h1>\n")
        #expect(Markdown.html("    code\n") == "<pre><code>code\n</code></pre>\n")
    }

    @Test("Raw HTML shows as the text it is; nothing can add an element, an attribute or a handler")
    func rawHTMLIsText() {
        let html = Markdown.html("<script>alert(1)</script>\n\nText <b onclick=\"x()\">bold</b> and <img src=x onerror=alert(1)>.\n\n<div>\n*kept*\n</div>\n")
        #expect(!html.contains("<script"))
        #expect(!html.contains("<b "))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<div"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("Text &lt;b onclick=&quot;x()&quot;&gt;bold&lt;/b&gt; and &lt;img src=x onerror=alert(1)&gt;."))
        #expect(html.contains("&lt;div&gt;<br />\n*kept*<br />\n&lt;/div&gt;"))
        #expect(HTMLTokens.wellFormednessProblems(html).isEmpty)
    }

    @Test("Only safe addresses: other schemes keep their text and lose the link; images only from http(s) or the archive")
    func addresses() {
        for hostile in ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " java\tscript:alert(1)", "vbscript:x", "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd", "ms-msdt:/id"] {
            // In pointy brackets a destination may hold spaces and tabs, which browsers drop.
            let html = Markdown.html("[click](<\(hostile)>) and <\(hostile.filter { $0 != " " && $0 != "\t" })>\n")
            #expect(!html.contains("<a"), "\(hostile): \(html)")
            #expect(html.contains("click"), "\(hostile): \(html)")
        }
        #expect(Markdown.html("![a chart](data:image/png;base64,AAAA)\n") == "<p>a chart</p>\n")
        #expect(Markdown.html("![a *chart*](javascript:x)\n") == "<p>a <em>chart</em></p>\n")
        #expect(Markdown.html("![map](/media/abc.png)\n") == "<p><img src=\"/media/abc.png\" alt=\"map\" /></p>\n")
        #expect(Markdown.html("![map](https://example.org/m.png \"Map\")\n") == "<p><img src=\"https://example.org/m.png\" alt=\"map\" title=\"Map\" /></p>\n")
        // An address with no host a browser could reach is a dead link: its text stays.
        #expect(Markdown.html("<https://../> [a](http://) [b](//) [c](https://a..b/)\n") == "<p>https://../ a b c</p>\n")
        #expect(Markdown.html("<https://user@example.org:8080/a> [v6](http://[::1]/x)\n").components(separatedBy: "<a rel").count == 2)
        #expect(Markdown.html("[in](/articles/x) [out](//example.org/)\n") == "<p><a href=\"/articles/x\">in</a> <a rel=\"nofollow noopener\" href=\"//example.org/\">out</a></p>\n")
    }

    @Test("Comments are notes among writers; sub, sup, kbd and br are kept as elements when whole")
    func commentsAndHarmlessTags() {
        #expect(Markdown.html("Emissions of CO<sub>2</sub> and E = mc<sup>2</sup>; press <kbd>Ctrl</kbd>.\n")
            == "<p>Emissions of CO<sub>2</sub> and E = mc<sup>2</sup>; press <kbd>Ctrl</kbd>.</p>\n")
        #expect(Markdown.html("one<br>two<BR />three\n") == "<p>one<br />\ntwo<br />\nthree</p>\n")
        #expect(Markdown.html("Text <!-- editor: check the figure --> goes on.\n") == "<p>Text  goes on.</p>\n")
        #expect(Markdown.html("<!-- a note\nover lines -->\n\nBody.\n") == "<p>Body.</p>\n")
        // Not whole, or with attributes: shown as typed, and the page stays well-formed.
        for raw in ["x<sub>2 without end\n", "x</sub> alone\n", "a <sup title=\"t\">b</sup>\n", "*a<sub>b*</sub>\n", "<sub>\n\npara</sub>\n"] {
            let html = Markdown.html(raw)
            #expect(HTMLTokens.wellFormednessProblems(html).isEmpty, "\(raw.debugDescription) → \(html)")
            #expect(html.contains("&lt;"), "\(raw.debugDescription) → \(html)")
        }
        #expect(Markdown.html("<sup><sub>x</sub></sup>\n") == "<p><sup><sub>x</sub></sup></p>\n")
    }

    @Test("Headings get ids from their text, so a table of contents works; relative links resolve from the article's address")
    func anchorsAndRelativeLinks() {
        let html = Markdown.html("[Key findings](#key-findings)\n\n## Key findings\n\n## Key *findings*\n\n# Ўзровень інфляцыі, 2024!\n\n## similar heading\n", linkBase: "/articles/")
        #expect(html.contains("<a href=\"#key-findings\">Key findings</a>"))
        #expect(html.contains("<h2 id=\"key-findings\">Key findings</h2>"))
        #expect(html.contains("<h2 id=\"key-findings-1\">Key <em>findings</em></h2>"))
        #expect(html.contains("<h1 id=\"ўзровень-інфляцыі-2024\">Ўзровень інфляцыі, 2024!</h1>"))
        #expect(html.contains("<h2 id=\"similar-heading-1\">"), "the page's own ids are not taken")
        #expect(Markdown.html("[next](other-article) [img](../media/a.png) [top](/x) [here](#a) [q](?p=1)\n", linkBase: "/articles/")
            == "<p><a href=\"/articles/other-article\">next</a> <a href=\"/articles/../media/a.png\">img</a> <a href=\"/x\">top</a> <a href=\"#a\">here</a> <a href=\"?p=1\">q</a></p>\n")
    }

    @Test("Plain text and excerpts come from the same parse: no markup, raw HTML as written, no addresses")
    func plainText() {
        let body = "# Exports\n\nExports **fell** by [10%](https://belstat.gov.by) in <b>May</b>.\n\n![chart of exports](/media/c.png)\n"
        let text = Markdown.plainText(body)
        #expect(text.contains("Exports fell by 10% in <b>May</b>."))
        #expect(!text.contains("belstat"))
        #expect(!text.contains("**"))
        #expect(Markdown.excerpt("one *two* three four", words: 3) == "one two three …")
        #expect(Markdown.excerpt("Мінск і `Пекін`", words: 5) == "Мінск і Пекін")
        // What cmark's own plain-text renderer leaves in: tildes, pipes, footnote marks, list markers.
        let excerpt = Markdown.excerpt("## Summary\n\n~~инфляция~~ grew by 2.4%[^n].\n\n| Год | ВВП |\n| :-- | --: |\n| 2024 | 4,0 |\n\n- item one\n- [x] done\n\n[^n]: Belstat.\n")
        #expect(excerpt == "Summary инфляция grew by 2.4%. Год ВВП 2024 4,0 item one done Belstat.", "\(excerpt)")
        #expect(Markdown.excerpt("и \u{306} mark") == "и \u{306} mark", "a combining mark after a space is kept")
        #expect(!Markdown.plainText("Before <!-- private --> after.\n").contains("private"))
    }

    @Test("What an attack found: shapes cmark-gfm 0.29 parses in quadratic time are bounded, and no cell or character breaks the page")
    func attackedShapes() {
        // A 12 KB table of 2,000 × 2,000 cells was a 40 MB page: now its rows are text.
        let table = "|" + String(repeating: "a|", count: 2000) + "\n|" + String(repeating: "-|", count: 2000) + "\n" + String(repeating: "a\n", count: 2000)
        let tableHTML = Markdown.html(table)
        #expect(!tableHTML.contains("<table>") && tableHTML.utf8.count < 4 * table.utf8.count, "\(tableHTML.utf8.count) bytes")
        // Nesting stops at 64 containers; the deeper markers show as typed.
        let deep = Markdown.html(String(repeating: "> ", count: 200) + "word\n")
        #expect(deep.components(separatedBy: "<blockquote>").count - 1 == 64)
        #expect(deep.contains("&gt; &gt;") && deep.contains("word"))
        #expect(Markdown.html(String(repeating: "- ", count: 100) + "x\n").components(separatedBy: "<ul>").count - 1 == 64)
        // Cells past the header's count, which GFM drops, are kept under empty headers.
        let extra = Markdown.html("| a | b |\n|---|---|\n| 1 | 2 | EXTRA |\n| `c|d` | z |\n")
        #expect(extra.contains("EXTRA") && extra.contains("z") && extra.contains("d"), "\(extra)")
        #expect(HTMLTokens.wellFormednessProblems(extra).isEmpty)
        // Characters a reference spells that a feed or page cannot hold become U+FFFD.
        let controls = Markdown.html("a&#1;b &#x7f; &#x9f; &#xffff; [t](/x \"&#2;\")\n\n```&#3;\nx\n```\n")
        #expect(!controls.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" } && !controls.unicodeScalars.contains { (0x7F...0x9F).contains($0.value) || $0.value == 0xFFFF })
        #expect(controls.contains("a\u{FFFD}b"))
        // A footnote mark inside a link or an image goes after it: no <a> inside <a>.
        for body in ["[link with note[^1]](https://e.com)\n\n[^1]: n\n", "![img[^1]](/m.png) and [a ![b[^1]](/c.png)](/d)\n\n[^1]: n\n"] {
            let html = Markdown.html(body)
            #expect(HTMLTokens.wellFormednessProblems(html).isEmpty, "\(html)")
            #expect(html.contains("data-footnote-ref"), "\(html)")
        }
        // Addresses browsers read in more than one way, or not at all, are not links.
        for url in ["https://e.com:99999/", "https://a@b@evil.com/", "http://e.com/#a#b", "https://e.com/%zz", "https://a\u{301}.com/"] {
            #expect(!Markdown.html("[x](<\(url)>)\n").contains("<a"), "\(url)")
        }
        #expect(Markdown.html("[x](https://e.com:8080/a%20b#top)\n").contains("<a rel"))
        // rel goes on the external links only, with text in any script between them.
        #expect(Markdown.html("[a](https://x.org) é [b](/y) ў [c](https://z.org)\n")
            == "<p><a rel=\"nofollow noopener\" href=\"https://x.org\">a</a> é <a href=\"/y\">b</a> ў <a rel=\"nofollow noopener\" href=\"https://z.org\">c</a></p>\n")
    }

    /// Markdown made of the pieces that trip renderers up, in every script Galley's analysts use.
    static func randomMarkdown(_ rng: inout SplitMix64) -> String {
        let pieces = [
            "word", "слова", "ўзаемадзеянне", "cafe\u{301}", "👩🏽‍💻", "snake_case", "*", "**", "_", "__", "~~", "~", "`", "``", "[", "]", "](", ")",
            "(", "<", ">", "&", "&amp;", "&#1234;", "&nbsp;", "\\", "#", "## ", "- ", "1. ", "> ", "    ", "\t", "|", "|---|", ":-:", "---", "***",
            "```", "~~~", "\n", "\n\n", " ", "  \n", "<div>", "</div>", "<b>", "</b>", "<!-- c -->", "<script>x</script>", "<a href=\"x\">",
            "javascript:alert(1)", "https://example.org/a_b", "www.example.com", "mail@example.org", "![", "[^1]", "[^1]: ", "- [ ] ", "- [x] ",
            "[ref]", "[ref]: /url \"t\"", "\"", "'", "=", "===", "<https://x.org>", "<javascript:x>", "+", "2)", "<?php ?>", "<![CDATA[x]]>",
        ]
        var s = ""
        for _ in 0..<Int.random(in: 1...60, using: &rng) { s += pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
        return s
    }

    /// Words as a reader counts them: runs of letters, digits and combining marks.
    static func words(_ text: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        var word = ""
        for c in text.unicodeScalars {
            if c.properties.isAlphabetic || c.properties.numericType != nil || c.properties.generalCategory == .nonspacingMark {
                word.unicodeScalars.append(c)
            } else if !word.isEmpty {
                counts[word, default: 0] += 1
                word = ""
            }
        }
        if !word.isEmpty { counts[word, default: 0] += 1 }
        return counts
    }

    @Test("Random Markdown never loses a word of the reference rendering and is always well-formed (seeded)")
    func randomMarkdownKeepsEveryWord() {
        let seed = ProcessInfo.processInfo.environment["GALLEY_MARKDOWN_SEED"].flatMap(UInt64.init) ?? 20_261_202
        let rounds = Int(ProcessInfo.processInfo.environment["GALLEY_FUZZ_EXAMPLES"] ?? "").map { $0 * 20 } ?? 2_000
        var rng = SplitMix64(seed: seed)
        var failures: [String] = []
        for round in 0..<rounds where failures.count < 5 {
            let markdown = Self.randomMarkdown(&rng)
            let html = Markdown.html(markdown)
            let problems = HTMLTokens.wellFormednessProblems(html) + MarkupVocabulary.problems(html)
            if !problems.isEmpty {
                failures.append("round \(round): \(problems) for \(markdown.debugDescription) → \(html.debugDescription)")
                continue
            }
            // A word is kept if the page shows it as often, possibly joined to a neighbour (an
            // HTML comment, hidden from readers, joins what was on either side of it).
            let shown = HTMLTokens.visibleText(html)
            let reference = Self.words(HTMLTokens.visibleText(Markdown.referenceHTML(markdown)))
            let lost = reference.filter { shown.components(separatedBy: $0.key).count - 1 < $0.value }.map(\.key)
            if !lost.isEmpty {
                failures.append("round \(round): lost \(lost) from \(markdown.debugDescription) → \(html.debugDescription)")
            }
        }
        #expect(failures.isEmpty, "seed \(seed) (rerun with GALLEY_MARKDOWN_SEED=\(seed)):\n\(failures.joined(separator: "\n"))")
    }
}
