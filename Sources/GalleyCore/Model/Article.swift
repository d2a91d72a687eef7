import Foundation

/// An article as a replica knows it: the head content plus everything the workflow tracks.
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
        !deleted && publishedRevision != nil && state != .archived
    }

    // The workflow status's parts, read and written in place.
    public var state: ArticleState {
        get { workflowStatus.state }
        set { workflowStatus.state = newValue }
    }
    /// The revision an editor approved; meaningful while ``state`` is approved or scheduled.
    public var approvedRevision: RevisionID? {
        get { workflowStatus.approvedRevision }
        set { workflowStatus.approvedRevision = newValue }
    }
    /// The revision readers see, if any. It stays live while a newer head is in review.
    public var publishedRevision: RevisionID? {
        get { workflowStatus.publishedRevision }
        set { workflowStatus.publishedRevision = newValue }
    }
    /// When a scheduled article goes live (UTC).
    public var scheduledAt: Date? {
        get { workflowStatus.scheduledAt }
        set { workflowStatus.scheduledAt = newValue }
    }
    /// When the published revision first went live.
    public var publishedAt: Date? {
        get { workflowStatus.publishedAt }
        set { workflowStatus.publishedAt = newValue }
    }
    /// The editor's message when the article was retracted.
    public var retractionMessage: String? {
        get { workflowStatus.retractionMessage }
        set { workflowStatus.retractionMessage = newValue }
    }
}
