import Foundation
import GalleyCore
import GalleySite
import GalleyStore
import Hummingbird

/// The published archive for readers: server-rendered HTML, no JavaScript needed. Only
/// published revisions are read (from the archive's public tables), so drafts, reviews and
/// unapproved heads cannot leak here, in similar articles, search or feeds.
struct PublicSiteRoutes {
    let environment: ServerEnvironment
    let archive: any ArchiveStore
    let renderer: SiteRenderer
    static let pageSize = 20

    init(environment: ServerEnvironment) throws {
        self.environment = environment
        self.archive = environment.archive
        let config = environment.configuration
        renderer = try SiteRenderer(
            siteName: config.siteName, links: SiteLinks(style: .server, baseURL: config.publicURL),
            timeZone: TimeZone(identifier: config.timeZone) ?? .current, hasSearch: true)
    }

    func register(_ routes: inout RouteList) {
        let archive = archive
        let renderer = renderer
        let environment = environment
        let links = renderer.links

        @Sendable func categories() async throws -> [Category] { try await archive.categories() }
        @Sendable func site(_ p: PublishedArticle) -> SiteArticle {
            SiteArticle(id: p.id, content: p.content, authors: p.authors, publishedAt: p.publishedAt, updatedAt: p.updatedAt,
                        retracted: p.retracted, retractionMessage: p.retractionMessage)
        }
        @Sendable func page(_ request: Request) throws -> Int { try request.uri.intQuery("page", default: 1, range: 1...100_000) }

        /// A page past the last one is not there (page 1 of an empty list is, with a sentence).
        @Sendable func found(_ articles: [PublishedArticle], page: Int, _ what: String) throws -> [PublishedArticle] {
            guard page == 1 || !articles.isEmpty else { throw HTTPError(.notFound, message: "\(what) has no page \(page).") }
            return articles
        }

        routes.add(.get, "/") { request, _ in
            let page = try page(request)
            let articles = try found(try await archive.latestPublished(limit: Self.pageSize + 1, offset: (page - 1) * Self.pageSize), page: page, "The archive")
            return HTML(renderer.listPage(
                heading: renderer.siteName, path: links.home(page: page), articles: articles.prefix(Self.pageSize).map(site),
                newer: page > 1 ? links.home(page: page - 1) : nil, older: articles.count > Self.pageSize ? links.home(page: page + 1) : nil,
                categories: try await categories()))
        }

        routes.add(.get, "/articles/:slug") { _, context in
            let slug = try context.parameters.text("slug")
            guard let article = try await archive.publishedArticle(slug: slug) else {
                throw HTTPError(.notFound, message: "There is no published article at this address.")
            }
            let similar = try await archive.similarArticles(of: article.id)
            return HTML(renderer.articlePage(
                site(article), similar: similar.map(site), trends: try await trends(excluding: article.id), categories: try await categories()))
        }

        routes.add(.get, "/categories/:slug") { request, context in
            let slug = try context.parameters.text("slug")
            let all = try await categories()
            guard let category = all.first(where: { $0.slug == slug }) else { throw HTTPError(.notFound, message: "There is no category '\(slug)'.") }
            let page = try page(request)
            let articles = try found(
                try await archive.latestPublished(limit: Self.pageSize + 1, offset: (page - 1) * Self.pageSize, category: slug), page: page, "This category")
            let path = links.category(slug)
            return HTML(renderer.listPage(
                heading: category.name, path: page > 1 ? "\(path)?page=\(page)" : path, articles: articles.prefix(Self.pageSize).map(site),
                newer: page > 1 ? "\(path)?page=\(page - 1)" : nil, older: articles.count > Self.pageSize ? "\(path)?page=\(page + 1)" : nil,
                categories: all, feed: links.categoryFeed(slug)))
        }

        routes.add(.get, "/categories/:slug/feed.atom") { _, context in
            let slug = try context.parameters.text("slug")
            guard let category = try await categories().first(where: { $0.slug == slug }) else {
                throw HTTPError(.notFound, message: "There is no category '\(slug)'.")
            }
            let articles = try await archive.latestPublished(limit: 50, category: slug)
            return Atom(renderer.atom(title: "\(renderer.siteName): \(category.name)", selfPath: links.categoryFeed(slug), alternatePath: links.category(slug), articles: articles.map(site)))
        }

        routes.add(.get, "/tags/:tag") { request, context in
            let asked = try context.parameters.text("tag")
            let page = try page(request)
            // Tags are stored lowercase without '#'; one stored before that keeps its own address.
            var tag = asked
            var articles = try await archive.latestPublished(limit: Self.pageSize + 1, offset: (page - 1) * Self.pageSize, tag: tag)
            if articles.isEmpty, ArticleContent.tag(asked) != asked {
                tag = ArticleContent.tag(asked)
                articles = try await archive.latestPublished(limit: Self.pageSize + 1, offset: (page - 1) * Self.pageSize, tag: tag)
            }
            // A tag exists while something published carries it: /tags/anything is not a page.
            guard !articles.isEmpty else { throw HTTPError(.notFound, message: "Nothing published carries the tag #\(tag)\(page > 1 ? " on page \(page)" : "").") }
            let path = links.tag(tag)
            return HTML(renderer.listPage(
                heading: "#\(tag)", path: page > 1 ? "\(path)?page=\(page)" : path, articles: articles.prefix(Self.pageSize).map(site),
                newer: page > 1 ? "\(path)?page=\(page - 1)" : nil, older: articles.count > Self.pageSize ? "\(path)?page=\(page + 1)" : nil,
                categories: try await categories(), empty: "Nothing published with this tag."))
        }

        routes.add(.get, "/search") { request, _ in
            let query = try request.uri.form("q") ?? ""
            let page = try page(request)
            var found: [PublishedArticle] = []
            var intro: String? = nil
            if !query.trimmingCharacters(in: .whitespaces).isEmpty {
                do {
                    found = try await archive.searchPublished(query, limit: Self.pageSize + 1, offset: (page - 1) * Self.pageSize)
                } catch let error as GalleyError {
                    intro = error.message
                }
            }
            // Results page like every list: no result is out of a reader's reach.
            let path = "/search?q=\(SiteLinks.queryValue(query))"
            return HTML(renderer.listPage(
                heading: query.isEmpty ? "Search" : "Search: \(query)", intro: intro, path: page > 1 ? "\(path)&page=\(page)" : path,
                articles: found.prefix(Self.pageSize).map(site),
                newer: page > 1 ? "\(path)&page=\(page - 1)" : nil, older: found.count > Self.pageSize ? "\(path)&page=\(page + 1)" : nil,
                categories: try await categories(), query: query,
                empty: query.isEmpty ? "Type words to look for." : page > 1 ? "No more results." : "Nothing published matches."))
        }

        routes.add(.get, "/feed.atom") { _, _ in
            let articles = try await archive.latestPublished(limit: 50)
            return Atom(renderer.atom(title: renderer.siteName, selfPath: links.feed, alternatePath: links.root, articles: articles.map(site)))
        }

        routes.add(.get, "/style.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: SiteRenderer.stylesheet)))
        }

        /// "Recent trends": the latest articles of the trends category, or, when it has none,
        /// the most used tags of the last 30 days.
        @Sendable func trends(excluding id: ArticleID) async throws -> [TrendItem] {
            let category = environment.configuration.trendsCategory
            let latest = try await archive.latestPublished(limit: 6, category: category).filter { $0.id != id && !$0.retracted }.prefix(5)
            if !latest.isEmpty {
                return latest.map { TrendItem(title: $0.content.title, url: links.article($0.content.slug), date: $0.publishedAt) }
            }
            let since = environment.now.addingTimeInterval(-30 * 86_400)
            return try await archive.topTags(since: since, limit: 8).map { TrendItem(title: "#\($0.tag) (\($0.count))", url: links.tag($0.tag), date: nil) }
        }
    }
}

/// An HTML page.
struct HTML: ResponseGenerator, Sendable {
    let text: String
    init(_ text: String) { self.text = text }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// An Atom feed.
struct Atom: ResponseGenerator, Sendable {
    let text: String
    init(_ text: String) { self.text = text }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/atom+xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Headers every response carries: no script from anywhere, no sniffing, no leaking referrers.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var policy: String {
        "default-src 'none'; img-src 'self' https: data:; style-src 'self'; script-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "strict-origin-when-cross-origin"
        return response
    }
}
