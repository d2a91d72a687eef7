import Foundation
import GRDB
import GalleyCore

/// The replica's side of sync: the outbox, the views it shows, and applying what the server
/// answers and sends. Every method is one transaction.
extension ClientReplica {
    /// A change waiting in the outbox.
    package struct OutboxEntry: Sendable {
        package var seq: Int64
        package var change: Change
        /// The server answered it; it is shown until a pull brings the article's server state.
        package var acknowledged: Bool
        package var result: PushResult?
    }

    /// A change the server refused, kept with its text.
    package struct RejectedChange: Sendable {
        package var change: Change
        package var code: String
        package var message: String
        package var at: Date
    }

    /// Who this replica acts as: the logged-in user, or (before the first login) the local user
    /// as an analyst. The server sets the author from the token anyway.
    package func actor() throws -> ChangeApplier.Actor {
        let state = try syncState()
        let fallback = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "me"
        return ChangeApplier.Actor(name: state.userName ?? fallback, role: state.role ?? .analyst)
    }

    // MARK: Recording local changes

    /// Records a change made offline: checks it against the local view by the server's rules,
    /// stores it in the outbox and updates the view. Refused changes are not stored.
    @discardableResult
    package func record(_ change: Change, now: Date) throws -> Replay.View {
        let actor = try actor()
        return try writer.write { db in
            let before = try Self.view(db, change.articleID, actor: actor, now: now)
            let categories = try Self.categories(db)
            let failures = LookupFailures()
            let rules = try Self.rules(db, actor: actor, failures: failures)
            let check = Replay.view(
                article: before.article, head: before.head, openConflicts: try Self.openConflicts(db, change.articleID),
                outbox: [change], actor: actor, categories: categories.isEmpty ? nil : categories,
                slugTaken: rules.slugTaken, userExists: rules.userExists, now: now)
            try failures.check()
            if let (_, error) = check.refused.first { throw error }
            try db.execute(
                sql: "INSERT INTO outbox (change_id, article_id, change, created_at) VALUES (?, ?, ?, ?)",
                arguments: [change.id.description, change.articleID.description, try ContentRows.encoded(change), Timestamp.milliseconds(now)])
            for conflict in change.resolves {
                try db.execute(
                    sql: "INSERT INTO outbox_resolves (change_id, conflict_id) VALUES (?, ?)", arguments: [change.id.description, conflict.description])
            }
            return try Self.refreshView(db, change.articleID, actor: actor, now: now)
        }
    }

    /// The article as this replica shows it: the server's state with the outbox on top.
    package func view(_ id: ArticleID, now: Date = Date()) throws -> Replay.View {
        let actor = try actor()
        return try writer.read { db in try Self.view(db, id, actor: actor, now: now) }
    }

    static func view(_ db: Database, _ id: ArticleID, actor: ChangeApplier.Actor, now: Date) throws -> Replay.View {
        let server = try serverArticle(db, id)
        let head = try server.flatMap { try ContentRows.revision(db, id: $0.headRevision) }
        let outbox = try outboxEntries(db, article: id).map(\.change)
        let failures = LookupFailures()
        let rules = try rules(db, actor: actor, failures: failures)
        let view = Replay.view(
            article: server, head: head, openConflicts: try openConflicts(db, id), outbox: outbox, actor: actor,
            slugTaken: rules.slugTaken, userExists: rules.userExists, now: now)
        try failures.check()
        return view
    }

    /// The server's rules for slugs and co-authors, as far as this replica knows what they
    /// depend on. Its lookups run inside the caller's transaction.
    static func rules(
        _ db: Database, actor: ChangeApplier.Actor, failures: LookupFailures
    ) throws -> (slugTaken: (String, ArticleID) -> Bool, userExists: (String) -> Bool) {
        let users = Set(try String.fetchAll(db, sql: "SELECT name FROM users"))
        let slugTaken: (String, ArticleID) -> Bool = { slug, id in
            // As on the server: a live address (the slug of a published revision), or another
            // article of this user's.
            failures.guarding(false) { try Bool.fetchOne(
                db.cachedStatement(sql: """
                    SELECT EXISTS (SELECT 1 FROM articles a WHERE a.deleted = 0 AND a.id != ? AND (
                        (a.slug = ? AND EXISTS (SELECT 1 FROM article_authors au WHERE au.article_num = a.num AND au.name = ?))
                        OR (a.state != 'archived' AND EXISTS (SELECT 1 FROM revisions r WHERE r.id = a.published_revision AND r.slug = ?))))
                    """),
                arguments: [id.description, slug, actor.name, slug]) ?? false }
        }
        return (slugTaken, { users.isEmpty || users.contains($0) })
    }

    /// Recomputes the stored view of an article (what list, show and search read).
    @discardableResult
    static func refreshView(_ db: Database, _ id: ArticleID, actor: ChangeApplier.Actor, now: Date) throws -> Replay.View {
        let view = try view(db, id, actor: actor, now: now)
        for revision in view.localRevisions { try ContentRows.insert(db, revision) }
        if let article = view.article {
            let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM server_articles WHERE article_id = ?", arguments: [id.description]) ?? 0
            try ContentRows.save(db, article, seq: seq)
        } else {
            try ContentRows.delete(db, id: id)
        }
        return view
    }

    /// The server's state of an article. It is stored without its body, which is the head
    /// revision's (kept in `revisions`): a pulled body is written once, not twice.
    static func serverArticle(_ db: Database, _ id: ArticleID) throws -> Article? {
        guard let text = try String.fetchOne(db, sql: "SELECT article FROM server_articles WHERE article_id = ?", arguments: [id.description]) else {
            return nil
        }
        var article = try ContentRows.decode(Article.self, text)
        if let body = try String.fetchOne(db, sql: "SELECT body FROM revisions WHERE id = ?", arguments: [article.headRevision.hex]) {
            article.content.body = body
        }
        return article
    }

    static func saveServerArticle(_ db: Database, _ article: Article, seq: Int64) throws {
        let summary = String(decoding: try GalleyJSON.encoder().encode(ArticleSummary(article)), as: UTF8.self)
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO server_articles (article_id, article, seq) VALUES (?, ?, ?)")
            .execute(arguments: [article.id.description, summary, seq])
    }

    static func openConflicts(_ db: Database, _ id: ArticleID) throws -> [Conflict] {
        try ContentRows.conflicts(db, article: id, openOnly: true)
    }

    static func outboxEntries(_ db: Database, article: ArticleID? = nil, unacknowledgedOnly: Bool = false, limit: Int = Int.max) throws -> [OutboxEntry] {
        var sql = "SELECT * FROM outbox WHERE 1"
        var arguments: StatementArguments = []
        if let article {
            sql += " AND article_id = ?"
            arguments += [article.description]
        }
        if unacknowledgedOnly { sql += " AND acknowledged = 0" }
        arguments += [Int64(clamping: limit)]
        return try Row.fetchAll(db, sql: sql + " ORDER BY seq LIMIT ?", arguments: arguments).map { row in
            OutboxEntry(
                seq: row["seq"], change: try ContentRows.decode(Change.self, row["change"]), acknowledged: row["acknowledged"],
                result: try (row["result"] as String?).map { try ContentRows.decode(PushResult.self, $0) })
        }
    }

    /// The article as the server last sent it (without local changes).
    package func serverArticle(_ id: ArticleID) throws -> Article? {
        try writer.read { db in try Self.serverArticle(db, id) }
    }

    /// The head revision the server last sent for an article.
    package func serverHead(_ id: ArticleID) throws -> RevisionID? {
        try writer.read { db in try Self.serverArticle(db, id)?.headRevision }
    }

    /// Changes not yet answered by the server, oldest first.
    package func pendingChanges(limit: Int = Int.max) throws -> [OutboxEntry] {
        try writer.read { db in try Self.outboxEntries(db, unacknowledgedOnly: true, limit: limit) }
    }

    /// A refusal of a change that carries no words of anyone's (a tag, a workflow step) says
    /// nothing more once the server's article has moved on: it is dropped then. A refused change
    /// with words stays until the person dismisses it (`galley refused --dismiss`).
    static func forgetMootRefusals(_ db: Database, _ id: ArticleID, seq: Int64) throws {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT change_id, change FROM rejected_changes WHERE article_id = ? AND seq < ?"), arguments: [id.description, seq])
        for row in rows where !(try ContentRows.decode(Change.self, row["change"])).carriesWords {
            try db.execute(sql: "DELETE FROM rejected_changes WHERE change_id = ?", arguments: [row["change_id"] as String])
        }
    }

    /// Forgets a refused change, named by its id or the start of it; returns it.
    package func dismissRejected(_ prefix: String) throws -> RejectedChange {
        try writer.write { db in
            let matches = try Self.rejected(db).filter { $0.change.id.description.hasPrefix(prefix.lowercased()) }
            guard matches.count == 1, let match = matches.first else {
                throw GalleyError(matches.isEmpty ? .notFound : .ambiguousID, matches.isEmpty
                    ? "No refused change '\(prefix)'; `galley refused` lists them."
                    : "'\(prefix)' begins \(matches.count) refused changes; give more of its id.")
            }
            try db.execute(sql: "DELETE FROM rejected_changes WHERE change_id = ?", arguments: [match.change.id.description])
            return match
        }
    }

    static func rejected(_ db: Database) throws -> [RejectedChange] {
        try Row.fetchAll(db, sql: "SELECT * FROM rejected_changes ORDER BY at").map { row in
            RejectedChange(
                change: try ContentRows.decode(Change.self, row["change"]), code: row["code"], message: row["message"],
                at: Timestamp.date(milliseconds: row["at"]))
        }
    }

    /// The workflow steps of an article, oldest first.
    package func events(of id: ArticleID) throws -> [ArticleEvent] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events WHERE article_id = ? ORDER BY seq", arguments: [id.description]).compactMap { row in
                guard let kind = ArticleEvent.Kind(rawValue: row["kind"]) else { return nil }
                return ArticleEvent(
                    seq: row["seq"], articleID: id, kind: kind, actor: row["actor"], revision: (row["revision"] as String?).flatMap(RevisionID.init),
                    at: Timestamp.date(milliseconds: row["at"]))
            }
        }
    }

    package func rejectedChanges() throws -> [RejectedChange] {
        try writer.read { db in try Self.rejected(db) }
    }

    // MARK: Applying the server's answers

    /// Records the server's answers to pushed changes. Refused changes move to
    /// `rejected_changes` with their text; the others stay (acknowledged) until the next pull.
    package func acknowledge(_ results: [PushResult], now: Date) throws {
        let actor = try actor()
        try writer.write { db in
            var touched: Set<ArticleID> = []
            for result in results {
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM outbox WHERE change_id = ?", arguments: [result.changeID.description]) else { continue }
                let change = try ContentRows.decode(Change.self, row["change"] as String)
                touched.insert(change.articleID)
                if result.status == .rejected {
                    let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM server_articles WHERE article_id = ?", arguments: [change.articleID.description]) ?? 0
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO rejected_changes (change_id, article_id, change, code, message, at, seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        arguments: [
                            change.id.description, change.articleID.description, row["change"] as String, result.error?.code.rawValue ?? "rejected",
                            result.error?.message ?? "The server refused the change.", Timestamp.milliseconds(now), seq,
                        ])
                    try db.execute(sql: "DELETE FROM outbox WHERE change_id = ?", arguments: [change.id.description])
                } else {
                    try db.execute(
                        sql: "UPDATE outbox SET acknowledged = 1, result = ? WHERE change_id = ?",
                        arguments: [try ContentRows.encoded(result), change.id.description])
                }
            }
            for id in touched { try Self.refreshView(db, id, actor: actor, now: now) }
        }
    }

    /// Stores one pulled page and moves the cursor past it, in one transaction: a crash before
    /// the commit leaves the cursor where it was, so the page is simply fetched again.
    package func apply(_ page: PullPage, now: Date) throws {
        let actor = try actor()
        try writer.write { db in
            var touched: Set<ArticleID> = []
            let pending = Set(try String.fetchAll(db, sql: "SELECT DISTINCT article_id FROM outbox WHERE acknowledged = 0"))
            for pulled in page.articles {
                let id = pulled.article.id
                try ContentRows.insert(db, pulled.head)
                if let published = pulled.published { try ContentRows.insert(db, published) }
                try Self.saveServerArticle(db, pulled.article, seq: pulled.seq)
                try Self.forgetMootRefusals(db, pulled.article.id, seq: pulled.seq)
                // The server's state now includes every change it had answered for this article.
                try db.cachedStatement(sql: "DELETE FROM outbox WHERE article_id = ? AND acknowledged = 1").execute(arguments: [id.description])
                if pending.contains(id.description) {
                    touched.insert(id)
                } else {
                    // Nothing local on top: the view is the server's state.
                    try ContentRows.save(db, pulled.article, seq: pulled.seq)
                }
            }
            for conflict in page.conflicts {
                try ContentRows.save(db, conflict, seq: 0)
                touched.insert(conflict.articleID)
            }
            for note in page.notes { try ContentRows.insert(db, note, seq: 0) }
            for event in page.events {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO events (seq, article_id, kind, actor, revision, at) VALUES (?, ?, ?, ?, ?, ?)")
                    .execute(arguments: [event.seq, event.articleID.description, event.kind.rawValue, event.actor, event.revision?.hex, Timestamp.milliseconds(event.at)])
            }
            for id in touched { try Self.refreshView(db, id, actor: actor, now: now) }
            try db.execute(
                sql: "UPDATE sync_state SET cursor = ?, epoch = ? WHERE id = 1", arguments: [page.nextCursor, page.epoch])
        }
    }

    /// The server's archive was restored (a new epoch): forget what was pulled, keep the outbox,
    /// and start again from the beginning.
    package func resetForNewEpoch(now: Date) throws {
        let actor = try actor()
        try writer.write { db in
            // Answers the old archive gave mean nothing now: send those changes again.
            try db.execute(sql: "UPDATE outbox SET acknowledged = 0, result = NULL")
            try db.execute(sql: "DELETE FROM server_articles")
            try db.execute(sql: "DELETE FROM conflicts")
            try db.execute(sql: "DELETE FROM notes")
            try db.execute(sql: "DELETE FROM events")
            try ContentRows.deleteAll(db)
            try db.execute(sql: "UPDATE sync_state SET cursor = 0, epoch = NULL WHERE id = 1")
            let ids = try String.fetchAll(db, sql: "SELECT DISTINCT article_id FROM outbox").compactMap(ArticleID.init)
            for id in ids { try Self.refreshView(db, id, actor: actor, now: now) }
        }
    }

    package func setLastSync(_ date: Date) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE sync_state SET last_sync = ? WHERE id = 1", arguments: [Timestamp.milliseconds(date)])
        }
    }

    // MARK: Media

    package func addMedia(_ name: String) throws {
        try writer.write { db in try db.execute(sql: "INSERT OR IGNORE INTO media (name) VALUES (?)", arguments: [name]) }
    }

    /// Images attached here that the server does not have yet.
    package func mediaToUpload() throws -> [String] {
        try writer.read { db in try String.fetchAll(db, sql: "SELECT name FROM media WHERE uploaded = 0 ORDER BY name") }
    }

    package func markUploaded(_ name: String) throws {
        try writer.write { db in try db.execute(sql: "UPDATE media SET uploaded = 1 WHERE name = ?", arguments: [name]) }
    }

    // MARK: Categories

    static func categories(_ db: Database) throws -> Set<String> {
        Set(try String.fetchAll(db, sql: "SELECT slug FROM categories"))
    }

    package func categories() throws -> [Category] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT slug, name FROM categories ORDER BY slug").map { Category(slug: $0["slug"], name: $0["name"]) }
        }
    }

    package func setCategories(_ categories: [Category]) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM categories")
            for c in categories {
                try db.execute(sql: "INSERT INTO categories (slug, name) VALUES (?, ?)", arguments: [c.slug, c.name])
            }
        }
    }

    // MARK: Finding articles

    /// Resolves what a person typed: a full id, a prefix of the 8-digit short id (at least 4
    /// digits), or a slug. An ambiguous prefix lists the candidates.
    package func find(_ token: String) throws -> Article {
        // Slugs are stored composed (NFC); what a keyboard or a paste gives may not be.
        let token = token.precomposedStringWithCanonicalMapping
        return try writer.read { db in
            if let id = ArticleID(token), let a = try ContentRows.article(db, id: id) { return a }
            let lower = token.lowercased()
            if let a = try Row.fetchOne(db, sql: "SELECT * FROM articles WHERE slug = ? AND deleted = 0", arguments: [token]).map(ContentRows.article) {
                return a
            }
            if lower.count >= 4, lower.count <= 8, lower.allSatisfy(\.isHexDigit) {
                let matches = try Row.fetchAll(
                    db, sql: "SELECT * FROM articles WHERE short_id >= ? AND short_id < ? ORDER BY deleted, short_id LIMIT 20",
                    arguments: [lower, lower + "g"]
                ).map(ContentRows.article)
                if matches.count == 1 { return matches[0] }
                if matches.count > 1 {
                    let all = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM articles WHERE short_id >= ? AND short_id < ?", arguments: [lower, lower + "g"]) ?? 0
                    let list = matches.map { "  \($0.id.short)  \($0.content.title)" }.joined(separator: "\n")
                    throw GalleyError(.ambiguousID, "'\(token)' matches \(Self.howMany(all, shown: matches.count)) articles; give more digits:\n\(list)")
                }
            }
            // Finally, the beginning of a slug, when only one article's slug starts so.
            if !token.isEmpty {
                let escaped = token.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                let matches = try Row.fetchAll(
                    db, sql: "SELECT * FROM articles WHERE slug LIKE ? ESCAPE '\\' AND deleted = 0 ORDER BY slug LIMIT 20",
                    arguments: [escaped + "%"]
                ).map(ContentRows.article)
                if matches.count == 1 { return matches[0] }
                if matches.count > 1 {
                    let all = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM articles WHERE slug LIKE ? ESCAPE '\\' AND deleted = 0", arguments: [escaped + "%"]) ?? 0
                    let list = matches.map { "  \($0.id.short)  \($0.content.slug)" }.joined(separator: "\n")
                    throw GalleyError(.ambiguousID, "'\(token)' begins \(Self.howMany(all, shown: matches.count)) slugs; give more of it:\n\(list)")
                }
            }
            if lower.count < 4, lower.allSatisfy(\.isHexDigit) {
                throw GalleyError(.notFound, "No article '\(token)' in this workspace; an id needs at least 4 of its digits (`galley list` shows them), or give a slug.")
            }
            throw GalleyError(.notFound, "No article '\(token)' in this workspace. Use an id from `galley list` (or its first digits) or a slug; `galley sync` fetches new ones.")
        }
    }

    /// "3", or "69 (the first 20 below)" when the list of candidates is cut short.
    static func howMany(_ all: Int, shown: Int) -> String { all > shown ? "\(all) (the first \(shown) below)" : "\(shown)" }

    /// A filter on the replica's articles (all of them by default).
    package struct Filter: Sendable {
        package var state: ArticleState?
        package var tag: String?
        package var category: String?
        package var author: String?
        package init(state: ArticleState? = nil, tag: String? = nil, category: String? = nil, author: String? = nil) {
            self.state = state
            self.tag = tag
            self.category = category
            self.author = author
        }

        var sql: (String, StatementArguments) {
            var conditions = ["a.deleted = 0"]
            var arguments: StatementArguments = []
            if let state {
                conditions.append("a.state = ?")
                arguments += [state.rawValue]
            }
            if let tag {
                conditions.append("EXISTS (SELECT 1 FROM article_tags t WHERE t.article_num = a.num AND t.tag = ?)")
                arguments += [tag]
            }
            if let category {
                conditions.append("a.category = ?")
                arguments += [category]
            }
            if let author {
                conditions.append("EXISTS (SELECT 1 FROM article_authors au WHERE au.article_num = a.num AND au.name = ?)")
                arguments += [author]
            }
            return (conditions.joined(separator: " AND "), arguments)
        }
    }

    /// Articles as the replica shows them, newest change first: `limit` of them after `offset`.
    package func list(_ filter: Filter = Filter(), limit: Int = Int.max, offset: Int = 0) throws -> [Article] {
        try writer.read { db in try Self.list(db, filter, limit: limit, offset: offset) }
    }

    static func list(_ db: Database, _ filter: Filter, limit: Int, offset: Int) throws -> [Article] {
        var arguments = filter.sql.1
        arguments += [Int64(clamping: limit), offset]
        return try Row.fetchAll(db, sql: Self.listing(filter).page, arguments: arguments).map(ContentRows.article)
    }

    /// A page of `filter`'s listing and how many articles it lets through, read together (so
    /// that "more after these" agrees with the page).
    package func page(_ filter: Filter, limit: Int, offset: Int) throws -> (articles: [Article], total: Int) {
        try writer.read { db in
            (try Self.list(db, filter, limit: limit, offset: offset), try Int.fetchOne(db, sql: Self.listing(filter).count, arguments: filter.sql.1) ?? 0)
        }
    }

    /// The statements of a listing: a page of it, newest change first (its arguments, then the
    /// limit and the offset), and its count. Each must read only the rows it names, through an
    /// index (`articles_recent` for the order), never every article of a large replica.
    package static func listing(_ filter: Filter) -> (page: String, count: String) {
        let sql = filter.sql.0
        return (
            "SELECT * FROM articles a WHERE \(sql) ORDER BY a.updated_at DESC, a.num DESC LIMIT ? OFFSET ?",
            "SELECT COUNT(*) FROM articles a WHERE \(sql)"
        )
    }

    package func list(state: ArticleState? = nil, tag: String? = nil, category: String? = nil, author: String? = nil, limit: Int = Int.max) throws -> [Article] {
        try list(Filter(state: state, tag: tag, category: category, author: author), limit: limit)
    }

    /// How many articles `filter` lets through.
    package func count(_ filter: Filter = Filter()) throws -> Int {
        try writer.read { db in
            try Int.fetchOne(db, sql: Self.listing(filter).count, arguments: filter.sql.1) ?? 0
        }
    }

    /// What "open" means here: not settled on the server, and not by a change waiting to go there.
    static let stillOpen = "resolved_by IS NULL AND id NOT IN (SELECT conflict_id FROM outbox_resolves)"

    /// Every open conflict in the replica.
    package func openConflicts() throws -> [Conflict] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM conflicts WHERE \(Self.stillOpen) ORDER BY created_at, id").map(ContentRows.conflict)
        }
    }

    /// Open conflicts (indexed; cheap whatever the replica's size).
    package func openConflictCount() throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conflicts WHERE \(Self.stillOpen)") ?? 0 }
    }

    /// The server's user names (for co-authors offline).
    package func setUsers(_ names: [String]) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM users")
            for name in names { try db.execute(sql: "INSERT OR IGNORE INTO users (name) VALUES (?)", arguments: [name]) }
        }
    }

    /// Counts for `galley status`.
    package func counts() throws -> (outbox: Int, acknowledged: Int, conflicts: Int, rejected: Int, articles: Int) {
        try writer.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE acknowledged = 0") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE acknowledged = 1") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conflicts WHERE \(Self.stillOpen)") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rejected_changes") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM articles WHERE deleted = 0") ?? 0
            )
        }
    }
}
