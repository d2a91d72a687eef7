import Foundation
import GalleyCore
import GalleySite
import GalleyStore

extension GalleyApp {
    /// `galley site build DIR`: the public site from this replica, offline, as static files.
    /// Only published revisions are used, as on the server.
    public func buildSite(to directory: URL, siteName: String = "Galley", baseURL: String? = nil, trendsCategory: String = "trends",
                          timeZone: TimeZone = .current) throws -> StaticSite.Report {
        var articles: [SiteArticle] = []
        var related: [ArticleID: [ArticleID]] = [:]
        for view in try replica.list(limit: 1_000_000) where view.isPublic {
            // The server's state: local unpushed edits are not published.
            let server = try replica.serverArticle(view.id) ?? view
            guard server.isPublic, let publishedID = server.publishedRevision, let published = try replica.revision(publishedID),
                let site = SiteArticle(article: server, published: published.content)
            else { continue }
            articles.append(site)
            related[server.id] = server.related
        }
        let renderer = try SiteRenderer(siteName: siteName, links: SiteLinks(style: .staticFiles, baseURL: baseURL), timeZone: timeZone, hasSearch: false)
        let site = StaticSite(
            renderer: renderer, articles: articles, related: related, categories: try replica.categories(), trendsCategory: trendsCategory,
            mediaSource: workspace.mediaDir, now: now)
        return try site.write(to: directory)
    }
}
