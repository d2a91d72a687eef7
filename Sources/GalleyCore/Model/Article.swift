import Foundation

/// An article as a replica knows it: the head content plus everything the workflow tracks.
@dynamicMemberLookup
public struct Article: Hashable, Sendable, Codable, Identifiable {
    public let id: ArticleID
    /// The content of ``headRevision``.
    public var content: ArticleContent
    /// User names, first author first. A co-author has the author's rights.
    public var authors: [String]
    public var headRevision: RevisionID
    /// Where the article is in the workflow: the one value ``Workflow`` decides on and returns.
    public var workflowStatus: Workflow.Status
    /// Editor-curated related articles, shown first under "Similar articles".
    public var related: [ArticleID]
    public var createdAt: Date
    public var updatedAt: Date
    /// A tombstone: the article was deleted; its id stays reserved.
    public var deleted: Bool

    public init(
        id: ArticleID, content: ArticleContent, authors: [String], state: ArticleState = .draft,
        headRevision: RevisionID, approvedRevision: RevisionID? = nil, publishedRevision: RevisionID? = nil,
        scheduledAt: Date? = nil, publishedAt: Date? = nil, related: [ArticleID] = [],
        retractionMessage: String? = nil, createdAt: Date, updatedAt: Date, deleted: Bool = false
    ) {
        self.id = id
        self.content = content
        self.authors = authors
        self.headRevision = headRevision
        self.workflowStatus = Workflow.Status(
            state: state, approvedRevision: approvedRevision, publishedRevision: publishedRevision, scheduledAt: scheduledAt,
            publishedAt: publishedAt, retractionMessage: retractionMessage)
        self.related = related
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deleted = deleted
    }

    public func isAuthor(_ user: String) -> Bool { authors.contains(user) }

    /// Whether readers can reach the article on the public site (a retracted one shows its notice).
    public var isPublic: Bool {
        !deleted && self.publishedRevision != nil && self.state != .archived
    }

    /// The workflow status's parts (`article.state`, `article.approvedRevision`, …), read and
    /// written in place.
    public subscript<Value>(dynamicMember path: WritableKeyPath<Workflow.Status, Value>) -> Value {
        get { workflowStatus[keyPath: path] }
        set { workflowStatus[keyPath: path] = newValue }
    }
}
