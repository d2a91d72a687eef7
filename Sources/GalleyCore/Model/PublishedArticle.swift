import Foundation

/// A published article as readers see it: the *published* revision's content, never the head.
/// The one shape of a public article: the archive's public rows, the server's pages and feeds,
/// and the static site all take it.
public struct PublishedArticle: Sendable, Hashable {
    public var id: ArticleID
    public var content: ArticleContent
    public var authors: [String]
    /// Articles an editor chose to show beside this one.
    public var related: [ArticleID]
    public var publishedAt: Date
    public var updatedAt: Date
    public var retracted: Bool
    public var retractionMessage: String?

    public init(
        id: ArticleID, content: ArticleContent, authors: [String], related: [ArticleID] = [], publishedAt: Date, updatedAt: Date,
        retracted: Bool, retractionMessage: String?
    ) {
        self.id = id
        var content = content
        if retracted {
            // A retracted article keeps its address and title, and shows only the editor's notice:
            // its words leave every page, card and feed, not just its own page.
            content.lead = ""
            content.body = ""
            content.image = ""
            content.imageCredit = ""
        }
        self.content = content
        self.authors = authors
        self.related = related
        self.publishedAt = publishedAt
        self.updatedAt = updatedAt
        self.retracted = retracted
        self.retractionMessage = retractionMessage
    }

    /// The reader's view of `article`, whose published revision has `published` content; nil
    /// when the article is not public.
    public init?(article: Article, published: ArticleContent) {
        guard article.isPublic else { return nil }
        self.init(
            id: article.id, content: published, authors: article.authors, related: article.related, publishedAt: article.publishedAt ?? article.updatedAt,
            updatedAt: article.updatedAt, retracted: article.state == .retracted, retractionMessage: article.retractionMessage)
    }
}
