import Foundation
import GalleyCore
import GalleyStore
import Logging
import Synchronization

/// What each viewer may see, by the SQLite archive's rules (``SQLiteArchive``'s viewers): editors
/// see every article as it is; an analyst sees their own as they are and anyone else's only as
/// readers do, from the public row, its timing included.
extension PostgresArchive {
    static func seesInFull(_ viewer: ChangeApplier.Actor?, _ article: Article) -> Bool { SQLiteArchive.seesInFull(viewer, article) }

    static func view(_ db: PGConnection, _ article: Article, for viewer: ChangeApplier.Actor?) throws -> Article? {
        if seesInFull(viewer, article) { return try withVisibleRelated(db, article, for: viewer) }
        guard let row = try db.row(
            "SELECT \(PGRows.prefixedPublishedColumns) FROM published_articles p JOIN articles a ON a.num = p.article_num WHERE a.id = ?",
            [article.id.description])
        else { return nil }
        return try withVisibleRelated(db, try publicSeen(row, article: article).article, for: viewer)
    }

    static func withVisibleRelated(_ db: PGConnection, _ article: Article, for viewer: ChangeApplier.Actor?) throws -> Article {
        guard let viewer, !viewer.role.canReview, !article.related.isEmpty else { return article }
        var view = article
        view.related = try article.related.filter { id in
            try db.value(
                Bool.self,
                """
                SELECT EXISTS (SELECT 1 FROM published_articles WHERE id = ?)
                    OR EXISTS (SELECT 1 FROM articles a JOIN article_authors au ON au.article_num = a.num WHERE a.id = ? AND au.name = ?)
                """,
                [id.description, id.description, viewer.name]) ?? false
        }
        return view
    }

    static func publicView(_ article: Article, _ p: PublishedArticle, revision: RevisionID) -> Article {
        SQLiteArchive.publicView(article, p, revision: revision)
    }

    package func article(_ id: ArticleID, viewer: ChangeApplier.Actor) async throws -> Article? {
        try await read { db in
            guard let article = try PGRows.article(db, id: id) else { return nil }
            return try Self.view(db, article, for: viewer)
        }
    }

    struct Seen {
        var article: Article
        var seq: Int64
    }

    static let ownJoin = "article_authors au JOIN articles a ON a.num = au.article_num"

    package func articles(_ query: ArticleQuery) async throws -> ArticleList {
        try await read { db in
            let page = query.paging("a.seq")
            var seen: [Seen] = []
            if let viewer = query.viewer, !viewer.role.canReview {
                var own = Self.headFilters(query)
                own.conditions += ["au.name = ?", page.condition]
                own.values += [viewer.name, page.cursor, query.limit]
                seen += try db.rows(
                    "SELECT \(PGRows.qualifiedArticleColumns) FROM \(Self.ownJoin) WHERE \(own.sql) ORDER BY a.seq \(page.order) LIMIT ?", own.values
                ).map { Seen(article: try PGRows.article($0), seq: try $0["seq"]) }
                seen += try Self.publicRows(db, query, excludingAuthor: viewer.name)
                seen.sort { query.precedes($0.seq, $1.seq) }
                seen = Array(seen.prefix(query.limit))
            } else {
                var all = Self.headFilters(query)
                all.conditions.append(page.condition)
                all.values += [page.cursor, query.limit]
                seen = try db.rows("SELECT \(PGRows.articleColumns) FROM articles a WHERE \(all.sql) ORDER BY a.seq \(page.order) LIMIT ?", all.values)
                    .map { Seen(article: try PGRows.article($0), seq: try $0["seq"]) }
            }
            return ArticleList(
                articles: try seen.map { try Self.withVisibleRelated(db, $0.article, for: query.viewer) },
                next: seen.count == query.limit ? seen.last?.seq : nil)
        }
    }

    struct Filters {
        var conditions: [String]
        var values: [any PGBind] = []

        mutating func add(_ condition: String, _ value: String?) {
            guard let value else { return }
            conditions.append(condition)
            values.append(value)
        }

        var sql: String { conditions.joined(separator: " AND ") }
    }

    static func headFilters(_ query: ArticleQuery) -> Filters {
        var filters = Filters(conditions: ["a.deleted = false"])
        filters.add("a.state = ?", query.state?.rawValue)
        filters.add("a.category = ?", query.category)
        filters.add("EXISTS (SELECT 1 FROM article_tags t WHERE t.article_num = a.num AND t.tag = ?)", query.tag)
        filters.add("EXISTS (SELECT 1 FROM article_authors au2 WHERE au2.article_num = a.num AND au2.name = ?)", query.author)
        return filters
    }

    static func publicRows(_ db: PGConnection, _ query: ArticleQuery, excludingAuthor name: String) throws -> [Seen] {
        let page = query.paging("p.seq")
        var filters = Filters(
            conditions: [page.condition, "NOT EXISTS (SELECT 1 FROM article_authors au WHERE au.article_num = p.article_num AND au.name = ?)"],
            values: [page.cursor, name])
        switch query.state {
        case nil: break
        case .published?: filters.conditions.append("p.retracted = false")
        case .retracted?: filters.conditions.append("p.retracted = true")
        default: return []
        }
        filters.add("p.category = ?", query.category)
        filters.add("EXISTS (SELECT 1 FROM published_tags t WHERE t.article_num = p.article_num AND t.tag = ?)", query.tag)
        filters.add("EXISTS (SELECT 1 FROM jsonb_array_elements_text(p.authors::jsonb) j WHERE j = ?)", query.author)
        filters.values.append(query.limit)
        return try db.rows(
            """
            SELECT \(PGRows.qualifiedArticleColumns), \(PGRows.prefixedPublishedColumns)
            FROM published_articles p JOIN articles a ON a.num = p.article_num
            WHERE \(filters.sql) ORDER BY p.seq \(page.order) LIMIT ?
            """,
            filters.values
        ).map { try publicSeen($0) }
    }

    static func publicSeen(_ row: PGRow, article known: Article? = nil) throws -> Seen {
        guard let revision = RevisionID(try row["p_revision"] as String) else { throw StoreError.corrupt("a published row has a malformed revision") }
        let article = try known ?? PGRows.article(row)
        return Seen(article: publicView(article, try PGRows.published(row, prefix: "p_"), revision: revision), seq: try row["p_seq"])
    }

    static func changedArticles(_ db: PGConnection, since cursor: Int64, limit: Int, viewer: ChangeApplier.Actor) throws -> [Seen] {
        if viewer.role.canReview {
            return try db.rows("SELECT \(PGRows.articleColumns) FROM articles a WHERE a.seq > ? ORDER BY a.seq LIMIT ?", [cursor, limit])
                .map { Seen(article: try PGRows.article($0), seq: try $0["seq"]) }
        }
        let own = try db.rows(
            "SELECT \(PGRows.qualifiedArticleColumns) FROM \(ownJoin) WHERE au.name = ? AND a.seq > ? ORDER BY a.seq LIMIT ?",
            [viewer.name, cursor, limit]
        ).map { Seen(article: try PGRows.article($0), seq: try $0["seq"]) }
        let others = try db.rows(
            """
            SELECT \(PGRows.qualifiedArticleColumns), \(PGRows.prefixedPublishedColumns)
            FROM published_articles p JOIN articles a ON a.num = p.article_num
            WHERE p.seq > ? AND NOT EXISTS (SELECT 1 FROM article_authors au WHERE au.article_num = p.article_num AND au.name = ?)
            ORDER BY p.seq LIMIT ?
            """,
            [cursor, viewer.name, limit]
        ).map { try publicSeen($0) }
        return try (own + others).sorted { $0.seq < $1.seq }.prefix(limit + 1).map {
            Seen(article: try withVisibleRelated(db, $0.article, for: viewer), seq: $0.seq)
        }
    }

    // MARK: Search

    /// Whether article `a` matches query `q.q`: by its search entry, or by its text while the
    /// entry is still to be written (a few rows, found by their own index), so that a search
    /// never misses what was just committed.
    static let searchMatch = """
        (a.search @@ q.q OR (a.search IS NULL AND galley_search(a.title, a.lead, a.tags, a.body) @@ q.q))
        """
    static let searchEntry = "COALESCE(a.search, galley_search(a.title, a.lead, a.tags, a.body))"

    /// Starts writing the search entries that committed changes left to write, unless a round is
    /// already running: then it runs once more when done, so an entry marked during a round is
    /// written by the next.
    func searchEntriesLeft() {
        let start = searchEntryRounds.withLock { rounds -> Bool in
            if rounds.running {
                rounds.again = true
                return false
            }
            rounds.running = true
            return true
        }
        guard start else { return }
        Task.detached { [weak self] in
            while let archive = self {
                do {
                    try await archive.writeSearchEntries()
                } catch where !archive.closed.withLock({ $0 }) {
                    // Searches read the text of rows without an entry; the next change retries.
                    archive.logger.warning("search entries were not written: \(error)")
                } catch {
                    // Closed meanwhile (a command that copied or read and is done): the next
                    // server to write any change writes them.
                }
                let again = archive.searchEntryRounds.withLock { rounds -> Bool in
                    if rounds.again {
                        rounds.again = false
                        return true
                    }
                    rounds.running = false
                    return false
                }
                if !again { return }
            }
        }
    }

    /// Writes the search entries that changes left to write, a few at a time, until none is
    /// left; returns how many it wrote. Runs outside the writer's lock: rows a writer holds are
    /// skipped (and written on the next round), and servers writing entries at once share the
    /// work. A row written again meanwhile is marked again by its writer, after this commits.
    @discardableResult
    package func writeSearchEntries() async throws -> Int {
        var total = 0
        while true {
            let written = try await run { db in
                try db.execute(
                    """
                    UPDATE articles a SET search = galley_search(a.title, a.lead, a.tags, a.body)
                    FROM (SELECT num FROM articles WHERE search IS NULL ORDER BY num LIMIT 64 FOR UPDATE SKIP LOCKED) p
                    WHERE a.num = p.num
                    """)
            }
            total += written
            if written < 64 { return total }
        }
    }

    package func search(_ text: String, limit: Int, viewer: ChangeApplier.Actor) async throws -> [Article] {
        let query = try PGSearch.query(text)
        return try await read { db in
            let ranked = try Self.rankable(db, text)
            let order = ranked ? "ts_rank(\(Self.searchEntry), q.q, 1) DESC, a.num DESC" : "a.num DESC"
            if viewer.role.canReview {
                return try db.rows(
                    """
                    SELECT \(PGRows.qualifiedArticleColumns) FROM articles a, (SELECT \(query.sql) AS q) q
                    WHERE \(Self.searchMatch) AND a.deleted = false ORDER BY \(order) LIMIT ?
                    """,
                    query.values + [limit]
                ).map(PGRows.article)
            }
            // As in the SQLite archive: an analyst's own articles by their text as it is, newest
            // change first; others' by their public text, ranked among public texts.
            let own = try db.rows(
                """
                SELECT \(PGRows.qualifiedArticleColumns) FROM \(Self.ownJoin), (SELECT \(query.sql) AS q) q
                WHERE au.name = ? AND a.deleted = false AND \(Self.searchMatch) ORDER BY a.seq DESC LIMIT ?
                """,
                query.values + [viewer.name, limit]
            ).map(PGRows.article)
            let publicOrder = ranked ? "ts_rank(p.search, q.q, 1) DESC, p.article_num DESC" : "p.article_num DESC"
            let others = try db.rows(
                """
                SELECT \(PGRows.qualifiedArticleColumns), \(PGRows.prefixedPublishedColumns)
                FROM published_articles p JOIN articles a ON a.num = p.article_num, (SELECT \(query.sql) AS q) q
                WHERE p.search @@ q.q
                    AND NOT EXISTS (SELECT 1 FROM article_authors au WHERE au.article_num = a.num AND au.name = ?)
                ORDER BY \(publicOrder) LIMIT ?
                """,
                query.values + [viewer.name, limit]
            ).map { try Self.publicSeen($0).article }
            return try (own + others).prefix(limit).map { try Self.withVisibleRelated(db, $0, for: viewer) }
        }
    }

    /// Whether ranking by relevance is cheap for this query (as in the SQLite archive: every word
    /// is in at most ``rankLimit`` published articles); otherwise newest first.
    static func rankable(_ db: PGConnection, _ text: String) throws -> Bool {
        let words = SQLiteArchive.terms(text).filter { $0.count > 2 }
        guard !words.isEmpty else { return true }
        let most = try db.value(Int64.self, "SELECT MAX(docs) FROM published_terms WHERE term = ANY(?::text[])", [words]) ?? 0
        return most <= rankLimit
    }

    /// Fewer than SQLite's 1,000: `ts_rank` reads each match's whole search entry (an article's
    /// is about 8 KB, stored compressed out of line), about 35 µs a match on this machine against
    /// bm25's few; ranking 978 matches took 48 ms (`EXPLAIN ANALYZE`, 20,000 published articles).
    static let rankLimit: Int64 = 250
}

/// A search as a `tsquery`: plain words must all occur, the last may be a prefix (as the SQLite
/// archive's FTS5 query); text with quotes, OR or a leading minus is read as a web search
/// (`websearch_to_tsquery`), which cannot fail to parse.
enum PGSearch {
    struct Query {
        var sql: String
        var values: [any PGBind]
    }

    static func query(_ text: String) throws -> Query {
        let trimmed = text.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.allSatisfy({ $0 == "*" || $0 == "^" || $0.isWhitespace }) {
            throw GalleyError(.badQuery, "Search for words; a * after the beginning of a word finds the words it begins.", field: "q")
        }
        if trimmed.filter({ $0 == "\"" }).count % 2 == 1 {
            throw GalleyError(.badQuery, "The search '\(text)' is not a valid query: a quote is not closed. Search for plain words, or quote a phrase.")
        }
        if trimmed.contains("\"") || trimmed.contains(" OR ") || trimmed.contains(" or ") || trimmed.hasPrefix("-") || trimmed.contains(" -") {
            return Query(sql: "websearch_to_tsquery('galley', ?)", values: [trimmed])
        }
        var words: [String] = []
        var current = ""
        for ch in trimmed {
            if ch.isLetter || ch.isNumber || ch == "_" { current.append(ch) } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        words = words.filter { !["AND", "NOT", "NEAR"].contains($0) }
        guard !words.isEmpty else { throw ContentRows.nothingToSearch(trimmed) }
        let prefix = !trimmed.hasSuffix(" ") || trimmed.hasSuffix("*")
        // Each word through the configuration (folded, lowercased); words the configuration drops
        // entirely (none with `simple`) would leave an empty query, which matches nothing.
        let parts = words.prefix(32).enumerated().map { i, w -> String in
            let last = i == min(words.count, 32) - 1
            return "'" + w.replacingOccurrences(of: "'", with: "''") + "'" + (last && prefix ? ":*" : "")
        }
        return Query(sql: "to_tsquery('galley', ?)", values: [parts.joined(separator: " & ")])
    }
}
