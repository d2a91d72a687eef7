import Foundation
import GalleyCore

/// Writes the public site as static files, with the same templates as the server: an archive
/// can be hosted without it. Pages are folders with an `index.html`, so addresses look alike.
package struct StaticSite: Sendable {
    package var renderer: SiteRenderer
    package var articles: [PublishedArticle]
    /// Editor-curated related articles, shown first under "Similar articles".
    package var related: [ArticleID: [ArticleID]]
    package var categories: [Category]
    package var trendsCategory: String
    /// Where attached images are (`<name>` files), copied to `media/`.
    package var mediaSource: URL?
    package var now: Date

    package init(
        renderer: SiteRenderer, articles: [PublishedArticle], related: [ArticleID: [ArticleID]], categories: [Category],
        trendsCategory: String, mediaSource: URL?, now: Date
    ) {
        self.renderer = renderer
        self.articles = articles.sorted { ($0.publishedAt, $0.id) > ($1.publishedAt, $1.id) }
        self.related = related
        self.categories = categories
        self.trendsCategory = trendsCategory
        self.mediaSource = mediaSource
        self.now = now
    }

    package struct Report: Encodable, Sendable {
        package var pages: Int
        package var articles: Int
        package var images: Int
        /// Images articles show that could not be had (not attached here, server not reachable).
        package var missingImages = 0
    }

    package func write(to directory: URL, pageSize: Int = 20) throws -> Report {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        var pages = 0
        func put(_ path: String, _ text: String) throws {
            var relative = path.hasPrefix("/") ? String(path.dropFirst()) : path
            if relative.isEmpty || relative.hasSuffix("/") { relative += "index.html" }
            let url = directory.appendingPathComponent(relative.removingPercentEncoding ?? relative)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let file = relative.hasSuffix(".html") ? Self.relativeLinks(text, depth: relative.split(separator: "/").count - 1) : text
            try Data(file.utf8).write(to: url, options: .atomic)
            pages += 1
        }
        let links = renderer.links
        let visible = articles.filter { !$0.retracted }

        // Home pages.
        let chunks = stride(from: 0, to: max(articles.count, 1), by: pageSize).map { Array(articles[$0..<min($0 + pageSize, articles.count)]) }
        for (index, chunk) in chunks.enumerated() {
            let page = index + 1
            try put(links.home(page: page), renderer.listPage(
                heading: renderer.siteName, path: links.home(page: page), articles: chunk,
                newer: page > 1 ? links.home(page: page - 1) : nil, older: page < chunks.count ? links.home(page: page + 1) : nil,
                categories: categories))
        }

        // Articles, with similar ones and recent trends.
        let byID = Dictionary(uniqueKeysWithValues: articles.map { ($0.id, $0) })
        let ranker = SimilarArticles(visible)
        for article in articles {
            var similar = (related[article.id] ?? []).compactMap { byID[$0] }.filter { !$0.retracted && $0.id != article.id }
            for candidate in ranker.rank(article, count: 3) where similar.count < 3 && !similar.contains(candidate) { similar.append(candidate) }
            try put(links.article(article.content.slug), renderer.articlePage(
                article, similar: Array(similar.prefix(3)), trends: trends(excluding: article.id), categories: categories))
        }

        // Categories and their feeds; tags.
        for category in categories {
            let inCategory = articles.filter { $0.content.category == category.slug }
            try put(links.category(category.slug), renderer.listPage(
                heading: category.name, path: links.category(category.slug), articles: inCategory, newer: nil, older: nil,
                categories: categories, feed: links.categoryFeed(category.slug)))
            try put(links.categoryFeed(category.slug), renderer.atom(
                title: "\(renderer.siteName): \(category.name)", selfPath: links.categoryFeed(category.slug),
                alternatePath: links.category(category.slug), articles: Array(inCategory.prefix(50))))
        }
        for tag in Set(articles.flatMap(\.content.tags)).sorted() {
            try put(links.tag(tag), renderer.listPage(
                heading: "#\(tag)", path: links.tag(tag), articles: articles.filter { $0.content.tags.contains(tag) }, newer: nil, older: nil,
                categories: categories))
        }
        try put(links.feed, renderer.atom(title: renderer.siteName, selfPath: links.feed, alternatePath: links.root, articles: Array(articles.prefix(50))))
        try put("/style.css", SiteRenderer.stylesheet)

        // Images the articles use.
        var images = 0
        if let mediaSource {
            for name in Set(articles.map(\.content.image).filter { $0.hasPrefix("/media/") }.map { String($0.dropFirst(7)) }) where ImageKind.isMediaName(name) {
                let source = mediaSource.appendingPathComponent(name)
                guard fm.fileExists(atPath: source.path) else { continue }
                let target = directory.appendingPathComponent("media").appendingPathComponent(name)
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
                try fm.copyItem(at: source, to: target)
                images += 1
            }
        }
        return Report(pages: pages, articles: articles.count, images: images)
    }

    /// The page with every site address (`href="/…"`, `src="/…"`, in the templates and in the
    /// article's own Markdown) made relative to where the page is, and folder addresses pointing
    /// at their `index.html`: the folder then works opened from disk, copied anywhere or served
    /// under any path, styles and images included.
    static func relativeLinks(_ html: String, depth: Int) -> String {
        let up = String(repeating: "../", count: depth)
        var out = ""
        out.reserveCapacity(html.utf8.count + 1024)
        var rest = Substring(html)
        while let range = rest.firstRange(of: #/(href|src)="\//#) {
            out += rest[..<range.lowerBound]
            let attribute = rest[range].prefix { $0 != "=" }
            let valueStart = rest.index(before: range.upperBound)
            guard let close = rest[valueStart...].firstIndex(of: "\"") else { break }
            let value = rest[valueStart..<close]
            if value.hasPrefix("//") {
                out += rest[range.lowerBound..<close]  // another host's address
            } else {
                var target = up + value.dropFirst()
                // A page's address names a folder (`/articles/x/`, or `/articles/x` as the server
                // spells it); files have an extension (`/style.css`, `/media/….png`).
                if target.isEmpty || target.hasSuffix("/") {
                    target += "index.html"
                } else if !(target.split(separator: "/").last ?? "").contains(".") {
                    target += "/index.html"
                }
                out += "\(attribute)=\"\(target)"
            }
            rest = rest[close...]
        }
        return out + rest
    }

    func trends(excluding id: ArticleID) -> [TrendItem] {
        let latest = articles.filter { $0.content.category == trendsCategory && $0.id != id && !$0.retracted }.prefix(5)
        if !latest.isEmpty {
            return latest.map { TrendItem(title: $0.content.title, url: renderer.links.article($0.content.slug), date: $0.publishedAt) }
        }
        let since = now.addingTimeInterval(-30 * 86_400)
        var counts: [String: Int] = [:]
        for a in articles where a.publishedAt >= since { for t in a.content.tags { counts[t, default: 0] += 1 } }
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(8).map {
            TrendItem(title: "#\($0.key) (\($0.value))", url: renderer.links.tag($0.key), date: nil)
        }
    }
}

/// "Similar articles" computed in memory for a static build: tf-idf over the published text,
/// lifted by shared tags and category (the server does the same with its search index).
package struct SimilarArticles: Sendable {
    let articles: [PublishedArticle]
    let vectors: [[String: Double]]

    package init(_ articles: [PublishedArticle]) {
        self.articles = articles
        var df: [String: Int] = [:]
        let tfs = articles.map { a -> [String: Double] in
            var tf: [String: Double] = [:]
            for (text, weight) in [(a.content.title, 2.0), (a.content.lead, 1.0), (a.content.body, 1.0)] {
                for term in Self.terms(text) where term.count > 2 { tf[term, default: 0] += weight }
            }
            for term in tf.keys { df[term, default: 0] += 1 }
            return tf
        }
        let n = Double(max(articles.count, 1))
        vectors = tfs.map { tf in
            var v: [String: Double] = [:]
            for (term, f) in tf { v[term] = f * log(n / Double(df[term] ?? 1)) }
            let norm = sqrt(v.values.reduce(0) { $0 + $1 * $1 })
            return norm > 0 ? v.mapValues { $0 / norm } : v
        }
    }

    package func rank(_ target: PublishedArticle, count: Int) -> [PublishedArticle] {
        guard let index = articles.firstIndex(where: { $0.id == target.id }) else { return [] }
        let mine = vectors[index]
        var scored: [(Double, PublishedArticle)] = []
        for (k, other) in articles.enumerated() where k != index {
            var score = 0.0
            let (small, large) = mine.count < vectors[k].count ? (mine, vectors[k]) : (vectors[k], mine)
            for (term, w) in small { if let x = large[term] { score += w * x } }
            score += 0.2 * Double(target.content.tags.intersection(other.content.tags).count)
            if !target.content.category.isEmpty && target.content.category == other.content.category { score += 0.1 }
            if score > 0 { scored.append((score, other)) }
        }
        return scored.sorted { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1.id > $1.1.id) }.prefix(count).map(\.1)
    }

    static func terms(_ text: String) -> [String] {
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
        return folded.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }
}
