import Foundation
import GalleyCore
import GalleySite
import GalleyStore

extension GalleyApp {
    /// `galley site build DIR`: the public site from this replica, offline, as static files.
    /// Only published revisions are used, as on the server.
    /// Images that published articles show but that this workspace lacks (attached on another
    /// laptop) are fetched from the server first when it can be reached; the report counts the
    /// ones still missing.
    package func buildSite(to directory: URL, siteName: String = "Galley", baseURL: String? = nil, trendsCategory: String = "trends",
                          timeZone: TimeZone = .current) async throws -> StaticSite.Report {
        var articles: [PublishedArticle] = []
        var related: [ArticleID: [ArticleID]] = [:]
        for view in try replica.list(limit: 1_000_000) where view.isPublic {
            // The server's state: local unpushed edits are not published.
            let server = try replica.serverArticle(view.id) ?? view
            guard server.isPublic, let publishedID = server.publishedRevision, let published = try replica.revision(publishedID),
                let site = PublishedArticle(article: server, published: published.content)
            else { continue }
            articles.append(site)
            related[server.id] = server.related
        }
        var missing = 0
        for name in Set(articles.map(\.content.image).filter { $0.hasPrefix("/media/") }.map { String($0.dropFirst(7)) }) where ImageKind.isMediaName(name) {
            let file = workspace.mediaDir.appendingPathComponent(name)
            guard !FileManager.default.fileExists(atPath: file.path) else { continue }
            do {
                let data = try await api(authenticated: false).media(name)
                // Content-addressed: what arrives must be what the name says.
                guard let kind = ImageKind(sniffing: [UInt8](data)), ImageKind.mediaName(for: [UInt8](data), kind: kind) == name else {
                    missing += 1
                    continue
                }
                try FileManager.default.createDirectory(at: workspace.mediaDir, withIntermediateDirectories: true)
                try data.write(to: file, options: .atomic)
            } catch {
                missing += 1
            }
        }
        let renderer = try SiteRenderer(siteName: siteName, links: SiteLinks(style: .staticFiles, baseURL: baseURL), timeZone: timeZone, hasSearch: false)
        let site = StaticSite(
            renderer: renderer, articles: articles, related: related, categories: try replica.categories(), trendsCategory: trendsCategory,
            mediaSource: workspace.mediaDir, now: now)
        var report = try site.write(to: directory)
        report.missingImages = missing
        return report
    }

    /// `galley site preview ID DIR`: the article as readers would see it if its current text
    /// (this workspace's, unsynced edits included) were published now, with the site's own
    /// templates and Markdown, offline. Returns the page to open.
    package func previewArticle(_ token: String, to directory: URL, siteName: String = "Galley", timeZone: TimeZone = .current) throws -> URL {
        var article = try find(token)
        article.state = .published
        article.publishedAt = article.publishedAt ?? now
        article.publishedRevision = article.headRevision
        guard let site = PublishedArticle(article: article, published: article.content) else {
            throw GalleyError(.notFound, "\(token) cannot be shown.")
        }
        let renderer = try SiteRenderer(siteName: siteName, links: SiteLinks(style: .staticFiles, baseURL: nil), timeZone: timeZone, hasSearch: false)
        let preview = StaticSite(
            renderer: renderer, articles: [site], related: [:], categories: try replica.categories(), trendsCategory: "",
            mediaSource: workspace.mediaDir, now: now)
        _ = try preview.write(to: directory)
        let slug = renderer.links.article(site.content.slug).dropFirst()
        return directory.appendingPathComponent((String(slug).removingPercentEncoding ?? String(slug)) + (slug.hasSuffix("/") ? "index.html" : "/index.html"))
    }
}
