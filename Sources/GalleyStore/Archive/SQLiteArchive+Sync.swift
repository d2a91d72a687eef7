import Foundation
import GRDB
import GalleyCore

extension SQLiteArchive {
    package func apply(_ changes: [Change], by actor: ChangeApplier.Actor, at time: Date) async throws -> [PushResult] {
        // Each change is all or nothing (a savepoint); pushes that arrive together share a commit.
        try await commits.apply(changes, by: actor, at: time)
    }

    /// Applies many changes in one transaction: a bulk load (imports, benchmark archives), where
    /// all or nothing is wanted and per-change commits would only cost time.
    package func applyInOneTransaction(_ changes: [Change], by actor: ChangeApplier.Actor, at time: Date) async throws -> [PushResult] {
        try await writer.write { db in try changes.map { try Self.apply(db, $0, by: actor, at: time) } }
    }

    static func apply(_ db: Database, _ change: Change, by actor: ChangeApplier.Actor, at time: Date) throws -> PushResult {
        try ChangeLog.apply(change, by: actor, at: time, in: Transaction(db: db))
    }

    /// The archive seam's transaction, in SQLite.
    struct Transaction: ArchiveTransaction {
        let db: Database

        func appliedChange(_ id: ChangeID) throws -> AppliedChange? {
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT user_name, digest, result FROM applied_changes WHERE change_id = ?"), arguments: [id.description]
            ).map { AppliedChange(user: $0["user_name"], digest: $0["digest"], result: try ContentRows.decode(PushResult.self, $0["result"])) }
        }

        func article(_ id: ArticleID) throws -> Article? { try ContentRows.article(db, id: id) }
        func revision(_ id: RevisionID) throws -> Revision? { try ContentRows.revision(db, id: id) }
        func conflicts(of id: ArticleID, openOnly: Bool) throws -> [Conflict] { try ContentRows.conflicts(db, article: id, openOnly: openOnly) }
        func categorySlugs() throws -> Set<String> { Set(try String.fetchAll(db.cachedStatement(sql: "SELECT slug FROM categories"))) }
        func slugTaken(_ slug: String, except id: ArticleID, author: String) throws -> Bool { try SQLiteArchive.slugTaken(db, slug, except: id, author: author) }
        func liveSlugOwner(_ slug: String) throws -> ArticleID? { try SQLiteArchive.liveSlugOwner(db, slug) }
        func userExists(_ name: String) throws -> Bool { try SQLiteArchive.user(db, named: name) != nil }

        func insert(_ revision: Revision) throws { try ContentRows.insert(db, revision) }

        func append(_ event: ChangeApplier.Event, article: ArticleID, revision: RevisionID?, actor: String, at time: Date) throws -> Int64 {
            try SQLiteArchive.event(db, kind: event.recorded, article: article, revision: revision, actor: actor, at: time)
        }

        func save(_ conflict: Conflict, seq: Int64) throws { try ContentRows.save(db, conflict, seq: seq) }

        func settle(_ conflict: ConflictID, by change: ChangeID, at time: Date, seq: Int64) throws {
            try db.execute(
                sql: "UPDATE conflicts SET resolved_by = ?, resolved_at = ?, seq = ? WHERE id = ? AND resolved_by IS NULL",
                arguments: [change.description, Timestamp.milliseconds(time), seq, conflict.description])
        }

        func insert(_ note: ReviewNote, seq: Int64) throws { try ContentRows.insert(db, note, seq: seq) }

        func save(_ article: Article, seq: Int64, publishing: Bool) throws {
            let num = try ContentRows.save(db, article, seq: seq)
            try SQLiteArchive.refreshPublished(db, article, num: num, seq: seq, publishing: publishing)
        }

        func audit(_ line: AuditRecord, actor: String, article: ArticleID?, at time: Date) throws {
            try SQLiteArchive.audit(db, line, actor: actor, article: article, at: time)
        }

        func recordApplied(_ change: Change, digest: String, user: String, result: PushResult, at time: Date) throws {
            try db.cachedStatement(sql: "INSERT INTO applied_changes (change_id, article_id, user_name, status, result, applied_at, digest) VALUES (?, ?, ?, ?, ?, ?, ?)").execute(
                arguments: [
                    change.id.description, change.articleID.description, user, result.status.rawValue,
                    try ContentRows.encoded(result), Timestamp.milliseconds(time), digest,
                ])
        }
    }

    /// Whether `slug` would clash for article `id` of `author`: another article's live address, or
    /// the slug of another article `author` writes. Others' drafts do not reserve slugs, so a slug
    /// tells no one of them.
    static func slugTaken(_ db: Database, _ slug: String, except id: ArticleID, author: String) throws -> Bool {
        if try liveSlugOwner(db, slug).map({ $0 != id }) == true { return true }
        return try Bool.fetchOne(
            db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM article_authors au JOIN articles a ON a.num = au.article_num
                    WHERE au.name = ? AND a.slug = ? AND a.deleted = 0 AND a.id != ?)
                """),
            arguments: [author, slug, id.description]) ?? true
    }

    /// The article whose public page is at `slug`.
    static func liveSlugOwner(_ db: Database, _ slug: String) throws -> ArticleID? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM published_articles WHERE slug = ? LIMIT 1"), arguments: [slug])
            .flatMap(ArticleID.init)
    }

    package func pull(since cursor: Int64, limit: Int, maxBytes: Int, viewer: ChangeApplier.Actor) async throws -> PullPage {
        try await writer.read { db in
            // Three ordered streams, each read at most `limit + 1` deep, merged by sequence number.
            let articleRows = try Self.changedArticles(db, since: cursor, limit: limit + 1, viewer: viewer)
            // Notes and conflicts only of articles the viewer sees in full (author or reviewer).
            let full = viewer.role.canReview
                ? ""
                : "AND EXISTS (SELECT 1 FROM articles a JOIN article_authors au ON au.article_num = a.num WHERE a.id = x.article_id AND au.name = ?)"
            var sideArguments: StatementArguments = [cursor]
            if !viewer.role.canReview { sideArguments += [viewer.name] }
            sideArguments += [limit + 1]
            let noteRows = try Row.fetchAll(db, sql: "SELECT * FROM notes x WHERE x.seq > ? \(full) ORDER BY x.seq LIMIT ?", arguments: sideArguments)
            let conflictRows = try Row.fetchAll(db, sql: "SELECT * FROM conflicts x WHERE x.seq > ? \(full) ORDER BY x.seq LIMIT ?", arguments: sideArguments)
            let eventRows = try Self.workflowEvents(db, since: cursor, limit: limit + 1, viewer: viewer)

            enum Item { case article(Article), note(Row), conflict(Row), event(Row) }
            var items: [(Int64, Int, Item)] = []
            items += articleRows.map { ($0.seq, 0, .article($0.article)) }
            items += conflictRows.map { ($0["seq"], 1, .conflict($0)) }
            items += noteRows.map { ($0["seq"], 2, .note($0)) }
            items += eventRows.map { ($0["seq"], 3, .event($0)) }
            items.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            // A stream that was cut at `limit + 1` rows bounds how far the merged page can go.
            var horizon = Int64.max
            if articleRows.count > limit { horizon = articleRows[limit].seq }
            for rows in [noteRows, conflictRows, eventRows] where rows.count > limit {
                horizon = min(horizon, rows[limit]["seq"] as Int64)
            }
            var truncated = false
            if let first = items.first?.0, first == horizon {
                truncated = true
                // One change settled more conflicts than a page holds: send that whole group.
                let group = try Row.fetchAll(
                    db, sql: "SELECT * FROM conflicts x WHERE x.seq = ? \(full) ORDER BY x.id",
                    arguments: viewer.role.canReview ? [first] : [first, viewer.name])
                items = items.filter { if case .conflict = $0.2 { return false } else { return $0.0 == first } }
                items += group.map { (first, 1, .conflict($0)) }
                items.sort { ($0.0, $0.1) < ($1.0, $1.1) }
                horizon = first + 1
            }

            var page = PullPage(epoch: try Self.epoch(db), articles: [], conflicts: [], notes: [], nextCursor: cursor, hasMore: false)
            var taken = 0
            var bytes = 0
            for (seq, _, item) in items {
                if seq >= horizon || ((taken >= limit || bytes >= maxBytes) && seq != page.nextCursor) {
                    page.hasMore = true
                    break
                }
                switch item {
                case .article(let article):
                    guard let head = try ContentRows.revision(db, id: article.headRevision) else {
                        throw StoreError.corrupt("the head revision of article \(article.id.short) is missing")
                    }
                    let published = try article.publishedRevision.flatMap { id in
                        id == article.headRevision ? nil : try ContentRows.revision(db, id: id)
                    }
                    bytes += Self.approximateSize(head) + (published.map(Self.approximateSize) ?? 0)
                    page.articles.append(PulledArticle(article: article, head: head, published: published, seq: seq))
                case .conflict(let row):
                    let conflict = try ContentRows.conflict(row)
                    bytes += conflict.base.utf8.count + conflict.ours.utf8.count + conflict.theirs.utf8.count
                    page.conflicts.append(conflict)
                case .note(let row):
                    let note = try ContentRows.note(row)
                    bytes += note.text.utf8.count
                    page.notes.append(note)
                case .event(let row):
                    if let kind = ArticleEvent.Kind(recorded: row["kind"]), let id = ArticleID(row["article_id"] as String) {
                        page.events.append(ArticleEvent(
                            seq: row["seq"], articleID: id, kind: kind, actor: row["actor"],
                            revision: (row["revision"] as String?).flatMap(RevisionID.init), at: Timestamp.date(milliseconds: row["at"])))
                    }
                }
                page.nextCursor = seq
                taken += 1
            }
            if truncated { page.hasMore = true }
            return page
        }
    }

    /// Workflow events after `cursor` of the articles `viewer` sees in full, oldest first.
    static func workflowEvents(_ db: Database, since cursor: Int64, limit: Int, viewer: ChangeApplier.Actor) throws -> [Row] {
        let workflow = "(e.kind = 'create' OR e.kind = 'delete' OR e.kind = 'undelete' OR e.kind LIKE 'state:%')"
        if viewer.role.canReview {
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT e.* FROM events e WHERE e.seq > ? AND \(workflow) ORDER BY e.seq LIMIT ?"), arguments: [cursor, limit])
        }
        // From the analyst's own articles, so that others' events are never read at all.
        return try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT e.* FROM article_authors au JOIN articles a ON a.num = au.article_num JOIN events e ON e.article_id = a.id
                WHERE au.name = ? AND e.seq > ? AND \(workflow) ORDER BY e.seq LIMIT ?
                """),
            arguments: [viewer.name, cursor, limit])
    }

    private static func approximateSize(_ r: Revision) -> Int {
        r.content.body.utf8.count + r.content.lead.utf8.count + r.content.title.utf8.count + 512
    }
}
