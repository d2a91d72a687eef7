import Foundation
import GalleyCore

/// One line of "Recent trends": an article, or a tag people wrote about lately.
package struct TrendItem: Sendable, Hashable {
    package var title: String
    package var url: String
    package var date: Date?

    package init(title: String, url: String, date: Date?) {
        self.title = title
        self.url = url
        self.date = date
    }
}

/// Where pages live: on the server (`/articles/slug`) or in a static folder
/// (`/articles/slug/`, served from `articles/slug/index.html`).
package struct SiteLinks: Sendable {
    package enum Style: Sendable { case server, staticFiles }
    package var style: Style
    /// The public address (`https://analysis.example.org`) for canonical links and feeds.
    package var baseURL: String?

    package init(style: Style, baseURL: String? = nil) {
        self.style = style
        var base = baseURL
        while base?.hasSuffix("/") == true { base?.removeLast() }
        self.baseURL = base
    }

    var folder: String { style == .staticFiles ? "/" : "" }

    package var root: String { "/" }
    package func article(_ slug: String) -> String { "/articles/\(Self.segment(slug))\(folder)" }
    package func category(_ slug: String) -> String { "/categories/\(Self.segment(slug))\(folder)" }
    package func tag(_ tag: String) -> String { "/tags/\(Self.segment(tag))\(folder)" }
    package var feed: String { "/feed.atom" }
    package func categoryFeed(_ slug: String) -> String { "/categories/\(Self.segment(slug))/feed.atom" }
    package func home(page: Int) -> String {
        page <= 1 ? "/" : (style == .staticFiles ? "/page/\(page)/" : "/?page=\(page)")
    }

    /// An absolute address when the base URL is known, else the path.
    package func absolute(_ path: String) -> String { (baseURL ?? "") + path }

    /// A value for a query string (`?q=…`), as a form would send it.
    package static func queryValue(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    static func segment(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? s
    }
}
