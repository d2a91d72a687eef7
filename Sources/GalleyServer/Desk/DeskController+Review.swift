import Foundation
import GalleyCore
import GalleySite
import GalleyStore
import Hummingbird

/// The review page of one article and what an editor does there. Every action is a change of
/// the server's through the same rules (``ChangeApplier``) and audit log as the API's; the page
/// shows only what the rules would allow, and the rules refuse anything else.
extension DeskController {
    func addReviewRoutes(to router: some RouterMethods<GalleyRequestContext>) {
        router.get("/desk/articles/:id", use: review)
        router.post("/desk/articles/:id/approve", use: approve)
        router.post("/desk/articles/:id/request-changes", use: requestChanges)
        router.post("/desk/articles/:id/publish", use: publish)
        router.post("/desk/articles/:id/retract", use: retract)
        router.post("/desk/articles/:id/notes", use: addNote)
    }

    /// Who is signed in on the desk, or nil (then the handler sends them to sign in).
    func deskUser(_ context: GalleyRequestContext) -> (ChangeApplier.Actor, DeskRenderer.Viewer)? {
        guard let user = context.user, let formToken = context.formToken else { return nil }
        return (ChangeApplier.Actor(name: user.name, role: user.role), DeskRenderer.Viewer(name: user.name, role: user.role, formToken: formToken))
    }

    /// The article if the viewer may see it in full (an editor, or one of its authors), as the
    /// API decides it; else 404, the same answer as for no article at all.
    func reviewable(_ context: GalleyRequestContext, _ actor: ChangeApplier.Actor) async throws -> Article {
        let id = try context.parameters.articleID()
        guard let article = try await archive.article(id, viewer: actor), !article.deleted || actor.role.canReview,
            actor.role.canReview || article.isAuthor(actor.name), let real = try await archive.article(id)
        else {
            throw ChangeApplier.unseen(id)
        }
        return real
    }

    /// The notices a redirect after an action may name (a fixed set: nothing from the address
    /// reaches the page).
    static let notices = [
        "approved": "Approved. Publishing it is the next step.", "changes": "Changes requested; the author sees your note when they sync.",
        "published": "Published.", "scheduled": "Scheduled.", "retracted": "Retracted; readers see your notice.", "note": "Note added.",
    ]

    @Sendable func review(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        guard let (actor, viewer) = deskUser(context) else { return redirect(to: "/desk/login") }
        let article = try await reviewable(context, actor)
        let notice = try request.uri.form("done").flatMap { Self.notices[$0] }
        // A HEAD request reads nothing to anyone: it marks no note read.
        return try await reviewPage(article, actor: actor, viewer: viewer, notice: notice, markRead: !context.askedWithHead)
    }

    func reviewPage(
        _ article: Article, actor: ChangeApplier.Actor, viewer: DeskRenderer.Viewer, status: HTTPResponse.Status = .ok,
        problem: String? = nil, since: RevisionID? = nil, notice: String? = nil, markRead: Bool = true
    ) async throws -> Response {
        let conflicts = try await archive.conflicts(of: article.id, openOnly: true)
        // Marked read before they are fetched: a note that arrives between the two is shown and
        // stays unread, never the other way round.
        let unread = markRead ? try await archive.readNotes(of: article.id, by: actor.name) : []
        let notes = try await archive.notes(of: article.id)
        let categories = try await archive.categories()
        var comparisons: [DeskRenderer.Comparison] = []
        let status_ = article.workflowStatus
        // What an editor compares with: the text readers have, the text last approved (the
        // approval may have been voided by an edit since), and the text last sent back (an
        // article resubmitted after changes were requested may have neither of the first two).
        // One revision is compared once, under the first of these names it has.
        let sentBack = notes.last { $0.kind == .changesRequested }?.revision
        let approved = try await archive.lastApproval(of: article.id)
        var compared: Set<RevisionID> = [article.headRevision]
        for (name, revision) in [
            ("Since the published revision", status_.publishedRevision),
            (status_.approvedRevision == nil ? "Since the last approval (voided by later edits)" : "Since the approved revision", approved),
            ("Since changes were requested", sentBack),
        ] {
            guard let revision, compared.insert(revision).inserted, let old = try await archive.revision(revision) else { continue }
            comparisons.append(.init(heading: "\(name) (\(revision.short))", fields: Self.textDiffs(from: old.content, to: article.content)))
        }
        // Where Galley merged two people's words in one paragraph since the text last reviewed
        // (the notes the merge wrote, on revisions the base does not descend to): read those first.
        let reviewedBase = approved ?? status_.publishedRevision ?? sentBack
        let revisions = try await archive.revisions(of: article.id)
        let sinceBase = Revision.ancestors(of: article.headRevision, in: revisions).subtracting(reviewedBase.map { Revision.ancestors(of: $0, in: revisions) } ?? [])
        let merges = notes.filter { $0.author == ChangeApplier.wordMergeAuthor && $0.revision.map(sinceBase.contains) == true }.map(\.text)
        var sinceDiff: (RevisionID, [WordDiff.Segment])?
        if let since, since != article.headRevision, let old = try await archive.revision(since), old.articleID == article.id {
            sinceDiff = (since, WordDiff.segments(from: Self.readable(old.content), to: Self.readable(article.content)))
        }
        let when = status_.state == .published ? status_.publishedAt ?? environment.now : status_.scheduledAt ?? environment.now
        let preview = site.articleContent(
            PublishedArticle(id: article.id, content: article.content, authors: article.authors, publishedAt: when, updatedAt: when, retracted: false, retractionMessage: nil),
            categories: categories)
        var actions = DeskRenderer.Actions()
        if actor.role.canReview {
            let state = status_.state
            actions.approve = conflicts.isEmpty && state == .submitted
            actions.requestChanges = [.submitted, .approved].contains(state)
            actions.publish = [.approved, .scheduled].contains(state) && status_.approvedRevision == article.headRevision
            actions.retract = state == .published
        }
        let html = renderer.reviewPage(
            article: article, preview: preview, comparisons: comparisons, merges: merges, conflicts: conflicts, notes: notes, unreadNotes: unread, actions: actions, viewer: viewer,
            problem: problem, since: sinceDiff, notice: notice)
        return page(html, status: status)
    }

    /// Title, lead and body, each compared word by word.
    static func textDiffs(from old: ArticleContent, to new: ArticleContent) -> [(name: String, segments: [WordDiff.Segment])] {
        ContentField.content.filter(\.isText).map { field in
            (field.rawValue.capitalized, WordDiff.segments(from: old[text: field], to: new[text: field]))
        }
    }

    /// The text fields as one text, for the short "what changed since you read it" of a refusal.
    static func readable(_ content: ArticleContent) -> String {
        [content.title, content.lead, content.body].filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    /// Runs a desk action: checks the form token, applies the change, and on success goes back
    /// to the review page saying what happened; a refusal is shown on the page, with its status.
    func act(
        _ request: Request, _ context: GalleyRequestContext, done: String,
        _ make: (Article, [String: String]) throws -> ServerRequest
    ) async throws -> Response {
        let form = try await Self.fields(request)
        guard let (actor, viewer) = deskUser(context) else { return redirect(to: "/desk/login") }
        try Self.checkFormToken(form["csrf"], context)
        let article = try await reviewable(context, actor)
        do {
            let action = try make(article, form)
            let change = action.change(on: article, id: ChangeID(), by: actor.name, from: .api, at: environment.now)
            let result = try await archive.apply([change], by: actor, at: environment.now)[0]
            if result.status == .rejected, let error = result.error { throw error }
            // A time already past publishes now (the workflow's rule): say so, not "scheduled".
            let said = if case .transition(.publish(at: .some(let at))) = action, at > environment.now { "scheduled" } else { done }
            return redirect(to: "/desk/articles/\(article.id)?done=\(said)")
        } catch let refusal as GalleyError {
            let current = try await archive.article(article.id) ?? article
            let shown = form["revision"].flatMap(RevisionID.init)
            var problem = refusal.message
            var since: RevisionID?
            if refusal.code == .staleRevision, let shown, done == "approved" {
                if try await archive.revision(shown)?.articleID == article.id {
                    problem = "Not approved: the article changed after you opened it (you read \(shown.short), it is now \(current.headRevision.short)). Read what changed below, then approve again."
                    since = shown
                } else {
                    problem = "Not approved: \(shown.short) is no revision of this article. Read the article below, then approve what it shows."
                }
            }
            return try await reviewPage(
                current, actor: actor, viewer: viewer, status: HTTPResponse.Status(code: refusal.code.status), problem: problem, since: since)
        }
    }

    @Sendable func approve(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        try await act(request, context, done: "approved") { article, form in
            guard let raw = form["revision"], let revision = RevisionID(raw) else {
                throw GalleyError(.malformed, "The approval does not name the revision it approves; reload the page.", field: "revision")
            }
            // The approval names the revision the page showed; the rules refuse it, atomically
            // and in the audit log, if the text moved since (the page then shows what changed).
            return .transition(.approve(revision: revision))
        }
    }

    @Sendable func requestChanges(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        try await act(request, context, done: "changes") { _, form in
            let message = (form["message"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !message.isEmpty else { throw GalleyError(.messageRequired, "Say what should change: the note goes to the author.", field: "message") }
            return .transition(.requestChanges(message: message))
        }
    }

    @Sendable func publish(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        let zone = renderer.timeZone
        return try await act(request, context, done: "published") { _, form in
            let raw = (form["at"] ?? "").trimmingCharacters(in: .whitespaces)
            guard !raw.isEmpty else { return .transition(.publish(at: nil)) }
            guard raw.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?/) != nil else {
                throw GalleyError(.malformed, "'\(raw.prefix(40))' is not a time; give it as 2026-12-03T14:05, in \(zone.identifier).", field: "at")
            }
            guard let date = Self.localTime(raw, in: zone) else {
                throw GalleyError(.malformed, "\(raw) does not exist in \(zone.identifier) (a date that is not in the calendar, or a time the clocks skip); choose another.", field: "at")
            }
            return .transition(.publish(at: date))
        }
    }

    @Sendable func retract(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        try await act(request, context, done: "retracted") { _, form in
            let message = (form["message"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !message.isEmpty else { throw GalleyError(.messageRequired, "Write the notice readers will see instead of the article.", field: "message") }
            return .transition(.retract(message: message))
        }
    }

    @Sendable func addNote(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        try await act(request, context, done: "note") { _, form in
            let text = (form["text"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw GalleyError(.messageRequired, "The note is empty.", field: "text") }
            return .note(text)
        }
    }

    /// A `datetime-local` value ("2026-12-03T14:05", seconds optional) in the server's zone.
    static func localTime(_ raw: String, in zone: TimeZone) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.isLenient = false
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: raw) { return Timestamp.canonical(date) }
        }
        return nil
    }
}
