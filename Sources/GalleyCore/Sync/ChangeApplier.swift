import Foundation

/// Applies one change to an article: the sync engine's single rule book, used by the server for
/// every pushed change and by the client to show the analyst what the server will compute.
///
/// It is pure: the caller loads the article, the revisions the change names and the open
/// conflicts, calls ``apply(_:actor:state:environment:)``, and stores the outcome in one
/// transaction. The outcome is either rejected (and nothing is stored) or a new article state
/// with the revisions, conflicts and note to store.
public enum ChangeApplier {
    public struct Actor: Hashable, Sendable {
        public var name: String
        public var role: Role
        public init(name: String, role: Role) {
            self.name = name
            self.role = role
        }
    }

    /// What the store knows about the article the change names.
    public struct State: Sendable {
        /// The article as it is now; nil if it does not exist.
        public var article: Article?
        /// The current head revision.
        public var head: Revision?
        public var openConflicts: [Conflict]
        /// The revision the change says it was made on, when the caller knows it. Then its text,
        /// not the change's own word (`previous`), is the common ancestor of a merge.
        public var base: Revision?
        /// Conflicts the change says it settles that someone else settled first.
        public var settledConflicts: [Conflict]

        public init(article: Article?, head: Revision?, openConflicts: [Conflict], base: Revision? = nil, settledConflicts: [Conflict] = []) {
            self.article = article
            self.head = head
            self.openConflicts = openConflicts
            self.base = base
            self.settledConflicts = settledConflicts
        }
    }

    /// The world around the article. Its lookups run inside the caller's transaction.
    public struct Environment {
        /// Known categories, or nil to accept any.
        public var categories: Set<String>?
        /// Whether a new slug for the given article would clash: it is the live address of another
        /// article, or the slug of another article of the same author. Drafts of other people do not
        /// count, so that no one learns of them from the slug they are given.
        public var slugTaken: (String, ArticleID) -> Bool
        /// The article whose published page lives at a slug, if any.
        public var liveSlugOwner: (String) -> ArticleID?
        /// Whether a user name exists (for co-authors).
        public var userExists: (String) -> Bool
        public var now: Date

        public init(
            categories: Set<String>? = nil, slugTaken: @escaping (String, ArticleID) -> Bool = { _, _ in false },
            liveSlugOwner: @escaping (String) -> ArticleID? = { _ in nil },
            userExists: @escaping (String) -> Bool = { _ in true }, now: Date
        ) {
            self.categories = categories
            self.slugTaken = slugTaken
            self.liveSlugOwner = liveSlugOwner
            self.userExists = userExists
            self.now = now
        }
    }

    public enum Status: String, Hashable, Sendable, Codable {
        /// Applied on top of the revision it was made on.
        case applied
        /// Merged with work the author had not seen; no conflicts.
        case merged
        /// Applied, but some of it conflicts; see the conflicts.
        case conflict
        /// Not applied at all; see the error.
        case rejected
    }

    public struct Outcome: Sendable {
        public var status: Status
        public var error: GalleyError?
        /// The article after the change (nil when rejected).
        public var article: Article?
        /// Revisions to store: the change's own revision, and a merge revision if one was made.
        public var newRevisions: [Revision] = []
        public var newConflicts: [Conflict] = []
        public var resolvedConflicts: [ConflictID] = []
        /// The note the change carries, and the message of a request for changes or a retraction
        /// (each a note of its own, so that neither is lost).
        public var notes: [ReviewNote] = []
        /// The workflow command that was applied.
        public var command: WorkflowCommand?
        /// The change log's entries for this change, in order (none when rejected).
        public var events: [Event] = []
        /// The audit log's lines for this change (a refused workflow step has one too).
        public var audit: [AuditRecord] = []

        static func rejected(_ error: GalleyError) -> Outcome {
            Outcome(status: .rejected, error: error, article: nil)
        }
    }

    public static func apply(_ change: Change, actor: Actor, state: State, environment env: Environment) -> Outcome {
        // Co-authors are named in the one form names are stored in.
        var change = change
        change.authors = SetEdit(add: change.authors.add.map(AccountRules.canonicalUserName), remove: change.authors.remove.map(AccountRules.canonicalUserName))
        do throws(GalleyError) {
            try change.checkText()
            var outcome = if let article = state.article {
                try update(article, with: change, actor: actor, state: state, env: env)
            } else {
                try create(change, actor: actor, env: env)
            }
            record(&outcome, before: state.article, change: change)
            return outcome
        } catch {
            var outcome = Outcome.rejected(error)
            if let command = change.command {
                outcome.audit = [AuditRecord(.refused(command), revision: state.article?.headRevision, detail: error.message)]
            }
            return outcome
        }
    }

    /// The change log's events and the audit log's lines of an applied change.
    private static func record(_ outcome: inout Outcome, before old: Article?, change: Change) {
        guard let new = outcome.article else { return }
        var events: [Event] = []
        if new.headRevision != old?.headRevision { events.append(old == nil ? .created : .revised) }
        if let old, new.state != old.state { events.append(.state(new.state)) }
        if new.deleted != (old?.deleted ?? false) { events.append(new.deleted ? .deleted : .restored) }
        if new.authors != old?.authors || new.related != old?.related { events.append(.metadata) }
        if !outcome.newConflicts.isEmpty || !outcome.resolvedConflicts.isEmpty { events.append(.conflicts) }
        if !outcome.notes.isEmpty { events.append(.note) }
        outcome.events = events.isEmpty ? [.noop] : events

        if let command = outcome.command {
            outcome.audit.append(AuditRecord(.command(command), revision: new.headRevision, detail: AuditRecord.detail(of: command)))
        }
        if let approved = old?.approvedRevision, new.approvedRevision == nil, outcome.command == nil {
            outcome.audit.append(AuditRecord(.approvalVoided, revision: new.headRevision, detail: "change \(change.id) edited approved revision \(approved.short)"))
        }
        if new.deleted && !(old?.deleted ?? false) {
            outcome.audit.append(AuditRecord(.deleted, revision: new.headRevision))
        }
    }

    // MARK: - Create

    private static func create(_ change: Change, actor: Actor, env: Environment) throws(GalleyError) -> Outcome {
        guard change.baseRevision == nil else {
            throw unseen(change.articleID)
        }
        guard change.editsContent else {
            throw unseen(change.articleID)
        }
        guard !change.delete else {
            throw GalleyError(.invalidTransition, "Cannot create and delete an article in one change.")
        }
        var content = apply(change, to: ArticleContent())
        if change.set.slug == nil || content.slug.isEmpty {
            content.slug = Slug.unique(Slug.make(from: content.title)) { env.slugTaken($0, change.articleID) }
        } else {
            try checkChosenSlug(content.slug, of: change.articleID, env: env)
        }
        try ArticleValidator(categories: env.categories).validate(content)

        let authors = try checkedAuthors(change.authors.applied(to: [actor.name]), keeping: actor, env: env)
        let revision = Revision(
            articleID: change.articleID, parents: [], content: content, author: actor.name,
            createdAt: env.now, changeID: change.id)
        var article = Article(
            id: change.articleID, content: content, authors: authors, headRevision: revision.id,
            createdAt: env.now, updatedAt: env.now)
        var outcome = Outcome(status: .applied, error: nil, article: nil, newRevisions: [revision])
        if !change.related.isEmpty {
            try decide(.curateRelated, article: article, openConflicts: 0, actor: actor, env: env)
            article.related = change.related.applied(to: []).filter { $0 != article.id }
        }
        try finish(&article, &outcome, change: change, actor: actor, openConflicts: 0, env: env)
        return outcome
    }

    // MARK: - Update

    private static func update(
        _ current: Article, with change: Change, actor: Actor, state: State, env: Environment
    ) throws(GalleyError) -> Outcome {
        let (baseID, head) = try checkUpdate(current, with: change, actor: actor, state: state)
        var step = Step(article: current, openConflicts: state.openConflicts.filter { $0.articleID == current.id && $0.isOpen })
        if change.editsContent {
            try edit(&step, current: current, head: head, baseID: baseID, change: change, actor: actor, state: state, env: env)
        }
        if !change.resolves.isEmpty {
            try settle(&step, baseID: baseID, change: change, actor: actor, state: state, env: env)
        }
        if !change.authors.isEmpty {
            try changeAuthors(&step, current: current, change: change, actor: actor, env: env)
        }
        if !change.related.isEmpty {
            try decide(.curateRelated, article: current, openConflicts: step.openConflicts.count, actor: actor, env: env)
            step.article.related = change.related.applied(to: step.article.related).filter { $0 != current.id }
        }
        if change.delete {
            try delete(&step, baseID: baseID, change: change, actor: actor, env: env)
        }
        if !step.outcome.newConflicts.isEmpty { step.outcome.status = .conflict }
        try finish(&step.article, &step.outcome, change: change, actor: actor, openConflicts: step.openConflicts.count, env: env)
        return step.outcome
    }

    /// An update in progress: the article as the change has left it so far, what to store, and
    /// the conflicts open now.
    private struct Step {
        var article: Article
        var outcome = Outcome(status: .applied, error: nil, article: nil)
        var openConflicts: [Conflict]

        mutating func add(_ conflict: Conflict) {
            outcome.newConflicts.append(conflict)
            openConflicts.append(conflict)
        }
    }

    /// Who may change the article at all, and on which revision: the base the change names and
    /// the head it lands on.
    private static func checkUpdate(
        _ current: Article, with change: Change, actor: Actor, state: State
    ) throws(GalleyError) -> (base: RevisionID, head: Revision) {
        // Whoever may not see the article hears what they would hear of an article that does not
        // exist, whatever the change holds: no answer may tell them of a draft, or of its head.
        // Whoever sees it only as a reader (published, someone else's) may change nothing of it.
        if !actor.role.canReview && !current.isAuthor(actor.name) {
            guard current.isPublic else { throw unseen(current.id) }
            throw GalleyError(.notAuthor, "You are not an author of article \(current.id.short), so you cannot change it; ask one of its authors or an editor.")
        }
        guard let baseID = change.baseRevision else {
            throw GalleyError(.alreadyExists, "Article \(current.id.short) already exists; a change to it must name the revision it was made on.")
        }
        if change.delete && change.editsContent {
            throw GalleyError(.malformed, "A change either edits an article or deletes it, not both; send them as two changes.")
        }
        if current.deleted && !change.editsContent {
            throw GalleyError(.articleDeleted, "Article \(current.id.short) was deleted.")
        }
        guard let head = state.head, head.id == current.headRevision else {
            throw GalleyError(.unknownBase, "The head revision of article \(current.id.short) is missing from the archive.")
        }
        return (baseID, head)
    }

    /// The author's edit, field by field, merged into the head: a fast-forward when the head is
    /// what the author saw, a three-way merge with the base revision as the common ancestor when
    /// others wrote meanwhile, and a conflict where the merge cannot decide.
    private static func edit(
        _ step: inout Step, current: Article, head: Revision, baseID: RevisionID, change: Change, actor: Actor, state: State,
        env: Environment
    ) throws(GalleyError) {
        try decide(.edit, article: current, openConflicts: step.openConflicts.count, actor: actor, env: env)
        let touched = change.set.fields
        if let field = touched.first(where: { change.previous[$0] == nil }) {
            throw GalleyError(.malformed, "The change sets \(field.rawValue) but does not say what it was before (previous.\(field.rawValue)).", field: "previous.\(field.rawValue)")
        }
        let intent = apply(change, to: head.content)
        try validator(for: change, env: env).validate(intent)
        // The common ancestor is the text of the revision the change was made on, when it is
        // known here: `previous` is only the client's word for it, and a wrong one would let
        // an edit remove words it never saw without a conflict.
        let base = state.base.flatMap { $0.id == baseID && $0.articleID == current.id ? $0 : nil }
        var merged = head.content
        var wordMerged: [(ContentField, [Int])] = []
        for field in touched {
            let old = base?.content[text: field] ?? ArticleContent.normalizedField(field, change.previous[field] ?? "")
            let new = intent[text: field]
            let ours = head.content[text: field]
            if new == old || new == ours { continue }
            // A settlement of a conflict someone else settled first, with other text than theirs:
            // two choices, neither of which may silently replace the other.
            if let earlier = state.settledConflicts.first(where: { change.resolves.contains($0.id) && $0.field == field }) {
                step.add(Conflict(
                    id: ConflictID(change: change.id, field: field), articleID: current.id, field: field,
                    base: earlier.base, ours: ours, theirs: new, changeIDs: (earlier.resolvedBy.map { [$0] } ?? []) + [change.id],
                    author: actor.name, revision: head.id, createdAt: env.now))
                continue
            }
            if ours == old {
                merged[text: field] = new
                continue
            }
            if field.isText {
                let result = TextMerge.merge(base: old, ours: ours, theirs: new)
                if result.isClean {
                    merged[text: field] = result.text()
                    if result.wordMerges > 0 { wordMerged.append((field, result.wordMergedParagraphs)) }
                    continue
                }
            }
            step.add(Conflict(
                id: ConflictID(change: change.id, field: field), articleID: current.id, field: field,
                base: old, ours: ours, theirs: new, changeIDs: [head.changeID, change.id].compactMap { $0 },
                author: actor.name, revision: head.id, createdAt: env.now))
        }
        merged.tags = intent.tags
        if merged.slug != head.content.slug {
            if merged.slug.isEmpty {
                merged.slug = Slug.unique(Slug.make(from: merged.title)) { env.slugTaken($0, current.id) }
            } else {
                try checkChosenSlug(merged.slug, of: current.id, env: env)
            }
        }
        if merged != head.content {
            try ArticleValidator(categories: nil).validate(merged)
            let parents = baseID == head.id ? [head.id] : [head.id, baseID]
            let revision = Revision(
                articleID: current.id, parents: parents, content: merged, author: actor.name,
                createdAt: env.now, changeID: change.id)
            step.outcome.newRevisions.append(revision)
            // Conflicts found in this edit are not yet open when the edit itself is decided.
            step.article.workflowStatus = try decide(
                .edit, article: current, openConflicts: step.openConflicts.count - step.outcome.newConflicts.count, actor: actor, env: env)
            step.article.content = merged
            step.article.headRevision = revision.id
            if !wordMerged.isEmpty {
                step.outcome.notes.append(wordMergeNote(wordMerged, change: change, head: head, revision: revision, actor: actor, env: env))
            }
        }
        if baseID != head.id { step.outcome.status = .merged }
        if current.deleted {
            // An edit that crossed a delete: keep the article and let a person decide.
            step.article.deleted = false
            step.add(deletionConflict(change: change, article: current, head: step.article.headRevision, pushed: "kept", actor: actor, env: env))
        }
    }

    /// Conflicts the change settles. One someone else settled first, when this change chose the
    /// text the article had then and the article has other text now, is a choice between two
    /// settlements: it is kept as a new conflict, not dropped. (A choice that sets other text than
    /// the article has is one too: see ``edit``.)
    private static func settle(
        _ step: inout Step, baseID: RevisionID, change: Change, actor: Actor, state: State, env: Environment
    ) throws(GalleyError) {
        try decide(.edit, article: step.article, openConflicts: step.openConflicts.count, actor: actor, env: env)
        let settled = Set(change.resolves)
        let fresh = Set(step.outcome.newConflicts.map(\.id))
        step.outcome.resolvedConflicts = step.openConflicts.filter { settled.contains($0.id) && !fresh.contains($0.id) }.map(\.id)
        step.openConflicts.removeAll { step.outcome.resolvedConflicts.contains($0.id) }
        guard let base = state.base, base.id == baseID, base.articleID == step.article.id else { return }
        for earlier in state.settledConflicts where settled.contains(earlier.id) && earlier.field.isText && change.set[earlier.field] == nil {
            let kept = base.content[text: earlier.field]
            let now = step.article.content[text: earlier.field]
            guard kept != now else { continue }
            step.add(Conflict(
                id: ConflictID(change: change.id, field: earlier.field), articleID: step.article.id, field: earlier.field,
                base: earlier.base, ours: now, theirs: kept, changeIDs: (earlier.resolvedBy.map { [$0] } ?? []) + [change.id],
                author: actor.name, revision: step.article.headRevision, createdAt: env.now))
        }
    }

    private static func changeAuthors(_ step: inout Step, current: Article, change: Change, actor: Actor, env: Environment) throws(GalleyError) {
        let status = try decide(.changeAuthors, article: step.article, openConflicts: step.openConflicts.count, actor: actor, env: env)
        if !actor.role.canReview, change.authors.remove.contains(where: step.article.authors.contains) {
            // Taking a name off a byline takes that person off their own words: an editor's call.
            throw GalleyError(
                .notAllowed, "Only an editor can take an author off an article; you can add co-authors.", field: "authors.remove")
        }
        let authors = try checkedAuthors(change.authors.applied(to: step.article.authors), keeping: current.isAuthor(actor.name) ? actor : nil, env: env)
        if authors != step.article.authors {
            // The byline is part of what readers see: a new one goes through review like new text.
            step.article.workflowStatus = status
            step.article.authors = authors
        }
    }

    private static func delete(_ step: inout Step, baseID: RevisionID, change: Change, actor: Actor, env: Environment) throws(GalleyError) {
        let status = try decide(.delete, article: step.article, openConflicts: step.openConflicts.count, actor: actor, env: env)
        // The deleter saw the text the article has: by its revision, or (when their revision
        // is one the server made differently, say with another slug) by its words.
        let sawWords = [ContentField.title, .lead, .body].allSatisfy { field in
            change.previous[field].map { ArticleContent.normalizedField(field, $0) == step.article.content[text: field] } ?? false
        }
        if (baseID == step.article.headRevision || sawWords) && !change.editsContent {
            step.article.deleted = true
            step.article.workflowStatus = status
        } else {
            // The deleter had not seen the latest text: deleting it would lose words.
            step.add(deletionConflict(change: change, article: step.article, head: step.article.headRevision, pushed: "deleted", actor: actor, env: env))
        }
    }

    /// The note and the workflow command, which see the article as the change left it.
    private static func finish(
        _ article: inout Article, _ outcome: inout Outcome, change: Change, actor: Actor, openConflicts: Int,
        env: Environment
    ) throws(GalleyError) {
        if let note = change.note {
            guard article.isAuthor(actor.name) || actor.role.canReview else {
                throw GalleyError(.notAuthor, "Only the article's authors and editors can write notes on it.")
            }
            let text = note.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw GalleyError(.messageRequired, "The note is empty.", field: "note.text") }
            outcome.notes.append(ReviewNote(
                id: noteID(change), articleID: article.id, author: actor.name, kind: .comment, text: text,
                revision: article.headRevision, createdAt: env.now))
        }
        if let command = change.command {
            let status = try decide(.command(command), article: article, openConflicts: openConflicts, actor: actor, env: env)
            if status.state == .published, status.publishedRevision != article.publishedRevision || article.state != .published,
                let owner = env.liveSlugOwner(article.content.slug), owner != article.id
            {
                // A live address belongs to one article: another article's page must never be
                // replaced by this one's.
                throw GalleyError(
                    .slugTaken,
                    "Another published article lives at /articles/\(article.content.slug); give this one another slug (galley edit \(article.id.short) --slug …) and approve it again.",
                    field: "slug")
            }
            article.workflowStatus = status
            outcome.command = command
            switch command {
            case .requestChanges(let message), .retract(let message):
                // The message is part of the review record, so it becomes a note as well (its
                // own, beside any note the change carries).
                if case .retract = command {
                    article.retractionMessage = message.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                outcome.notes.append(ReviewNote(
                    id: messageNoteID(change), articleID: article.id, author: actor.name,
                    kind: { if case .retract = command { return .retraction } else { return .changesRequested } }(),
                    text: message.trimmingCharacters(in: .whitespacesAndNewlines),
                    revision: article.headRevision, createdAt: env.now))
            default: break
            }
        }
        article.updatedAt = env.now
        outcome.article = article
    }

    /// What Galley merged word by word, where a line-based merge would have stopped with a
    /// conflict: a note on the article, so that whoever reviews it reads those places before
    /// approving (`galley log`, `galley show`, the review's notes).
    private static func wordMergeNote(
        _ merged: [(ContentField, [Int])], change: Change, head: Revision, revision: Revision, actor: Actor, env: Environment
    ) -> ReviewNote {
        let places = merged.map { field, paragraphs in
            let numbers = paragraphs.map(String.init)
            let list = numbers.count == 1 ? numbers[0] : numbers.dropLast().joined(separator: ", ") + " and " + numbers.last!
            return "\(field.rawValue) (paragraph\(numbers.count == 1 ? "" : "s") \(list))"
        }.joined(separator: ", ")
        let other = head.author == actor.name ? "an earlier revision of \(head.author)'s" : "\(head.author)'s revision \(head.id.short)"
        return ReviewNote(
            id: UUID(namespaceHash: "word merge \(change.id)"), articleID: revision.articleID, author: wordMergeAuthor, kind: .comment,
            text: "Merged by Galley word by word: \(places), where \(actor.name)'s edit and \(other) changed the same lines. Read those places before approving revision \(revision.id.short).",
            revision: revision.id, createdAt: env.now)
    }

    /// The author of the notes Galley writes itself (a name no person may take).
    public static let wordMergeAuthor = "galley"

    /// A note's id comes from the change that carries it, never from the client: an id someone
    /// else chose first would otherwise make the note vanish as a duplicate.
    public static func noteID(_ change: Change) -> UUID { UUID(namespaceHash: "note \(change.id)") }

    /// The id of the note a request for changes or a retraction writes its message to.
    public static func messageNoteID(_ change: Change) -> UUID { UUID(namespaceHash: "message \(change.id)") }

    /// What anyone hears of an article they may not see, and of one that does not exist: the same
    /// words, so that no answer tells the two apart.
    public static func unseen(_ id: ArticleID) -> GalleyError {
        GalleyError(.notFound, "There is no article \(id.short) that you can see (it may be someone else's draft, or made on another archive).")
    }

    /// A slug the author chose is theirs or refused, never changed behind their back.
    private static func checkChosenSlug(_ slug: String, of id: ArticleID, env: Environment) throws(GalleyError) {
        // A slug that is not one (a NUL in it, say) is the validator's to refuse, and is never
        // looked up: PostgreSQL cannot even be asked about it.
        guard Slug.isValid(slug), env.slugTaken(slug, id) else { return }
        throw GalleyError(
            .slugTaken,
            "The slug '\(slug)' is taken (by a published article's address, or another article of yours); choose another, for example '\(Slug.unique(slug) { env.slugTaken($0, id) })'.",
            field: "slug")
    }

    @discardableResult
    private static func decide(
        _ action: Workflow.Action, article: Article, openConflicts: Int, actor: Actor, env: Environment
    ) throws(GalleyError) -> Workflow.Status {
        let result = Workflow.decide(
            action, status: article.workflowStatus, head: article.headRevision, openConflicts: openConflicts,
            actor: Workflow.Actor(role: actor.role, isAuthor: article.isAuthor(actor.name)), now: env.now)
        switch result {
        case .success(let status): return status
        case .failure(let error): throw error
        }
    }

    private static func validator(for change: Change, env: Environment) -> ArticleValidator {
        // The category list is checked only when the change sets the category: an edit of the body
        // must not fail because an admin retired the article's category meanwhile.
        ArticleValidator(categories: change.set.category == nil ? nil : env.categories)
    }

    /// - Parameter keeping: an author who must stay one unless they are an editor: an analyst
    ///   cannot attribute an article to others only.
    private static func checkedAuthors(_ authors: [String], keeping actor: Actor?, env: Environment) throws(GalleyError) -> [String] {
        guard !authors.isEmpty else {
            throw GalleyError(.fieldInvalid, "An article needs at least one author.", field: "authors")
        }
        if let actor, !actor.role.canReview, !authors.contains(actor.name) {
            throw GalleyError(
                .notAllowed,
                "You cannot take yourself off the authors of an article you write; add co-authors, and ask an editor if the byline must not name you.",
                field: "authors")
        }
        for name in authors where !env.userExists(name) {
            throw GalleyError(.notFound, "There is no user '\(name)' to add as an author.", field: "authors")
        }
        return authors
    }

    /// - Parameter pushed: the side the pushed change took, "kept" or "deleted" (see ``Conflict``).
    private static func deletionConflict(change: Change, article: Article, head: RevisionID, pushed: String, actor: Actor, env: Environment) -> Conflict {
        Conflict(
            id: ConflictID(change: change.id, field: .deletion), articleID: article.id, field: .deletion,
            base: pushed, ours: "kept", theirs: "deleted", changeIDs: [change.id], author: actor.name,
            revision: head, createdAt: env.now)
    }

    // MARK: - Content

    /// The content a change makes out of `content`.
    public static func apply(_ change: Change, to content: ArticleContent) -> ArticleContent {
        // Only the values the change brings are normalized: the rest already were when stored.
        var c = content
        for field in ContentField.single {
            if let value = change.set[field] { c[text: field] = ArticleContent.normalizedField(field, value) }
        }
        // Removal matches as tags are normalized, so a tag stored before tags were lowercased
        // can still be taken off by its name in any case.
        let normalizedRemovals = Set(change.tags.remove.map(ArticleContent.tag))
        c.tags = c.tags.filter { !normalizedRemovals.contains(ArticleContent.tag($0)) }
        for tag in change.tags.add { c.tags.insert(ArticleContent.tag(tag)) }
        return c
    }

}

extension UUID {
    /// A UUID derived from a name, so that the same input always gives the same id.
    public init(namespaceHash name: String) {
        let digest = Array(RevisionIDHash.sha256(Array(name.utf8)).prefix(16))
        var b = digest
        b[6] = (b[6] & 0x0F) | 0x80
        b[8] = (b[8] & 0x3F) | 0x80
        self.init(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}
