import Foundation

/// An append-only comment on an article: a review remark, an answer, or the message that came
/// with a request for changes or a retraction.
public struct ReviewNote: Hashable, Sendable, Codable, Identifiable {
    public enum Kind: String, Hashable, Sendable, Codable {
        case comment
        case changesRequested = "changes_requested"
        case retraction
    }

    /// Client-generated (for notes written offline), so re-sending a note never duplicates it.
    public let id: UUID
    public let articleID: ArticleID
    public let author: String
    public let kind: Kind
    public let text: String
    /// The head revision the note was written against.
    public let revision: RevisionID?
    public let createdAt: Date

    public init(
        id: UUID = UUID(), articleID: ArticleID, author: String, kind: Kind = .comment, text: String,
        revision: RevisionID?, createdAt: Date
    ) {
        self.id = id
        self.articleID = articleID
        self.author = author
        self.kind = kind
        self.text = text
        self.revision = revision
        self.createdAt = createdAt
    }
}
