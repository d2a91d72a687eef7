import Foundation
import GalleyCore
import GalleySite
import GalleyStore
import Hummingbird

/// The published archive for readers: server-rendered HTML, no JavaScript needed. Only
/// published revisions are read (from the archive's public tables), so drafts, reviews and
/// unapproved heads cannot leak here, in similar articles, search or feeds.
struct PublicSiteController {
    let environment: ServerEnvironment
    let renderer: SiteRenderer
    var archive: any ArchiveStore { environment.archive }
    var links: SiteLinks { renderer.links }

    /// Fails, and the server with it, when the site's templates cannot be read: a server without
    /// its public pages must not start as if it had them.
    init(environment: ServerEnvironment) throws {
        self.environment = environment
        let config = environment.configuration
        renderer = try SiteRenderer(
            siteName: config.siteName, links: SiteLinks(style: .server, baseURL: config.publicURL),
            timeZone: TimeZone(identifier: config.timeZone) ?? .current, hasSearch: true)
    }

    func addRoutes(to router: some RouterMethods<GalleyRequestContext>) {
        router.get("/", use: home)
        router.get("/articles/:slug", use: article)
        router.get("/categories/:slug", use: category)
        router.get("/categories/:slug/feed.atom", use: categoryFeed)
        router.get("/tags/:tag", use: tag)
        router.get("/search", use: search)
        router.get("/feed.atom", use: feed)
        router.get("/style.css", use: stylesheet)
    }

    /// One page of a list: which slice of the archive it shows, and the addresses of its
    /// neighbours. Every list pages the same way, so no article is out of a reader's reach.
    struct ListPage {
        static let size = 20
        let number: Int

        init(_ request: Request) throws {
            number = try request.uri.intQuery("page", default: 1, range: 1...100_000)
        }

        var offset: Int { (number - 1) * Self.size }
        /// One more than a page holds, to tell whether there is an older page.
        var fetchLimit: Int { Self.size + 1 }

        /// `base` for the first page, `base?page=N` (or `&page=N`) for the others.
        func address(_ base: String, page: Int? = nil) -> String {
            let page = page ?? number
            return page <= 1 ? base : base + (base.contains("?") ? "&" : "?") + "page=\(page)"
        }

        func newer(_ base: String) -> String? { number > 1 ? address(base, page: number - 1) : nil }
        func older(_ base: String, fetched: [PublishedArticle]) -> String? { fetched.count > Self.size ? address(base, page: number + 1) : nil }
        func shown(_ fetched: [PublishedArticle]) -> [PublishedArticle] { Array(fetched.prefix(Self.size)) }

        /// A page past the last one is not there (page 1 of an empty list is, with a sentence).
        func found(_ articles: [PublishedArticle], _ what: String) throws -> [PublishedArticle] {
            guard number == 1 || !articles.isEmpty else { throw HTTPError(.notFound, message: "\(what) has no page \(number).") }
            return articles
        }
    }

    func list(
        heading: String, intro: String? = nil, base: String, page: ListPage, fetched: [PublishedArticle], categories: [Category],
        feed: String? = nil, query: String = "", empty: String = "Nothing published here yet."
    ) -> HTML {
        HTML(renderer.listPage(
            heading: heading, intro: intro, path: page.address(base), articles: page.shown(fetched),
            newer: page.newer(base), older: page.older(base, fetched: fetched), categories: categories, query: query, feed: feed,
            empty: empty))
    }

    // MARK: Handlers

    @Sendable func home(_ request: Request, context: GalleyRequestContext) async throws -> HTML {
        let page = try ListPage(request)
        let articles = try page.found(try await archive.latestPublished(.init(limit: page.fetchLimit, offset: page.offset)), "The archive")
        return list(heading: renderer.siteName, base: links.root, page: page, fetched: articles, categories: try await archive.categories())
    }

    @Sendable func article(_ request: Request, context: GalleyRequestContext) async throws -> HTML {
        let slug = try context.parameters.text("slug")
        guard let article = try await archive.publishedArticle(slug: slug) else {
            throw HTTPError(.notFound, message: "There is no published article at this address.")
        }
        let similar = try await archive.similarArticles(of: article.id, count: 3)
        return HTML(renderer.articlePage(
            article, similar: similar, trends: try await trends(excluding: article.id), categories: try await archive.categories()))
    }

    @Sendable func category(_ request: Request, context: GalleyRequestContext) async throws -> HTML {
        let slug = try context.parameters.text("slug")
        let all = try await archive.categories()
        guard let category = all.first(where: { $0.slug == slug }) else { throw HTTPError(.notFound, message: "There is no category '\(slug)'.") }
        let page = try ListPage(request)
        let articles = try page.found(
            try await archive.latestPublished(.init(limit: page.fetchLimit, offset: page.offset, category: slug)), "This category")
        return list(heading: category.name, base: links.category(slug), page: page, fetched: articles, categories: all, feed: links.categoryFeed(slug))
    }

    @Sendable func categoryFeed(_ request: Request, context: GalleyRequestContext) async throws -> Atom {
        let slug = try context.parameters.text("slug")
        guard let category = try await archive.categories().first(where: { $0.slug == slug }) else {
            throw HTTPError(.notFound, message: "There is no category '\(slug)'.")
        }
        let articles = try await archive.latestPublished(.init(limit: 50, category: slug))
        return Atom(renderer.atom(
            title: "\(renderer.siteName): \(category.name)", selfPath: links.categoryFeed(slug), alternatePath: links.category(slug), articles: articles))
    }

    @Sendable func tag(_ request: Request, context: GalleyRequestContext) async throws -> HTML {
        let asked = try context.parameters.text("tag")
        let page = try ListPage(request)
        // Tags are stored lowercase without '#'; one stored before that keeps its own address.
        var tag = asked
        var articles = try await archive.latestPublished(.init(limit: page.fetchLimit, offset: page.offset, tag: tag))
        if articles.isEmpty, ArticleContent.tag(asked) != asked {
            tag = ArticleContent.tag(asked)
            articles = try await archive.latestPublished(.init(limit: page.fetchLimit, offset: page.offset, tag: tag))
        }
        // A tag exists while something published carries it: /tags/anything is not a page.
        guard !articles.isEmpty else {
            throw HTTPError(.notFound, message: "Nothing published carries the tag #\(tag)\(page.number > 1 ? " on page \(page.number)" : "").")
        }
        return list(
            heading: "#\(tag)", base: links.tag(tag), page: page, fetched: articles, categories: try await archive.categories(),
            empty: "Nothing published with this tag.")
    }

    @Sendable func search(_ request: Request, context: GalleyRequestContext) async throws -> HTML {
        let query = try request.uri.form("q") ?? ""
        let page = try ListPage(request)
        var found: [PublishedArticle] = []
        var intro: String? = nil
        if !query.trimmingCharacters(in: .whitespaces).isEmpty {
            do {
                found = try await archive.searchPublished(query, limit: page.fetchLimit, offset: page.offset)
            } catch let error as GalleyError {
                intro = error.message
            }
        }
        return list(
            heading: query.isEmpty ? "Search" : "Search: \(query)", intro: intro, base: "/search?q=\(SiteLinks.queryValue(query))", page: page,
            fetched: found, categories: try await archive.categories(), query: query,
            empty: query.isEmpty ? "Type words to look for." : page.number > 1 ? "No more results." : "Nothing published matches.")
    }

    @Sendable func feed(_ request: Request, context: GalleyRequestContext) async throws -> Atom {
        let articles = try await archive.latestPublished(.init(limit: 50))
        return Atom(renderer.atom(title: renderer.siteName, selfPath: links.feed, alternatePath: links.root, articles: articles))
    }

    @Sendable func stylesheet(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
            body: .init(byteBuffer: ByteBuffer(string: SiteRenderer.stylesheet)))
    }

    /// "Recent trends": the latest articles of the trends category, or, when it has none,
    /// the most used tags of the last 30 days.
    func trends(excluding id: ArticleID) async throws -> [TrendItem] {
        let category = environment.configuration.trendsCategory
        let latest = try await archive.latestPublished(.init(limit: 6, category: category)).filter { $0.id != id && !$0.retracted }.prefix(5)
        if !latest.isEmpty {
            return latest.map { TrendItem(title: $0.content.title, url: links.article($0.content.slug), date: $0.publishedAt) }
        }
        let since = environment.now.addingTimeInterval(-30 * 86_400)
        return try await archive.topTags(since: since, limit: 8).map { TrendItem(title: "#\($0.tag) (\($0.count))", url: links.tag($0.tag), date: nil) }
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

    /// The desk shows drafts an analyst wrote: an image from another server in one would tell
    /// that server which editor read it, and when. The desk loads images from itself only.
    static var deskPolicy: String { policy.replacingOccurrences(of: "img-src 'self' https: data:", with: "img-src 'self' data:") }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = DeskCookie.applies(to: request.uri.path) ? Self.deskPolicy : Self.policy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "strict-origin-when-cross-origin"
        return response
    }
}

/// HEAD wherever GET is answered (RFC 9110): the GET's status and headers, without its body.
/// Monitors and link checkers ask so. It wraps the router itself, since the router's own
/// middleware runs only once a route (a GET one, here) has matched.
struct HeadAsGet<Inner: HTTPResponder>: HTTPResponder where Inner.Context == GalleyRequestContext {
    let inner: Inner

    func respond(to request: Request, context: Inner.Context) async throws -> Response {
        guard request.method == .head else { return try await inner.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        var context = context
        context.askedWithHead = true
        var response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
        // HEAD says how long the GET's body is (RFC 9110 §9.3.2): emptying the body would
        // otherwise set Content-Length: 0, telling a checker the page is empty.
        let length = response.body.contentLength
        response.body = .init()
        response.headers[.contentLength] = length.map(String.init)
        return response
    }
}
