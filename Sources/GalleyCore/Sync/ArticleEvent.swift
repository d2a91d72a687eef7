import Foundation

/// One workflow step of an article (created, submitted, approved, published …), who took it and
/// on which revision: what `galley log` shows beside the revisions.
public struct ArticleEvent: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        case created, submitted, approved, scheduled, published, retracted, archived, reopened, deleted, restored
        case changesRequested = "changes_requested"

        /// The kind of an event as the archive records it (`state:approved`, `create`, …); nil
        /// for events that are not workflow steps (revisions, notes, metadata).
        public init?(recorded: String) {
            switch recorded {
            case "create": self = .created
            case "delete": self = .deleted
            case "undelete": self = .restored
            case "state:draft": self = .reopened
            case _ where recorded.hasPrefix("state:"):
                guard let state = ArticleState(rawValue: String(recorded.dropFirst(6))), let kind = Kind(rawValue: state.rawValue) else { return nil }
                self = kind
            default: return nil
            }
        }
    }

    /// The archive's sequence number of the step.
    public var seq: Int64
    public var articleID: ArticleID
    public var kind: Kind
    public var actor: String
    /// The head revision after the step (for an approval: the revision approved).
    public var revision: RevisionID?
    public var at: Date

    public init(seq: Int64, articleID: ArticleID, kind: Kind, actor: String, revision: RevisionID?, at: Date) {
        self.seq = seq
        self.articleID = articleID
        self.kind = kind
        self.actor = actor
        self.revision = revision
        self.at = at
    }

    enum CodingKeys: String, CodingKey { case seq, articleID = "articleId", kind, actor, revision, at }
}
