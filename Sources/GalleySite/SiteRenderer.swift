import Foundation
import GalleyCore
import GalleyMarkdown
import Mustache

/// Renders the public site's pages from Mustache templates (kept as resources). The server and
/// `galley site build` both use it, so a static export looks like the live site.
package struct SiteRenderer: Sendable {
    package var siteName: String
    package var links: SiteLinks
    package var timeZone: TimeZone
    /// Only the server can answer searches.
    package var hasSearch: Bool
    private let library: MustacheLibrary

    package init(siteName: String = "Galley", links: SiteLinks, timeZone: TimeZone = .current, hasSearch: Bool) throws {
        self.siteName = siteName
        self.links = links
        self.timeZone = timeZone
        self.hasSearch = hasSearch
        // Mustache's own HTML escaping goes by Character and so misses a `<` or `"` that a
        // combining mark follows; the templates name this content type instead.
        MustacheContentTypes.register(ScalarHTML(), named: "GALLEY_HTML")
        var library = MustacheLibrary()
        for (name, bytes) in [
            ("layout", PackageResources.layout_mustache), ("article", PackageResources.article_mustache),
            ("article-content", PackageResources.article_content_mustache), ("list", PackageResources.list_mustache),
        ] {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    package static var stylesheet: String { String(decoding: PackageResources.style_css, as: UTF8.self) }

    /// "May 08, 2017 9:22", in the site's time zone.
    package func shown(_ date: Date) -> String { ShownTime(timeZone: timeZone)(date) }

    func page(title: String, canonical: String, categories: [Category], query: String = "", feed: String? = nil, description: String? = nil) -> [String: Any] {
        var context: [String: Any] = [
            "language": "en", "pageTitle": title, "siteName": siteName, "canonical": links.absolute(canonical), "root": links.root,
            "feedURL": feed ?? links.feed, "hasSearch": hasSearch, "query": query,
            "categories": categories.map { ["name": $0.name, "url": links.category($0.slug)] },
        ]
        if let description, !description.isEmpty { context["description"] = description }
        return context
    }

    /// The lead, or where an article has none, the opening words of its body as a reader sees
    /// them (the same parse as the page, so a card never shows Markdown syntax or raw HTML tags
    /// the page does not).
    func summary(_ a: PublishedArticle) -> String {
        a.content.lead.isEmpty ? SafeMarkdown.excerpt(a.content.body) : a.content.lead
    }

    /// What a template may say of one article. Every key a template reads is set, if only to
    /// `false`: Mustache looks a missing key up in the enclosing context, so a card without an
    /// image would otherwise show the image (and credit) of the article whose page it is on.
    func card(_ a: PublishedArticle, categories: [Category]) -> [String: Any] {
        let hasCategory = !a.content.category.isEmpty
        let image: Any = !a.content.image.isEmpty && MarkdownPolicy.allowsImage(a.content.image) ? a.content.image : false
        return [
            "title": a.content.title, "url": links.article(a.content.slug), "lead": summary(a).isEmpty ? false : summary(a),
            "publishedISO": Timestamp.format(a.publishedAt), "publishedShown": shown(a.publishedAt), "retracted": a.retracted,
            "category": hasCategory,
            "categoryURL": hasCategory ? links.category(a.content.category) : false,
            "categoryName": hasCategory ? categories.first { $0.slug == a.content.category }?.name ?? a.content.category : false,
            "imageCredit": a.content.imageCredit.isEmpty ? false : a.content.imageCredit,
            "image": image,
        ]
    }

    /// An article page: title, category, date and time, lead, (image), body; then similar
    /// articles and recent trends. A retracted article shows its notice instead of lead and body.
    package func articlePage(_ a: PublishedArticle, similar: [PublishedArticle], trends: [TrendItem], categories: [Category]) -> String {
        var context = page(
            title: "\(a.content.title) — \(siteName)", canonical: links.article(a.content.slug), categories: categories,
            description: a.retracted ? nil : summary(a))
        for (k, v) in articleContext(a, categories: categories) { context[k] = v }
        context["similar"] = similar.map { card($0, categories: categories) }
        context["trends"] = trends.map { t -> [String: Any] in
            // Every key set (see `card`): a missing one would be looked up on the page around it.
            ["title": t.title, "url": t.url, "shown": t.date.map(shown) ?? false, "iso": t.date.map(Timestamp.format) ?? false]
        }
        return library.render(context, withTemplate: "article") ?? ""
    }

    /// The article itself as its public page shows it (the same partial, the same safe
    /// Markdown), without the site around it: what the desk shows an editor before publishing.
    package func articleContent(_ a: PublishedArticle, categories: [Category]) -> String {
        library.render(articleContext(a, categories: categories), withTemplate: "article-content") ?? ""
    }

    func articleContext(_ a: PublishedArticle, categories: [Category]) -> [String: Any] {
        var context: [String: Any] = [:]
        for (k, v) in card(a, categories: categories) { context[k] = v }
        // The page shows the body itself: above it only a lead the analyst wrote, not an excerpt.
        context["lead"] = a.content.lead.isEmpty ? false : a.content.lead
        context["bodyHTML"] = a.retracted ? "" : SafeMarkdown.html(a.content.body)
        context["retractionMessage"] = a.retractionMessage ?? ""
        context["authorLine"] = a.authors.isEmpty ? "" : "by " + a.authors.joined(separator: ", ")
        context["hasTags"] = !a.content.tags.isEmpty
        context["tags"] = a.content.sortedTags.map { ["name": $0, "url": links.tag($0)] }
        return context
    }

    /// A list of articles: the home page, a category, a tag, search results.
    package func listPage(
        heading: String, intro: String? = nil, path: String, articles: [PublishedArticle], newer: String?, older: String?,
        categories: [Category], query: String = "", feed: String? = nil, empty: String = "Nothing published here yet.",
        homeLinks: Bool = false
    ) -> String {
        var context = page(title: heading == siteName ? siteName : "\(heading) — \(siteName)", canonical: path, categories: categories, query: query, feed: feed)
        context["heading"] = heading
        if let intro { context["intro"] = intro }
        context["articles"] = articles.map { card($0, categories: categories) }
        context["empty"] = empty
        context["homeLinks"] = homeLinks
        if let newer { context["newer"] = newer }
        if let older { context["older"] = older }
        return library.render(context, withTemplate: "list") ?? ""
    }

    /// The page a reader's browser gets instead of a problem document when something is not
    /// there or a link is malformed: the site's frame, the reason, and a way back.
    package func errorPage(status: Int, detail: String, path: String) -> String {
        let heading = status == 404 ? "Not found" : status >= 500 ? "Something went wrong" : "This address cannot be shown"
        return listPage(
            heading: heading, intro: detail, path: path, articles: [], newer: nil, older: nil, categories: [],
            empty: "Where to go from here:", homeLinks: true)
    }

    /// An Atom 1.0 feed (RFC 4287) of `articles`, newest first.
    package func atom(title: String, selfPath: String, alternatePath: String, articles: [PublishedArticle]) -> String {
        func x(_ s: String) -> String { HTMLSanitizer.escape(s) }
        // An empty feed was last updated now, not in 1970.
        let updated = articles.map(\.updatedAt).max() ?? Timestamp.canonical(Date())
        let feedID = links.baseURL.map { $0 + selfPath } ?? "urn:galley:feed:\(selfPath)"
        var out = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
            <id>\(x(feedID))</id>
            <title>\(x(title))</title>
            <updated>\(Timestamp.format(updated))</updated>
            <author><name>\(x(siteName))</name></author>
            <link rel="self" type="application/atom+xml" href="\(x(links.absolute(selfPath)))"/>
            <link rel="alternate" type="text/html" href="\(x(links.absolute(alternatePath)))"/>

            """
        for a in articles {
            let content = a.retracted ? "<p>This article was retracted. \(x(a.retractionMessage ?? ""))</p>" : SafeMarkdown.html(a.content.body)
            out += """
                <entry>
                <id>urn:uuid:\(a.id)</id>
                <title>\(x(a.content.title))</title>
                <link rel="alternate" type="text/html" href="\(x(links.absolute(links.article(a.content.slug))))"/>
                <published>\(Timestamp.format(a.publishedAt))</published>
                <updated>\(Timestamp.format(a.updatedAt))</updated>
                \(a.authors.map { "<author><name>\(x($0))</name></author>" }.joined())
                \(a.content.category.isEmpty ? "" : "<category term=\"\(x(a.content.category))\"/>")
                <summary>\(x(a.retracted ? "This article was retracted. " + (a.retractionMessage ?? "") : summary(a)))</summary>
                <content type="html" xml:base="\(x(links.absolute(links.article(a.content.slug))))">\(x(content))</content>
                </entry>

                """
        }
        return out + "</feed>\n"
    }
}

/// HTML escaping by Unicode scalar (``HTMLSanitizer/escape(_:)``), for every `{{value}}` in the
/// site's templates (`{{% CONTENT_TYPE: GALLEY_HTML}}` at the top of each).
struct ScalarHTML: MustacheContentType {
    func escapeText(_ text: String) -> String { HTMLSanitizer.escape(text) }
}
