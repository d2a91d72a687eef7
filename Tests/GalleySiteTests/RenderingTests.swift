import Foundation
import GalleyCore
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import GalleySite

@Suite struct RenderingTests {
    static let t = Date(timeIntervalSince1970: 1_494_235_320)  // 2017-05-08 09:22 UTC

    static func article(_ title: String, slug: String, body: String = "Body.\n", lead: String = "The lead.", credit: String = "", retracted: Bool = false) -> PublishedArticle {
        PublishedArticle(
            id: ArticleID.generate(at: t),
            content: ArticleContent(
                title: title, lead: lead, body: body, category: "status", tags: ["china"], slug: slug,
                image: credit.isEmpty ? "" : "/media/\(String(repeating: "a", count: 64)).jpg", imageCredit: credit),
            authors: ["anna"], publishedAt: t, updatedAt: t, retracted: retracted, retractionMessage: retracted ? "The figures were wrong." : nil)
    }

    static let renderer = try! SiteRenderer(siteName: "Galley", links: SiteLinks(style: .server, baseURL: "https://example.org"), timeZone: TimeZone(identifier: "UTC")!, hasSearch: true)

    /// Without a lead, cards, the description and the feed summary take the body's opening words
    /// as the page shows them; the article page itself shows no lead above its body.
    @Test func anArticleWithoutALeadHasAnExcerptEverywhereButItsOwnPage() throws {
        let body = "## Summary\n\n~~Old~~ figures: exports [fell](https://belstat.gov.by/x) by 2.4%[^n].\n\n[^n]: Belstat.\n"
        let bare = Self.article("No lead here", slug: "no-lead", body: body, lead: "")
        let page = Self.renderer.articlePage(bare, similar: [], trends: [], categories: [])
        #expect(!page.contains("class=\"lead\""), "the page shows the body, not an excerpt of it above it")
        #expect(page.contains("<meta name=\"description\" content=\"Summary Old figures: exports fell by 2.4%. Belstat.\">"))
        let other = Self.renderer.articlePage(Self.article("Another", slug: "another"), similar: [bare], trends: [], categories: [])
        #expect(other.contains("Summary Old figures: exports fell by 2.4%. Belstat."), "the similar-article card has the excerpt")
        let list = Self.renderer.listPage(heading: "Galley", path: "/", articles: [bare], newer: nil, older: nil, categories: [])
        #expect(list.contains("Summary Old figures: exports fell by 2.4%. Belstat."))
        let feed = Self.renderer.atom(title: "Galley", selfPath: "/feed.atom", alternatePath: "/", articles: [bare])
        #expect(feed.contains("<summary>Summary Old figures: exports fell by 2.4%. Belstat.</summary>"))
        #expect(feed.contains("<content type=\"html\" xml:base=\"https://example.org/articles/no-lead\">"), "relative links in content resolve from the article")
    }

    @Test func anArticlePageHoldsEveryElementInOrder() throws {
        let main = Self.article("Minsk hopes to boost cooperation with Beijing", slug: "minsk-hopes", body: "First paragraph of the body.\n\nSecond.\n", lead: "Minsk aspires to replace the Kremlin.")
        let similar = [Self.article("Minsk attempts to make up for image losses", slug: "image-losses", lead: "The Belarusian authorities regard…", credit: "Catholic.by")]
        let trends = [TrendItem(title: "Trend one", url: "/articles/trend-one", date: Self.t)]
        let html = Self.renderer.articlePage(main, similar: similar, trends: trends, categories: [Category(slug: "status", name: "Category status")])
        let order = [
            "<h1>Minsk hopes to boost cooperation with Beijing</h1>", "Category status", "May 08, 2017 9:22",
            "Minsk aspires to replace the Kremlin.", "First paragraph of the body.", "Similar articles",
            "Minsk attempts to make up for image losses", "Image: Catholic.by", "The Belarusian authorities regard", "Recent trends", "Trend one",
        ]
        var cursor = html.startIndex
        for piece in order {
            guard let range = html.range(of: piece, range: cursor..<html.endIndex) else {
                Issue.record("'\(piece)' missing or out of order")
                continue
            }
            cursor = range.upperBound
        }
        #expect(html.contains("<title>Minsk hopes to boost cooperation with Beijing — Galley</title>"))
        #expect(html.contains("<link rel=\"canonical\" href=\"https://example.org/articles/minsk-hopes\">"))
        #expect(html.contains("<time datetime=\"2017-05-08T09:22:00.000Z\">"))
        #expect(html.contains("<article") && html.contains("<nav"))
        #expect(html.contains("href=\"/articles/image-losses\""))
        #expect(html.contains("application/atom+xml"))
    }

    @Test func aRetractedArticleShowsItsNoticeInsteadOfItsText() {
        let html = Self.renderer.articlePage(Self.article("Wrong", slug: "wrong", body: "The wrong figures.\n", lead: "A wrong lead.", retracted: true), similar: [], trends: [], categories: [])
        #expect(html.contains("This article was retracted.") && html.contains("The figures were wrong."))
        #expect(!html.contains("The wrong figures.") && !html.contains("A wrong lead."))
    }

    @Test func articleTextCannotRunScript() {
        let hostile = """
            <script>alert(1)</script>

            <img src=x onerror="alert(2)">

            [click](javascript:alert(3)) and [also](JaVaScRiPt:alert(4)) and [spaced]( java\tscript:alert(5))

            ![pic](javascript:alert(6))

            <a href="javascript:alert(7)">raw link</a> <iframe src="https://evil"></iframe>

            Inline <b onclick="alert(8)">bold</b> and <svg onload=alert(9)>.

            [fine](https://example.org/page?a=1&b=2) and `<script>` in code.
            """
        let html = SafeMarkdown.html(hostile)
        // Text may mention anything; what matters is the markup: every real tag is checked.
        for tag in Self.tags(in: html) {
            let lower = tag.lowercased()
            for bad in ["<script", "<iframe", "<svg", "<b ", "<img src=\"x\"", " on", "javascript:"] {
                #expect(!lower.contains(bad), "'\(bad)' survived in the tag \(tag)")
            }
        }
        #expect(html.contains("&lt;script&gt;"), "raw HTML is shown as text")
        #expect(html.contains("<a rel=\"nofollow noopener\" href=\"https://example.org/page?a=1&amp;b=2\">fine</a>"))
        #expect(html.contains("<code>&lt;script&gt;</code>"))
        // Through the whole page too.
        let page = Self.renderer.articlePage(Self.article("<script>x</script>", slug: "x", body: hostile), similar: [], trends: [], categories: [])
        for tag in Self.tags(in: page) {
            #expect(!tag.lowercased().contains("<script") && !tag.lowercased().contains("javascript:") && !tag.lowercased().contains(" on"), "\(tag)")
        }
    }

    /// Every `<…>` in the output: text is escaped, so these are the real tags.
    static func tags(in html: String) -> [String] {
        var out: [String] = []
        var rest = html[...]
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            out.append(String(rest[open...close]))
            rest = rest[rest.index(after: close)...]
        }
        return out
    }

    @Test func theAtomFeedIsWellFormedWithTheRequiredElements() throws {
        let items = [Self.article("One & two", slug: "one"), Self.article("Мінск <b>", slug: "minsk", retracted: true)]
        let xml = Self.renderer.atom(title: "Galley", selfPath: "/feed.atom", alternatePath: "/", articles: items)
        let doc = try XMLDocument(data: Data(xml.utf8))
        let feed = try #require(doc.rootElement())
        #expect(feed.name == "feed" && feed.uri == "http://www.w3.org/2005/Atom")
        for name in ["id", "title", "updated", "author"] { #expect(!feed.elements(forName: name).isEmpty, "feed lacks \(name)") }
        let entries = feed.elements(forName: "entry")
        #expect(entries.count == 2)
        for entry in entries {
            for name in ["id", "title", "updated", "link", "content"] { #expect(!entry.elements(forName: name).isEmpty, "entry lacks \(name)") }
            let link = try #require(entry.elements(forName: "link").first)
            let href = (link.attributes ?? []).first { $0.name == "href" || $0.localName == "href" }?.stringValue
            #expect(href?.hasPrefix("https://example.org/articles/") == true, "\(link.xmlString)")
        }
        #expect(entries[0].elements(forName: "title").first?.stringValue == "One & two")
    }
}


@Suite struct EscapingTests {
    /// `<` or `"` followed by a combining mark is one Swift Character but two scalars to a
    /// browser: escaping by Character left a quote that ended an attribute, and ill-formed XML.
    @Test func markupFollowedByACombiningMarkIsEscapedInPagesAndFeeds() throws {
        let hostile = "x\"\u{301} onmouseover=alert(1) <\u{301}b>&\u{301}"
        let article = RenderingTests.article(hostile, slug: "hostile", lead: hostile)
        let page = RenderingTests.renderer.articlePage(article, similar: [], trends: [], categories: [])
        #expect(page.contains("x&quot;\u{301} onmouseover=alert(1) &lt;\u{301}b&gt;&amp;\u{301}"))
        #expect(!page.unicodeScalars.split(separator: "\"").contains { $0.first == "\u{301}" }, "no quote ends an attribute before a mark")
        let feed = RenderingTests.renderer.atom(title: "Feed", selfPath: "/feed.atom", alternatePath: "/", articles: [article])
        #expect(XMLParser(data: Data(feed.utf8)).parse(), "the feed is well-formed")
        #expect(!SafeMarkdown.html("a <\u{301}script> b\n").unicodeScalars.split(separator: "<").dropFirst().contains { $0.first == "\u{301}" })
    }
}
