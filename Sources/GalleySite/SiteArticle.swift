import Foundation
import GalleyCore

/// One line of "Recent trends": an article, or a tag people wrote about lately.
public struct TrendItem: Sendable, Hashable {
    public var title: String
    public var url: String
    public var date: Date?

    public init(title: String, url: String, date: Date?) {
        self.title = title
        self.url = url
        self.date = date
    }
}

/// Where pages live: on the server (`/articles/slug`) or in a static folder
/// (`/articles/slug/`, served from `articles/slug/index.html`).
public struct SiteLinks: Sendable {
    public enum Style: Sendable { case server, staticFiles }
    public var style: Style
    /// The public address (`https://analysis.example.org`) for canonical links and feeds.
    public var baseURL: String?

    public init(style: Style, baseURL: String? = nil) {
        self.style = style
        var base = baseURL
        while base?.hasSuffix("/") == true { base?.removeLast() }
        self.baseURL = base
    }

    var folder: String { style == .staticFiles ? "/" : "" }

    public var root: String { "/" }
    public func article(_ slug: String) -> String { "/articles/\(Self.segment(slug))\(folder)" }
    public func category(_ slug: String) -> String { "/categories/\(Self.segment(slug))\(folder)" }
    public func tag(_ tag: String) -> String { "/tags/\(Self.segment(tag))\(folder)" }
    public var feed: String { "/feed.atom" }
    public func categoryFeed(_ slug: String) -> String { "/categories/\(Self.segment(slug))/feed.atom" }
    public func home(page: Int) -> String {
        page <= 1 ? "/" : (style == .staticFiles ? "/page/\(page)/" : "/?page=\(page)")
    }

    /// An absolute address when the base URL is known, else the path.
    public func absolute(_ path: String) -> String { (baseURL ?? "") + path }

    /// A value for a query string (`?q=…`), as a form would send it.
    public static func queryValue(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    static func segment(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? s
    }
}
