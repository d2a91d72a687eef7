import Foundation
@_spi(Reference) import GalleyMarkdown
import GalleyTestSupport
import Testing

/// The GitHub Markdown analysts write, rendered as GitHub renders it, and the safety policy.
@Suite("GFM features and the safety policy")
struct GFMFeatureTests {
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
        #expect(Markdown.html("Heading\n=======\n") == "<h1>Heading</h1>\n")
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
        #expect(Markdown.html("<https://user@example.org:8080/a> [v6](http://[::1]/x)\n").components(separatedBy: "<a rel").count == 3)
        #expect(Markdown.html("[in](/articles/x) [out](//example.org/)\n") == "<p><a href=\"/articles/x\">in</a> <a rel=\"nofollow noopener\" href=\"//example.org/\">out</a></p>\n")
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
            let shown = Self.words(HTMLTokens.visibleText(html))
            let reference = Self.words(HTMLTokens.visibleText(Markdown.referenceHTML(markdown)))
            let lost = reference.filter { shown[$0.key, default: 0] < $0.value }.map(\.key)
            if !lost.isEmpty {
                failures.append("round \(round): lost \(lost) from \(markdown.debugDescription) → \(html.debugDescription)")
            }
        }
        #expect(failures.isEmpty, "seed \(seed) (rerun with GALLEY_MARKDOWN_SEED=\(seed)):\n\(failures.joined(separator: "\n"))")
    }
}
