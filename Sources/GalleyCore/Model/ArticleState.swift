/// Where an article is in its review life. The state describes the *head* revision; the
/// published revision (if any) stays live on the site whatever the head is doing.
public enum ArticleState: String, Hashable, Sendable, Codable, CaseIterable {
    case draft
    case submitted
    case changesRequested = "changes_requested"
    case approved
    case scheduled
    case published
    case retracted
    case archived
}
