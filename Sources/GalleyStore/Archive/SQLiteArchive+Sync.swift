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
        try await writer.write { db in
            let search = ContentRows.SearchJournal()
            let results = try changes.map { try Self.apply(db, $0, by: actor, at: time, search: search) }
            try search.flush(db)
            return results
        }
    }

    static func apply(
        _ db: Database, _ change: Change, by actor: ChangeApplier.Actor, at time: Date, search: ContentRows.SearchJournal
    ) throws -> PushResult {
        try ChangeLog.apply(change, by: actor, at: time, in: Transaction(db: db, search: search))
    }

    /// The archive seam's transaction, in SQLite.
    struct Transaction: ArchiveTransaction {
        let db: Database
        /// Flushed by the caller before it commits.
        let search: ContentRows.SearchJournal

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
            let num = try ContentRows.save(db, article, seq: seq, search: search)
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
            // Four ordered streams, each read at most `limit + 1` deep, merged by sequence number.
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
            var streams = PullPager.Streams()
            streams.articles = articleRows.map { ($0.seq, $0.article) }
            streams.conflicts = try conflictRows.map { ($0["seq"], try ContentRows.conflict($0)) }
            streams.notes = try noteRows.map { ($0["seq"], try ContentRows.note($0)) }
            streams.events = eventRows.map { row in
                let event = ArticleEvent.Kind(recorded: row["kind"]).flatMap { kind in
                    ArticleID(row["article_id"] as String).map { id in
                        ArticleEvent(
                            seq: row["seq"], articleID: id, kind: kind, actor: row["actor"],
                            revision: (row["revision"] as String?).flatMap(RevisionID.init), at: Timestamp.date(milliseconds: row["at"]))
                    }
                }
                return (row["seq"], event)
            }
            return try PullPager.page(
                epoch: try Self.epoch(db), cursor: cursor, limit: limit, maxBytes: maxBytes, streams: streams,
                conflictGroup: { seq in
                    try Row.fetchAll(
                        db, sql: "SELECT * FROM conflicts x WHERE x.seq = ? \(full) ORDER BY x.id",
                        arguments: viewer.role.canReview ? [seq] : [seq, viewer.name]
                    ).map(ContentRows.conflict)
                },
                revision: { try ContentRows.revision(db, id: $0) })
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

}
