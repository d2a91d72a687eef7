import Foundation
import GalleyCore

/// One write transaction of an archive backend, as the change log needs it: load what the sync
/// engine decides on, store what it decided. This is the part of the archive seam that every
/// backend implements in its own storage (``SQLiteArchive/Transaction`` for SQLite); the rules
/// and the order of writing are ``ChangeLog``'s, the same for every backend.
///
/// Lookups and writes run inside the caller's transaction: all of one change is stored, or none.
package protocol ArchiveTransaction {
    // MARK: Load
    /// Called first for each change: a backend that pays a round trip for each lookup may read
    /// at once what the change's lookups will ask (its earlier answer, its article and head).
    func prepare(for change: Change) throws
    /// The archive's earlier answer to a change id, if it has one.
    func appliedChange(_ id: ChangeID) throws -> AppliedChange?
    func article(_ id: ArticleID) throws -> Article?
    func revision(_ id: RevisionID) throws -> Revision?
    func conflicts(of id: ArticleID, openOnly: Bool) throws -> [Conflict]
    func categorySlugs() throws -> Set<String>
    /// Whether `slug` would clash for article `id` of `author`: another article's live address,
    /// or the slug of another article of `author`'s (others' drafts reserve nothing).
    func slugTaken(_ slug: String, except id: ArticleID, author: String) throws -> Bool
    /// The article whose published page is at `slug`.
    func liveSlugOwner(_ slug: String) throws -> ArticleID?
    func userExists(_ name: String) throws -> Bool

    // MARK: Store
    /// Stores a revision; the same revision (the same id: the same content) stored twice is one.
    func insert(_ revision: Revision) throws
    /// Appends an event to the change log; returns its sequence number.
    func append(_ event: ChangeApplier.Event, article: ArticleID, revision: RevisionID?, actor: String, at time: Date) throws -> Int64
    func save(_ conflict: Conflict, seq: Int64) throws
    func settle(_ conflict: ConflictID, by change: ChangeID, at time: Date, seq: Int64) throws
    func insert(_ note: ReviewNote, seq: Int64) throws
    /// Stores the article's row, and keeps what is derived from it in step: its search index and,
    /// while it is public, its public row (`publishing`: the byline follows the article's now).
    func save(_ article: Article, seq: Int64, publishing: Bool) throws
    func audit(_ line: AuditRecord, actor: String, article: ArticleID?, at time: Date) throws
    /// Remembers the answer to a change id, for its replays.
    func recordApplied(_ change: Change, digest: String, user: String, result: PushResult, at time: Date) throws
}

extension ArchiveTransaction {
    package func prepare(for change: Change) throws {}
}

/// The archive's answer to a change id, as it was first given.
package struct AppliedChange: Sendable {
    package var user: String
    /// The change's content digest; nil for changes stored before digests were kept.
    package var digest: String?
    package var result: PushResult

    package init(user: String, digest: String?, result: PushResult) {
        self.user = user
        self.digest = digest
        self.result = result
    }
}

/// Applying pushed changes to an archive, whatever stores it: replays, loading what the engine
/// (``ChangeApplier``) decides on, and writing down what it decided, in one order.
package enum ChangeLog {
    package static func apply(_ pushed: Change, by actor: ChangeApplier.Actor, at time: Date, in tx: some ArchiveTransaction) throws -> PushResult {
        // A request to the HTTP API names its article, not a revision (the server puts the head
        // it found there): its retry is the same request, whatever the head is by then.
        var replayed = pushed
        if pushed.replicaID == ServerRequest.Origin.api.replicaID { replayed.baseRevision = nil }
        let digest = try replayed.digest()
        try tx.prepare(for: pushed)
        if let stored = try tx.appliedChange(pushed.id) {
            // A change id names one change of one person. Its replay gets the same answer; the
            // same id with other content, or from someone else, gets nothing (not even the answer
            // the first one got) and changes nothing.
            guard stored.user == actor.name, stored.digest.map({ $0 == digest }) ?? true else {
                return PushResult(
                    changeID: pushed.id, status: .rejected, headRevision: nil, conflicts: [],
                    error: GalleyError(
                        .changeIDReused,
                        "The change id \(pushed.id) was already used for another change, so this one was not applied. Each change needs a new id; a Galley client makes one for every edit.",
                        field: "id"))
            }
            return stored.result
        }
        var change = pushed
        // The author is whoever holds the token, whatever the change claims.
        change.author = actor.name

        let article = try tx.article(change.articleID)
        let head = try article.flatMap { try tx.revision($0.headRevision) }
        let base = try change.baseRevision.flatMap { $0 == head?.id ? head : try tx.revision($0) }
        let open = article == nil ? [] : try tx.conflicts(of: change.articleID, openOnly: true)
        let settled = change.resolves.isEmpty || article == nil
            ? [] : try tx.conflicts(of: change.articleID, openOnly: false).filter { !$0.isOpen && change.resolves.contains($0.id) }
        // A lookup that fails fails the change (below): it never answers "taken" or "no such user".
        let failures = LookupFailures()
        let environment = ChangeApplier.Environment(
            categories: try tx.categorySlugs(),
            slugTaken: { slug, id in failures.guarding(false) { try tx.slugTaken(slug, except: id, author: actor.name) } },
            liveSlugOwner: { slug in failures.guarding(nil) { try tx.liveSlugOwner(slug) } },
            userExists: { name in failures.guarding(false) { try AccountRules.isUserName(name) && tx.userExists(name) } },
            now: time)
        let outcome = ChangeApplier.apply(
            change, actor: actor, state: .init(article: article, head: head, openConflicts: open, base: base, settledConflicts: settled),
            environment: environment)
        try failures.check()

        guard outcome.status != .rejected, let updated = outcome.article else {
            let error = outcome.error ?? GalleyError(.malformed, "The change was not applied.")
            for line in outcome.audit { try tx.audit(line, actor: actor.name, article: change.articleID, at: time) }
            let result = PushResult(changeID: change.id, status: .rejected, headRevision: nil, conflicts: [], error: error)
            try tx.recordApplied(change, digest: digest, user: actor.name, result: result, at: time)
            return result
        }

        for revision in outcome.newRevisions { try tx.insert(revision) }
        var seq: Int64 = 0
        for event in outcome.events {
            seq = try tx.append(event, article: change.articleID, revision: updated.headRevision, actor: actor.name, at: time)
        }
        for conflict in outcome.newConflicts { try tx.save(conflict, seq: seq) }
        for id in outcome.resolvedConflicts { try tx.settle(id, by: change.id, at: time, seq: seq) }
        for note in outcome.notes { try tx.insert(note, seq: seq) }
        try tx.save(updated, seq: seq, publishing: updated.state == .published && article?.state != .published)
        for line in outcome.audit { try tx.audit(line, actor: actor.name, article: updated.id, at: time) }
        let result = PushResult(
            changeID: change.id, status: outcome.status, headRevision: updated.headRevision,
            conflicts: outcome.newConflicts.map(\.id), error: nil)
        try tx.recordApplied(change, digest: digest, user: actor.name, result: result, at: time)
        return result
    }
}
