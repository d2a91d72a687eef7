import Foundation
import GalleyCore
import GalleyStore

/// What a transaction of the change log has read and written, so that PostgreSQL is not asked
/// again: every statement is a round trip made while holding the writer's lock. The articles are
/// kept as they were last read or written here (only a writer, under the lock, writes them), and
/// with an article its head revision, read in the same statement.
///
/// One cache serves the changes of a batch only while they run without savepoints: a change
/// rolled back to its savepoint would leave it holding what is no longer there.
final class PGTransactionCache {
    var categories: Set<String>?
    var articles: [ArticleID: (num: Int64, article: Article)] = [:]
    /// Articles looked for and not there (until one is saved).
    var absent: Set<ArticleID> = []
    var revisions: [RevisionID: Revision] = [:]
    /// Earlier answers to change ids, and ids looked up that had none.
    var applied: [ChangeID: AppliedChange?] = [:]
    /// Articles known to have no open conflict (until one is saved or settled).
    var noOpenConflicts: Set<ArticleID> = []
}

/// The archive seam's transaction in PostgreSQL: the same loads and writes as the SQLite
/// archive's, inside a transaction that holds the writer's lock.
struct PGTransaction: ArchiveTransaction {
    let db: PGConnection
    var cache = PGTransactionCache()

    /// The change's earlier answer, its article with its head revision, and whether the article
    /// has open conflicts, in one statement (three round trips fewer per change).
    func prepare(for change: Change) throws {
        guard cache.applied[change.id] == nil else { return }
        guard let row = try db.row(
            """
            SELECT ap.user_name AS ap_user_name, ap.digest AS ap_digest, ap.result AS ap_result, ap.change_id AS ap_change_id,
                \(PGRows.qualifiedArticleColumns), \(PGRows.prefixedRevisionColumns),
                EXISTS (SELECT 1 FROM conflicts c WHERE c.article_id = ? AND c.resolved_by IS NULL) AS open_conflicts
            FROM (SELECT 1) one
            LEFT JOIN applied_changes ap ON ap.change_id = ?
            LEFT JOIN articles a ON a.id = ?
            LEFT JOIN revisions r ON r.id = a.head_revision
            """,
            [change.articleID.description, change.id.description, change.articleID.description])
        else { throw StoreError.failed("a lookup of one row gave none") }
        let earlier: AppliedChange? = try row["ap_change_id"] as String? == nil ? nil : try Self.applied(row, prefix: "ap_")
        // `.some(nil)`: looked up, and none (a plain nil would forget the lookup).
        cache.applied[change.id] = .some(earlier)
        guard cache.articles[change.articleID] == nil else { return }
        if try row["id"] as String? == nil {
            cache.absent.insert(change.articleID)
            return
        }
        try remember(row)
        if try !(row["open_conflicts"] as Bool) { cache.noOpenConflicts.insert(change.articleID) }
    }

    static func applied(_ row: PGRow, prefix: String = "") throws -> AppliedChange {
        AppliedChange(
            user: try row[prefix + "user_name"], digest: try row[prefix + "digest"],
            result: try ContentRows.decode(PushResult.self, try row[prefix + "result"]))
    }

    func appliedChange(_ id: ChangeID) throws -> AppliedChange? {
        if let known = cache.applied[id] { return known }
        return try db.row("SELECT user_name, digest, result FROM applied_changes WHERE change_id = ?", [id.description]).map { try Self.applied($0) }
    }

    /// Keeps an article read with its head revision (`r_…`).
    @discardableResult
    private func remember(_ row: PGRow) throws -> Article {
        let article = try PGRows.article(row)
        cache.articles[article.id] = (try row["num"], article)
        if try row["r_id"] as String? != nil {
            let head = try PGRows.revision(row, prefix: "r_")
            cache.revisions[head.id] = head
        }
        return article
    }

    func article(_ id: ArticleID) throws -> Article? {
        if let known = cache.articles[id] { return known.article }
        if cache.absent.contains(id) { return nil }
        return try db.row(
            """
            SELECT \(PGRows.qualifiedArticleColumns), \(PGRows.prefixedRevisionColumns)
            FROM articles a LEFT JOIN revisions r ON r.id = a.head_revision WHERE a.id = ?
            """,
            [id.description]
        ).map(remember)
    }

    func revision(_ id: RevisionID) throws -> Revision? {
        if let known = cache.revisions[id] { return known }
        let revision = try PGRows.revision(db, id: id)
        cache.revisions[id] = revision
        return revision
    }

    func conflicts(of id: ArticleID, openOnly: Bool) throws -> [Conflict] {
        if openOnly && cache.noOpenConflicts.contains(id) { return [] }
        return try PGRows.conflicts(db, article: id, openOnly: openOnly)
    }

    func categorySlugs() throws -> Set<String> {
        if let known = cache.categories { return known }
        let slugs = Set(try db.rows("SELECT slug FROM categories").map { try $0["slug"] as String })
        cache.categories = slugs
        return slugs
    }

    func slugTaken(_ slug: String, except id: ArticleID, author: String) throws -> Bool {
        if try liveSlugOwner(slug).map({ $0 != id }) == true { return true }
        return try db.value(
            Bool.self,
            """
            SELECT EXISTS (SELECT 1 FROM article_authors au JOIN articles a ON a.num = au.article_num
                WHERE au.name = ? AND a.slug = ? AND a.deleted = false AND a.id <> ?)
            """,
            [author, slug, id.description]) ?? true
    }

    func liveSlugOwner(_ slug: String) throws -> ArticleID? {
        try db.value(String.self, "SELECT id FROM published_articles WHERE slug = ? LIMIT 1", [slug]).flatMap(ArticleID.init)
    }

    func userExists(_ name: String) throws -> Bool { try PostgresArchive.user(db, named: name) != nil }

    func insert(_ revision: Revision) throws {
        try PGRows.insert(db, revision)
        cache.revisions[revision.id] = revision
    }

    func append(_ event: ChangeApplier.Event, article: ArticleID, revision: RevisionID?, actor: String, at time: Date) throws -> Int64 {
        try PostgresArchive.event(db, kind: event.recorded, article: article, revision: revision, actor: actor, at: time)
    }

    func save(_ conflict: Conflict, seq: Int64) throws {
        cache.noOpenConflicts.remove(conflict.articleID)
        try PGRows.save(db, conflict, seq: seq)
    }

    func settle(_ conflict: ConflictID, by change: ChangeID, at time: Date, seq: Int64) throws {
        // Which article it was is not at hand here: forget them all (settling is rare).
        cache.noOpenConflicts.removeAll()
        try db.execute(
            "UPDATE conflicts SET resolved_by = ?, resolved_at = ?, seq = ? WHERE id = ? AND resolved_by IS NULL",
            [change.description, Timestamp.milliseconds(time), seq, conflict.description])
    }

    func insert(_ note: ReviewNote, seq: Int64) throws { try PGRows.insert(db, note, seq: seq) }

    func save(_ article: Article, seq: Int64, publishing: Bool) throws {
        let known = cache.articles[article.id]
        let num = try PGRows.save(db, article, seq: seq, known: known)
        // An article has a public row while it is public (every save keeps it so): one that was
        // not and is not has none to read or write.
        if known.map({ $0.article.isPublic }) != false || article.isPublic {
            try PostgresArchive.refreshPublished(db, article, num: num, seq: seq, publishing: publishing)
        }
        cache.articles[article.id] = (num, article)
        cache.absent.remove(article.id)
    }

    func audit(_ line: AuditRecord, actor: String, article: ArticleID?, at time: Date) throws {
        try PostgresArchive.audit(db, line, actor: actor, article: article, at: time)
    }

    func recordApplied(_ change: Change, digest: String, user: String, result: PushResult, at time: Date) throws {
        cache.applied[change.id] = AppliedChange(user: user, digest: digest, result: result)
        try db.execute(
            "INSERT INTO applied_changes (change_id, article_id, user_name, status, result, applied_at, digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                change.id.description, change.articleID.description, user, result.status.rawValue,
                try ContentRows.encoded(result), Timestamp.milliseconds(time), digest,
            ])
    }
}

/// Pushes that reach this server while it writes wait, and are applied together in one
/// transaction (one writer's lock, one commit), each change still all or nothing (a savepoint).
/// One that fails leaves the others alone.
final class PostgresGroupCommit: @unchecked Sendable {
    weak var archive: PostgresArchive?
    private let queue = PendingQueue()

    struct Item: Sendable {
        let changes: [Change]
        let actor: ChangeApplier.Actor
        let time: Date
        let continuation: CheckedContinuation<[PushResult], any Error>
    }

    actor PendingQueue {
        var pending: [Item] = []
        var draining = false

        /// Adds an item; true when the caller must start draining.
        func add(_ item: Item) -> Bool {
            pending.append(item)
            if draining { return false }
            draining = true
            return true
        }

        /// The next batch, or nil (and no longer draining) when there is none.
        func take() -> [Item]? {
            guard !pending.isEmpty else {
                draining = false
                return nil
            }
            defer { pending.removeAll() }
            return pending
        }
    }

    func apply(_ changes: [Change], by actor: ChangeApplier.Actor, at time: Date) async throws -> [PushResult] {
        try await withCheckedThrowingContinuation { continuation in
            Task {
                if await queue.add(Item(changes: changes, actor: actor, time: time, continuation: continuation)) {
                    await drain()
                }
            }
        }
    }

    private func drain() async {
        while let batch = await queue.take() {
            guard let archive else {
                for item in batch { item.continuation.resume(throwing: StoreError.unavailable(.unreachable)) }
                continue
            }
            do {
                let outcomes = try await archive.applyBatch(batch.map { ($0.changes, $0.actor, $0.time) })
                for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(with: outcome) }
            } catch {
                // The commit itself failed: nothing of the batch is stored.
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
    }
}

extension PostgresArchive {
    package func apply(_ changes: [Change], by actor: ChangeApplier.Actor, at time: Date) async throws -> [PushResult] {
        try await commits.apply(changes, by: actor, at: time)
    }

    /// Applies many changes in one transaction: a bulk load, all or nothing.
    package func applyInOneTransaction(_ changes: [Change], by actor: ChangeApplier.Actor, at time: Date) async throws -> [PushResult] {
        let results = try await write { db in
            try Self.takeWriterLock(db)
            let tx = PGTransaction(db: db)
            return try changes.map { try ChangeLog.apply($0, by: actor, at: time, in: tx) }
        }
        searchEntriesLeft()
        return results
    }

    static func takeWriterLock(_ db: PGConnection) throws {
        try db.execute("SELECT pg_advisory_xact_lock(\(writerLock))")
    }

    /// Read from pg_locks, so it sees every server's writers: a bigint advisory key is kept as
    /// its high and low 32 bits (classid, objid).
    package func writerQueue() async throws -> WriterQueue? {
        let high = Self.writerLock >> 32, low = Self.writerLock & 0xFFFF_FFFF
        return try await run { db in
            try db.row(
                """
                SELECT COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - MIN(a.xact_start) FILTER (WHERE l.granted)), 0)::float8 AS held,
                       COUNT(*) FILTER (WHERE NOT l.granted) AS waiting
                FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND l.classid::int8 = ? AND l.objid::int8 = ? AND l.objsubid = 1
                """, [high, low]
            ).map { WriterQueue(heldSeconds: try $0["held"], waiting: Int(try $0["waiting"] as Int64)) }
        }
    }

    /// Each push of the batch is all or nothing on its own. The batch is first applied in one
    /// transaction without savepoints (two round trips fewer per change under the writer's lock,
    /// and one cache for the batch); should any change throw (a rejected change does not; a
    /// storage error does), that is rolled back and the batch applied again with a savepoint per
    /// push, as the SQLite archive's batches are. A replay of what the first try did commit,
    /// should its commit have failed after all, gets its first answer (change ids).
    func applyBatch(_ batch: [([Change], ChangeApplier.Actor, Date)]) async throws -> [Result<[PushResult], any Error>] {
        defer { searchEntriesLeft() }
        do {
            let results = try await write { db -> [[PushResult]] in
                try Self.takeWriterLock(db)
                let tx = PGTransaction(db: db)
                return try batch.map { changes, actor, time in try changes.map { try ChangeLog.apply($0, by: actor, at: time, in: tx) } }
            }
            return results.map { .success($0) }
        } catch StoreError.unavailable(let reason) {
            // The database is out of reach: trying again at once would only wait as long again.
            throw StoreError.unavailable(reason)
        } catch {
            return try await applyOneByOne(batch)
        }
    }

    private func applyOneByOne(_ batch: [([Change], ChangeApplier.Actor, Date)]) async throws -> [Result<[PushResult], any Error>] {
        let outcomes = try await write { db -> [ResultBox] in
            try Self.takeWriterLock(db)
            return batch.map { changes, actor, time in
                // A savepoint per push: one whose change throws stores none of its changes, as
                // its answer (an error) says.
                ResultBox(Result {
                    try db.savepoint {
                        let tx = PGTransaction(db: db)
                        return try changes.map { try ChangeLog.apply($0, by: actor, at: time, in: tx) }
                    }
                }.mapError(Self.storeError))
            }
        }
        return outcomes.map(\.result)
    }

    struct ResultBox: @unchecked Sendable {
        let result: Result<[PushResult], any Error>
        init(_ result: Result<[PushResult], any Error>) { self.result = result }
    }

    /// Records an event and returns its sequence number (under the writer's lock: in commit order).
    static func event(_ db: PGConnection, kind: String, article: ArticleID?, revision: RevisionID?, actor: String, at: Date) throws -> Int64 {
        guard let seq = try db.value(
            Int64.self, "INSERT INTO events (kind, article_id, revision, actor, at) VALUES (?, ?, ?, ?, ?) RETURNING seq",
            [kind, article?.description, revision?.hex, actor, Timestamp.milliseconds(at)])
        else { throw StoreError.failed("an event was stored without a number") }
        return seq
    }

    // MARK: Pull

    package func pull(since cursor: Int64, limit: Int, maxBytes: Int, viewer: ChangeApplier.Actor) async throws -> PullPage {
        try await read { db in try Self.pull(db, since: cursor, limit: limit, maxBytes: maxBytes, viewer: viewer) }
    }

    /// The streams as the SQLite archive reads them, in one snapshot; ``PullPager`` cuts the page.
    static func pull(_ db: PGConnection, since cursor: Int64, limit: Int, maxBytes: Int, viewer: ChangeApplier.Actor) throws -> PullPage {
        let articleRows = try changedArticles(db, since: cursor, limit: limit + 1, viewer: viewer)
        let full = viewer.role.canReview
            ? ""
            : "AND EXISTS (SELECT 1 FROM articles a JOIN article_authors au ON au.article_num = a.num WHERE a.id = x.article_id AND au.name = ?)"
        var side: [any PGBind] = [cursor]
        if !viewer.role.canReview { side.append(viewer.name) }
        side.append(limit + 1)
        let noteRows = try db.rows("SELECT * FROM notes x WHERE x.seq > ? \(full) ORDER BY x.seq LIMIT ?", side)
        let conflictRows = try db.rows("SELECT * FROM conflicts x WHERE x.seq > ? \(full) ORDER BY x.seq LIMIT ?", side)
        let eventRows = try workflowEvents(db, since: cursor, limit: limit + 1, viewer: viewer)
        var streams = PullPager.Streams()
        streams.articles = articleRows.map { ($0.seq, $0.article) }
        streams.conflicts = try conflictRows.map { (try $0["seq"], try PGRows.conflict($0)) }
        streams.notes = try noteRows.map { (try $0["seq"], try PGRows.note($0)) }
        streams.events = try eventRows.map { row in
            var event: ArticleEvent?
            if let kind = ArticleEvent.Kind(recorded: try row["kind"]), let id = ArticleID(try row["article_id"] as String) {
                event = ArticleEvent(
                    seq: try row["seq"], articleID: id, kind: kind, actor: try row["actor"],
                    revision: (try row["revision"] as String?).flatMap(RevisionID.init), at: Timestamp.date(milliseconds: try row["at"]))
            }
            return (try row["seq"], event)
        }
        return try PullPager.page(
            epoch: try db.value(String.self, "SELECT value FROM meta WHERE key = 'epoch'") ?? "", cursor: cursor, limit: limit,
            maxBytes: maxBytes, streams: streams,
            conflictGroup: { seq in
                try db.rows(
                    "SELECT * FROM conflicts x WHERE x.seq = ? \(full) ORDER BY x.id COLLATE \"C\"",
                    viewer.role.canReview ? [seq] : [seq, viewer.name]
                ).map(PGRows.conflict)
            },
            revision: { try PGRows.revision(db, id: $0) })
    }

    static func workflowEvents(_ db: PGConnection, since cursor: Int64, limit: Int, viewer: ChangeApplier.Actor) throws -> [PGRow] {
        let workflow = "(e.kind = 'create' OR e.kind = 'delete' OR e.kind = 'undelete' OR e.kind LIKE 'state:%')"
        if viewer.role.canReview {
            return try db.rows("SELECT e.* FROM events e WHERE e.seq > ? AND \(workflow) ORDER BY e.seq LIMIT ?", [cursor, limit])
        }
        return try db.rows(
            """
            SELECT e.* FROM article_authors au JOIN articles a ON a.num = au.article_num JOIN events e ON e.article_id = a.id
            WHERE au.name = ? AND e.seq > ? AND \(workflow) ORDER BY e.seq LIMIT ?
            """,
            [viewer.name, cursor, limit])
    }

}
