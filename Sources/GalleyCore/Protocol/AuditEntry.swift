import Foundation

/// One line of the audit log: who did what to which article, when.
public struct AuditEntry: Hashable, Sendable, Codable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var action: String
    public var articleID: ArticleID?
    public var revision: RevisionID?
    public var detail: String?

    public init(id: Int64, at: Date, actor: String, action: String, articleID: ArticleID?, revision: RevisionID?, detail: String?) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.articleID = articleID
        self.revision = revision
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey { case id, at, actor, action, articleID = "articleId", revision, detail }
}
