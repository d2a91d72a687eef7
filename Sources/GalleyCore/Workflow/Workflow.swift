import Foundation

/// The one place that decides every workflow transition and who may make it.
///
/// `decide` is pure: it takes the article's workflow status, its head, the number of open
/// conflicts, the actor and the action, and returns the new status or an error that says what to
/// do. The server runs it for every change it applies; the client runs it too, so that an analyst
/// offline hears at once that only editors publish.
public enum Workflow {
    /// The workflow fields of an article.
    public struct Status: Hashable, Sendable, Codable {
        public var state: ArticleState
        /// The revision an editor approved; meaningful while ``state`` is approved or scheduled.
        public var approvedRevision: RevisionID?
        /// The revision readers see, if any. It stays live while a newer head is in review.
        public var publishedRevision: RevisionID?
        /// When a scheduled article goes live (UTC).
        public var scheduledAt: Date?
        /// When the published revision first went live.
        public var publishedAt: Date?
        /// The editor's message when the article was retracted.
        public var retractionMessage: String?

        public init(
            state: ArticleState = .draft, approvedRevision: RevisionID? = nil, publishedRevision: RevisionID? = nil,
            scheduledAt: Date? = nil, publishedAt: Date? = nil, retractionMessage: String? = nil
        ) {
            self.state = state
            self.approvedRevision = approvedRevision
            self.publishedRevision = publishedRevision
            self.scheduledAt = scheduledAt
            self.publishedAt = publishedAt
            self.retractionMessage = retractionMessage
        }
    }

    /// Who acts.
    public struct Actor: Hashable, Sendable {
        public var role: Role
        /// Whether the actor is one of the article's authors.
        public var isAuthor: Bool
        public init(role: Role, isAuthor: Bool) {
            self.role = role
            self.isAuthor = isAuthor
        }
    }

    /// What the actor does to the article.
    public enum Action: Hashable, Sendable {
        /// Any change to the content (title, lead, body, tags, category, slug, image).
        case edit
        /// Adding or removing co-authors.
        case changeAuthors
        /// Choosing related articles.
        case curateRelated
        /// Deleting the article (a tombstone).
        case delete
        case command(WorkflowCommand)
    }

    /// Decides `action` by `actor` on an article whose head is `head`.
    ///
    /// - Parameters:
    ///   - openConflicts: unresolved conflicts on the article; they block submit, approve, publish.
    ///   - now: the time of the decision, for scheduling.
    public static func decide(
        _ action: Action, status: Status, head: RevisionID, openConflicts: Int, actor: Actor, now: Date
    ) -> Result<Status, GalleyError> {
        var next = status
        let reviewer = actor.role.canReview
        let everPublished = status.publishedRevision != nil

        /// For steps that only editors and admins take.
        func reviewersOnly(_ what: String) -> GalleyError {
            GalleyError(.notAllowed, "Analysts cannot \(what); ask an editor.")
        }
        /// For steps that the article's authors (and editors) take.
        func authorsOnly(_ what: String) -> GalleyError {
            GalleyError(.notAuthor, "You are not an author of this article, so you cannot \(what); ask one of its authors or an editor.")
        }
        func wrongState(_ what: String, _ hint: String = "") -> GalleyError {
            GalleyError(
                .invalidTransition,
                "Cannot \(what) an article that is \(describe(status.state))\(hint.isEmpty ? "" : "; \(hint)").")
        }
        func conflicted(_ what: String) -> GalleyError {
            GalleyError(
                .openConflict,
                "Cannot \(what): the article has \(openConflicts) unresolved conflict\(openConflicts == 1 ? "" : "s"); resolve \(openConflicts == 1 ? "it" : "them") first (galley conflicts, galley resolve).")
        }

        switch action {
        case .edit, .changeAuthors:
            guard actor.isAuthor || reviewer else {
                return .failure(authorsOnly(action == .edit ? "edit it" : "change its authors"))
            }
            switch status.state {
            case .approved, .scheduled, .published:
                // Any new text or byline voids the approval: the editor approved another article.
                next.state = .submitted
                next.approvedRevision = nil
                next.scheduledAt = nil
            case .draft, .submitted, .changesRequested, .retracted, .archived:
                break
            }

        case .curateRelated:
            guard reviewer else { return .failure(reviewersOnly("choose related articles")) }

        case .delete:
            guard actor.isAuthor || reviewer else { return .failure(authorsOnly("delete it")) }
            guard !everPublished else {
                return .failure(GalleyError(
                    .invalidTransition,
                    "Cannot delete an article that has been published; retract or archive it instead."))
            }
            // A deleted article is never published on schedule.
            if next.state == .scheduled { next.state = .approved }
            next.scheduledAt = nil

        case .command(.submit):
            guard actor.isAuthor || reviewer else { return .failure(authorsOnly("submit it")) }
            guard openConflicts == 0 else { return .failure(conflicted("submit")) }
            switch status.state {
            case .draft, .changesRequested:
                next.state = .submitted
            case .submitted:
                return .failure(wrongState("submit", "it is already waiting for review"))
            default:
                return .failure(wrongState("submit", "edit it first if it needs another review"))
            }

        case .command(.approve(let revision)):
            guard reviewer else { return .failure(reviewersOnly("approve articles")) }
            guard openConflicts == 0 else { return .failure(conflicted("approve")) }
            guard status.state == .submitted else {
                return .failure(wrongState("approve", "only submitted articles can be approved"))
            }
            guard revision == head else {
                return .failure(GalleyError(
                    .staleRevision,
                    "You approved revision \(revision.short), but the article has changed since: its head is now \(head.short). Read the new text and approve again."))
            }
            next.state = .approved
            next.approvedRevision = revision

        case .command(.requestChanges(let message)):
            guard reviewer else { return .failure(reviewersOnly("request changes")) }
            guard !message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                return .failure(GalleyError(.messageRequired, "Say what should change: a request for changes needs a message.", field: "command.message"))
            }
            switch status.state {
            case .submitted, .approved, .scheduled:
                next.state = .changesRequested
                next.approvedRevision = nil
                next.scheduledAt = nil
            default:
                return .failure(wrongState("request changes on", "only articles in review can be sent back"))
            }

        case .command(.publish(let at)):
            guard reviewer else { return .failure(reviewersOnly("publish")) }
            guard openConflicts == 0 else { return .failure(conflicted("publish")) }
            guard status.state == .approved || status.state == .scheduled else {
                return .failure(wrongState("publish", "an editor must approve its current revision first"))
            }
            guard let approved = status.approvedRevision, approved == head else {
                return .failure(GalleyError(
                    .staleRevision,
                    "The approval is void: the article changed after it was approved (head \(head.short)). Approve the current revision, then publish."))
            }
            // A time no RFC 3339 timestamp can carry would be stored and then break every
            // client's sync that reads it; beyond a century it is a typing slip, not a plan.
            if let at, at > now.addingTimeInterval(100 * 366 * 86_400) || Timestamp.parse(Timestamp.format(at)) == nil {
                return .failure(GalleyError(
                    .fieldInvalid, "Publish within the next hundred years (\(Timestamp.format(at)) is not a date Galley schedules).", field: "command.at"))
            }
            if let at, at > now {
                next.state = .scheduled
                next.scheduledAt = at
            } else {
                next.state = .published
                next.publishedRevision = approved
                next.publishedAt = status.publishedAt ?? now
                next.scheduledAt = nil
                next.retractionMessage = nil
            }

        case .command(.retract(let message)):
            guard reviewer else { return .failure(reviewersOnly("retract articles")) }
            guard !message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                return .failure(GalleyError(.messageRequired, "Say why: a retraction needs a correction note for readers.", field: "command.message"))
            }
            guard everPublished, status.state != .retracted, status.state != .archived else {
                return .failure(wrongState("retract", "only a published article can be retracted"))
            }
            next.state = .retracted
            next.approvedRevision = nil
            next.scheduledAt = nil
            next.retractionMessage = message

        case .command(.archive):
            guard reviewer || (actor.isAuthor && !everPublished) else {
                return .failure(actor.isAuthor
                    ? GalleyError(.notAllowed, "Only an editor can archive an article that has been published.")
                    : authorsOnly("archive it"))
            }
            guard status.state != .archived else { return .failure(wrongState("archive")) }
            next.state = .archived
            next.scheduledAt = nil

        case .command(.reopen):
            guard reviewer || (actor.isAuthor && !everPublished) else {
                return .failure(actor.isAuthor
                    ? GalleyError(.notAllowed, "Only an editor can reopen an article that has been published.")
                    : authorsOnly("reopen it"))
            }
            guard status.state == .archived || status.state == .retracted else {
                return .failure(wrongState("reopen", "only archived or retracted articles can be reopened"))
            }
            // A reopened article must earn its place on the site again through review.
            next = Status(state: .draft)
        }
        return .success(next)
    }

    static func describe(_ state: ArticleState) -> String {
        switch state {
        case .draft: "a draft"
        case .submitted: "submitted"
        case .changesRequested: "waiting for changes"
        case .approved: "approved"
        case .scheduled: "scheduled"
        case .published: "published"
        case .retracted: "retracted"
        case .archived: "archived"
        }
    }
}
