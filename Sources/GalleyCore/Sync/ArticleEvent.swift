import Foundation

/// One workflow step of an article (created, submitted, approved, published …), who took it and
/// on which revision: what `galley log` shows beside the revisions.
public struct ArticleEvent: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        case created, submitted, approved, scheduled, published, retracted, archived, reopened, deleted, restored
        case changesRequested = "changes_requested"

        /// The workflow step a change-log event is, or nil for events that are not steps
        /// (revisions, notes, metadata).
        public init?(_ event: ChangeApplier.Event) {
            switch event {
            case .created: self = .created
            case .deleted: self = .deleted
            case .restored: self = .restored
            case .state(.draft): self = .reopened
            case .state(let state):
                guard let kind = Kind(rawValue: state.rawValue) else { return nil }
                self = kind
            case .revised, .metadata, .conflicts, .note, .noop: return nil
            }
        }

        /// The kind of an event as the archive records it (`state:approved`, `create`, …).
        public init?(recorded: String) {
            guard let event = ChangeApplier.Event(recorded: recorded) else { return nil }
            self.init(event)
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
