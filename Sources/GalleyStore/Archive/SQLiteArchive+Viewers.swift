import Foundation
import GRDB
import GalleyCore

/// What each viewer may see of the archive, decided here and nowhere else.
///
/// Editors and admins see every article as it is. An analyst sees the articles they write as
/// they are, and anyone else's only as readers do: the public row (``PublishedArticle``), with the
/// published revision's text, the byline as it was published, and the sequence number of the
/// last change to that row. Filters, ordering, cursors and search are computed from the same
/// view, so that no answer an analyst gets depends on a draft, a correction under review or any
/// other unpublished state of someone else's article, not even its timing.
extension SQLiteArchive {
    /// Whether `viewer` sees `article` in full: reviewers always, analysts their own.
    package static func seesInFull(_ viewer: ChangeApplier.Actor?, _ article: Article) -> Bool {
        guard let viewer else { return true }
        return viewer.role.canReview || article.isAuthor(viewer.name)
    }

    /// The article as `viewer` may see it, or nil when they may not see it at all.
    static func view(_ db: Database, _ article: Article, num: Int64? = nil, for viewer: ChangeApplier.Actor?) throws -> Article? {
        if seesInFull(viewer, article) { return try withVisibleRelated(db, article, for: viewer) }
        guard let num = try num ?? ContentRows.articleNumber(db, id: article.id),
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(prefixedPublishedColumns) FROM published_articles p WHERE p.article_num = ?"), arguments: [num])
        else { return nil }
        return try withVisibleRelated(db, try publicSeen(row, article: article).article, for: viewer)
    }

    /// The editors' related articles that `viewer` may see: an analyst learns of no one else's
    /// draft from an id in a list.
    static func withVisibleRelated(_ db: Database, _ article: Article, for viewer: ChangeApplier.Actor?) throws -> Article {
        guard let viewer, !viewer.role.canReview, !article.related.isEmpty else { return article }
        var view = article
        view.related = try article.related.filter { id in
            try Bool.fetchOne(
                db.cachedStatement(sql: """
                    SELECT EXISTS (SELECT 1 FROM published_articles WHERE id = ?1)
                        OR EXISTS (SELECT 1 FROM articles a JOIN article_authors au ON au.article_num = a.num WHERE a.id = ?1 AND au.name = ?2)
                    """),
                arguments: [id.description, viewer.name]) ?? false
        }
        return view
    }

    /// An article as readers know it, from its public row. A retracted one has lost its words, so
    /// its published revision is not what the view shows: its head is the revision of what it
    /// shows (``Revision/shownInPlace(of:)``).
    package static func publicView(_ article: Article, _ p: PublishedArticle, revision: RevisionID) -> Article {
        var view = Article(
            id: article.id, content: p.content, authors: p.authors, state: p.retracted ? .retracted : .published,
            headRevision: revision, publishedRevision: revision, publishedAt: p.publishedAt, related: p.related,
            retractionMessage: p.retractionMessage, createdAt: article.createdAt, updatedAt: p.updatedAt)
        if p.retracted {
            let shown = Revision.shownInPlace(of: view).id
            view.headRevision = shown
            view.publishedRevision = shown
        }
        return view
    }

    package func article(_ id: ArticleID, viewer: ChangeApplier.Actor) async throws -> Article? {
        try await writer.read { db in
            guard let article = try ContentRows.article(db, id: id) else { return nil }
            return try Self.view(db, article, for: viewer)
        }
    }

    /// A viewer's article with the sequence number of the last change they can see of it.
    struct Seen {
        var article: Article
        var seq: Int64
    }

    static let ownJoin = "article_authors au JOIN articles a ON a.num = au.article_num"
    package static let qualifiedArticleColumns = ContentRows.articleColumns.split(separator: ",")
        .map { "a." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")

    /// Articles for `query.viewer`, newest change first, filtered on what that viewer sees.
    package func articles(_ query: ArticleQuery) async throws -> ArticleList {
        try await writer.read { db in
            let page = query.paging("a.seq")
            var seen: [Seen] = []
            if let viewer = query.viewer, !viewer.role.canReview {
                var own = Self.headFilters(query)
                own.conditions += ["au.name = ?", page.condition]
                own.arguments += [viewer.name, page.cursor, query.limit]
                let rows = try Row.fetchAll(
                    db,
                    sql: "SELECT \(Self.qualifiedArticleColumns) FROM \(Self.ownJoin) WHERE \(own.sql) ORDER BY a.seq \(page.order) LIMIT ?",
                    arguments: own.arguments)
                seen += try rows.map { Seen(article: try ContentRows.article($0), seq: $0["seq"]) }
                seen += try Self.publicRows(db, query, excludingAuthor: viewer.name)
                seen.sort { query.precedes($0.seq, $1.seq) }
                seen = Array(seen.prefix(query.limit))
            } else {
                var all = Self.headFilters(query)
                all.conditions.append(page.condition)
                all.arguments += [page.cursor, query.limit]
                let rows = try Row.fetchAll(
                    db, sql: "SELECT \(ContentRows.articleColumns) FROM articles a WHERE \(all.sql) ORDER BY a.seq \(page.order) LIMIT ?",
                    arguments: all.arguments)
                seen = try rows.map { Seen(article: try ContentRows.article($0), seq: $0["seq"]) }
            }
            return ArticleList(
                articles: try seen.map { try Self.withVisibleRelated(db, $0.article, for: query.viewer) },
                next: seen.count == query.limit ? seen.last?.seq : nil)
        }
    }

    /// The WHERE conditions of a listing and their arguments, in step.
    struct Filters {
        var conditions: [String]
        var arguments: StatementArguments

        init(_ conditions: [String], _ arguments: StatementArguments = []) {
            self.conditions = conditions
            self.arguments = arguments
        }

        /// Adds `condition` (with one `?`) when the query asks for `value`.
        mutating func add(_ condition: String, _ value: (any DatabaseValueConvertible)?) {
            guard let value else { return }
            conditions.append(condition)
            arguments += [value]
        }

        var sql: String { conditions.joined(separator: " AND ") }
    }

    /// A query's filters on articles as they are (for reviewers, and an analyst's own).
    static func headFilters(_ query: ArticleQuery) -> Filters {
        var filters = Filters(["a.deleted = 0"])
        filters.add("a.state = ?", query.state?.rawValue)
        filters.add("a.category = ?", query.category)
        filters.add("EXISTS (SELECT 1 FROM article_tags t WHERE t.article_num = a.num AND t.tag = ?)", query.tag)
        filters.add("EXISTS (SELECT 1 FROM article_authors au2 WHERE au2.article_num = a.num AND au2.name = ?)", query.author)
        return filters
    }

    /// Others' public articles that match `query` as readers see them.
    static func publicRows(_ db: Database, _ query: ArticleQuery, excludingAuthor name: String) throws -> [Seen] {
        let page = query.paging("p.seq")
        var filters = Filters(
            [page.condition, "NOT EXISTS (SELECT 1 FROM article_authors au WHERE au.article_num = p.article_num AND au.name = ?)"], [page.cursor, name])
        switch query.state {
        case nil: break
        case .published?: filters.conditions.append("p.retracted = 0")
        case .retracted?: filters.conditions.append("p.retracted = 1")
        default: return []
        }
        filters.add("p.category = ?", query.category)
        filters.add("EXISTS (SELECT 1 FROM published_tags t WHERE t.article_num = p.article_num AND t.tag = ?)", query.tag)
        filters.add("EXISTS (SELECT 1 FROM json_each(p.authors) j WHERE j.value = ?)", query.author)
        filters.arguments += [query.limit]
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT \(qualifiedArticleColumns), \(prefixedPublishedColumns)
                FROM published_articles p JOIN articles a ON a.num = p.article_num
                WHERE \(filters.sql) ORDER BY p.seq \(page.order) LIMIT ?
                """,
            arguments: filters.arguments)
        return try rows.map { try publicSeen($0) }
    }

    /// A row holding an article's columns and its public row's (``prefixedPublishedColumns``).
    static func publicSeen(_ row: Row, article known: Article? = nil) throws -> Seen {
        guard let revision = RevisionID(row["p_revision"] as String) else { throw StoreError.corrupt("a published row has a malformed revision") }
        let article = try known ?? ContentRows.article(row)
        return Seen(article: publicView(article, try published(row, prefix: "p_"), revision: revision), seq: row["p_seq"])
    }

    /// What changed after `cursor` that `viewer` may see, oldest first, at most `limit`; each with
    /// the sequence number of the change the viewer saw.
    static func changedArticles(_ db: Database, since cursor: Int64, limit: Int, viewer: ChangeApplier.Actor) throws -> [Seen] {
        if viewer.role.canReview {
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(ContentRows.articleColumns) FROM articles a WHERE a.seq > ? ORDER BY a.seq LIMIT ?"),
                arguments: [cursor, limit])
            return try rows.map { Seen(article: try ContentRows.article($0), seq: $0["seq"]) }
        }
        // Their own articles (deleted ones too: the tombstone must reach their replica) …
        let own = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT \(qualifiedArticleColumns) FROM \(ownJoin) WHERE au.name = ? AND a.seq > ? ORDER BY a.seq LIMIT ?"),
            arguments: [viewer.name, cursor, limit]
        ).map { Seen(article: try ContentRows.article($0), seq: $0["seq"]) }
        // … and others' public rows, by when those rows changed.
        let others = try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT \(qualifiedArticleColumns), \(prefixedPublishedColumns)
                FROM published_articles p JOIN articles a ON a.num = p.article_num
                WHERE p.seq > ? AND NOT EXISTS (SELECT 1 FROM article_authors au WHERE au.article_num = p.article_num AND au.name = ?)
                ORDER BY p.seq LIMIT ?
                """),
            arguments: [cursor, viewer.name, limit]
        ).map { try publicSeen($0) }
        return try (own + others).sorted { $0.seq < $1.seq }.prefix(limit + 1).map {
            Seen(article: try withVisibleRelated(db, $0.article, for: viewer), seq: $0.seq)
        }
    }

    package func search(_ text: String, limit: Int, viewer: ChangeApplier.Actor) async throws -> [Article] {
        let match = try ContentRows.matchExpression(text)
        return try await writer.read { db in
            do {
                // As on the public site: relevance when it is cheap, the newest matches otherwise.
                let ranked = try Self.rankable(db, text)
                let score = ranked ? "bm25(articles_fts, 10.0, 4.0, 1.0, 6.0)" : "-rowid"
                if viewer.role.canReview {
                    let rows = try Row.fetchAll(
                        db,
                        sql: """
                            SELECT \(Self.qualifiedArticleColumns) FROM (
                                SELECT rowid, \(score) AS score FROM articles_fts WHERE articles_fts MATCH ? ORDER BY score LIMIT 2000
                            ) f JOIN articles a ON a.num = f.rowid WHERE a.deleted = 0 ORDER BY f.score LIMIT ?
                            """,
                        arguments: [match, limit])
                    return try rows.map(ContentRows.article)
                }
                // An analyst's own articles match on their text as it is, newest change first:
                // relevance (bm25) would weigh words by how often everyone's drafts use them, and
                // a cut among everyone's matches would let others' drafts crowd theirs out.
                // Others' articles match on their public text, ranked among public texts.
                let own = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(Self.qualifiedArticleColumns) FROM \(Self.ownJoin)
                        WHERE au.name = ? AND a.deleted = 0 AND a.num IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)
                        ORDER BY a.seq DESC LIMIT ?
                        """,
                    arguments: [viewer.name, match, limit]
                ).map(ContentRows.article)
                let publicScore = ranked ? "bm25(published_fts, 10.0, 4.0, 1.0, 6.0)" : "-rowid"
                let others = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(Self.qualifiedArticleColumns), \(Self.prefixedPublishedColumns) FROM (
                            SELECT rowid, \(publicScore) AS score FROM published_fts WHERE published_fts MATCH ? ORDER BY score LIMIT 2000
                        ) f JOIN published_articles p ON p.article_num = f.rowid JOIN articles a ON a.num = p.article_num
                        WHERE NOT EXISTS (SELECT 1 FROM article_authors au WHERE au.article_num = a.num AND au.name = ?)
                        ORDER BY f.score LIMIT ?
                        """,
                    arguments: [match, viewer.name, limit]
                ).map { try Self.publicSeen($0).article }
                return try (own + others).prefix(limit).map { try Self.withVisibleRelated(db, $0, for: viewer) }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
                throw ContentRows.badQuery(text, error)
            }
        }
    }
}
